"""The app's configuration: label ``wisepops``, and its checks registered at start."""

from __future__ import annotations

from django.apps import AppConfig


class WisepopsConfig(AppConfig):
    name = "wisepops.django"
    label = "wisepops"
    verbose_name = "WisePops"

    def ready(self) -> None:
        from . import checks  # noqa: F401, PLC0415 - registers them once the apps are loaded
