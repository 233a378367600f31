"""The app's URLs under a prefix of the project's own."""

from __future__ import annotations

from django.urls import include, path

urlpatterns = [path("hooks/leads/", include("wisepops.django.urls"))]
