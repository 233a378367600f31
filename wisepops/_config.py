"""Client settings: where they come from, how they are checked, and the headers they make."""

from __future__ import annotations

import os
import re
from typing import Optional, Union
from urllib.parse import urlsplit

import attrs
import httpx

from ._errors import WisepopsError
from ._version import __version__

DEFAULT_BASE_URL = "https://app.wisepops.com"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
USER_AGENT = f"wisepops-python/{__version__}"

API_KEY_ENV = "WISEPOPS_API_KEY"
BASE_URL_ENV = "WISEPOPS_BASE_URL"

TimeoutTypes = Union[float, httpx.Timeout]

# Visible ASCII except '"' and '\', which would break out of key="...".
_HEADER_SAFE_KEY = re.compile(r"[!#-\[\]-~]+")


@attrs.frozen
class Config:
    """What every request of one client shares. The key is kept out of ``repr()``."""

    api_key: str = attrs.field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f'WISEPOPS-API key="{self.api_key}"',
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }


def resolve_config(
    api_key: Optional[str],
    base_url: Optional[str],
    timeout: TimeoutTypes,
    max_retries: int,
) -> Config:
    """Check the constructor's arguments, falling back on the environment."""
    return Config(
        api_key=_api_key(api_key),
        base_url=_base_url(base_url),
        timeout=_timeout(timeout),
        max_retries=_max_retries(max_retries),
    )


def _api_key(api_key: Optional[str]) -> str:
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
    if not api_key:
        raise WisepopsError(
            "No WisePops API key: pass Client(api_key=...) or set the "
            f"{API_KEY_ENV} environment variable to your website's API key."
        )
    if not isinstance(api_key, str) or not _HEADER_SAFE_KEY.fullmatch(api_key):
        # Never echo the key: it may be a real one with a stray character.
        raise WisepopsError(
            "The WisePops API key must be a string of visible ASCII characters without "
            "spaces, quotes or backslashes; check for a stray newline or quote."
        )
    return api_key


def _base_url(base_url: Optional[str]) -> str:
    if base_url is None:
        base_url = os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    return base_url.rstrip("/")


def _timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            "timeout must be a number of seconds or an httpx.Timeout; for no timeout at all, "
            "pass httpx.Timeout(None) explicitly"
        )
    if not timeout > 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    return httpx.Timeout(float(timeout), connect=min(float(timeout), 5.0))


def _max_retries(max_retries: int) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int):
        raise TypeError(f"max_retries must be an int, got {type(max_retries).__name__}")
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return max_retries
