"""Where the app reads its websites: ``settings.WISEPOPS_WEBSITES`` (a dict, or the text
the variable holds), else ``$WISEPOPS_WEBSITES``, else ``WISEPOPS_API_KEY`` (settings,
then the environment) as the one website ``default``."""

from __future__ import annotations

from django.conf import settings

from .._config import API_KEY_ENV
from .._websites import WEBSITES_ENV, read_websites


def websites() -> dict[str, str]:
    """Each website's name and key; :class:`wisepops.WebsitesError` when none is set or
    the setting is malformed. Read on each call: settings may change under tests."""
    return read_websites(
        getattr(settings, WEBSITES_ENV, None), api_key=getattr(settings, API_KEY_ENV, None)
    )
