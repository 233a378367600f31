"""Where the app reads its key: ``settings.WISEPOPS_API_KEY``, else the environment."""

from __future__ import annotations

from typing import Optional

from django.conf import settings

from .._config import API_KEY_ENV, resolve_api_key


def api_key() -> Optional[str]:
    """The key that signs deliveries and calls the API; ``None`` when none is set."""
    return resolve_api_key(getattr(settings, API_KEY_ENV, None))
