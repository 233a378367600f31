"""Client settings: where they come from, how they are checked, and the headers they make."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Optional, Union
from urllib.parse import urlsplit

import attrs
import httpx

from ._errors import WisepopsError
from ._version import __version__

DEFAULT_BASE_URL = "https://app.wisepops.com"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RESPONSE_BYTES = 16 * 2**20
"""16 MiB, decoded: a full page of 1,000 api2 contacts is about 0.33 MiB (six form fields
each), 2 MiB with ten long survey answers each; bodies past it are refused, unread."""
USER_AGENT = f"wisepops-python/{__version__}"

API_KEY_ENV = "WISEPOPS_API_KEY"
BASE_URL_ENV = "WISEPOPS_BASE_URL"

TimeoutTypes = Union[float, httpx.Timeout]

# Visible ASCII except '"' and '\', which would break out of key="...".
_HEADER_SAFE_KEY = re.compile(r"[!#-\[\]-~]+")
# RFC 9110: a header name is a token; a value is visible ASCII, spaces and tabs.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
# The User-Agent httpx and httpx2 send unless told otherwise: not the user's choice.
_LIBRARY_USER_AGENT = re.compile(r"python-httpx2?/\S+")


@attrs.frozen
class Config:
    """What every request of one client shares. The key is kept out of ``repr()``.

    ``default_headers`` are the user's, as given; ``user_agent`` is theirs (if any) with
    the SDK's token appended.
    """

    api_key: str = attrs.field(repr=False)
    base_url: str
    timeout: httpx.Timeout
    max_retries: int
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    default_headers: Mapping[str, str] = attrs.field(factory=dict, repr=False)
    user_agent: str = USER_AGENT
    _headers: dict[str, str] = attrs.field(init=False, repr=False, eq=False)

    @_headers.default
    def _merged_headers(self) -> dict[str, str]:
        # Computed once: the user's headers override the SDK's Accept; the SDK's
        # Authorization (and the merged User-Agent) override the user's.
        headers = merge_headers({"Accept": "application/json"}, self.default_headers)
        return merge_headers(
            headers,
            {
                "User-Agent": self.user_agent,
                "Authorization": f'WISEPOPS-API key="{self.api_key}"',
            },
        )

    def headers(self) -> dict[str, str]:
        """The headers of every request (a fresh dict: callers add to it)."""
        return dict(self._headers)


def resolve_config(
    api_key: Optional[str],
    base_url: Optional[str],
    timeout: TimeoutTypes,
    max_retries: int,
    *,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    default_headers: Optional[Mapping[str, str]] = None,
    client_user_agent: Optional[str] = None,
) -> Config:
    """Check the constructor's arguments, falling back on the environment.

    ``client_user_agent`` is the ``User-Agent`` set on the user's ``http_client``, if any.
    """
    headers = _default_headers(default_headers)
    return Config(
        api_key=_api_key(api_key),
        base_url=_base_url(base_url),
        timeout=_timeout(timeout),
        max_retries=_max_retries(max_retries),
        max_response_bytes=_max_response_bytes(max_response_bytes),
        default_headers=headers,
        user_agent=_user_agent(headers, client_user_agent),
    )


def merge_headers(base: Mapping[str, str], override: Mapping[str, str]) -> dict[str, str]:
    """``base`` updated with ``override``, matching names case-insensitively."""
    merged = dict(base)
    for name, value in override.items():
        for existing in [key for key in merged if key.lower() == name.lower()]:
            del merged[existing]
        merged[name] = value
    return merged


def _default_headers(headers: Optional[Mapping[str, str]]) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"default_headers must be a mapping, got {type(headers).__name__}")
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"default_headers: {name!r} is not a valid header name")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            # Never echo the value: it may be a token.
            raise ValueError(
                f"default_headers: the value of {name!r} must be a str of printable ASCII"
            )
    return merge_headers({}, headers)


def _user_agent(headers: Mapping[str, str], client_user_agent: Optional[str]) -> str:
    """The user's User-Agent, from ``default_headers`` else their client, then the SDK's."""
    theirs = next((v for k, v in headers.items() if k.lower() == "user-agent"), None)
    if theirs is None and not _LIBRARY_USER_AGENT.fullmatch(client_user_agent or ""):
        theirs = client_user_agent
    theirs = (theirs or "").strip()
    return f"{theirs} {USER_AGENT}" if theirs else USER_AGENT


def resolve_api_key(api_key: Optional[str]) -> Optional[str]:
    """The key given, else ``$WISEPOPS_API_KEY``; ``None`` when neither holds one."""
    if api_key is None:
        api_key = os.environ.get(API_KEY_ENV)
    return api_key or None


def _api_key(given: Optional[str]) -> str:
    api_key = resolve_api_key(given)
    if api_key is None:
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


def _max_response_bytes(max_response_bytes: int) -> int:
    if isinstance(max_response_bytes, bool) or not isinstance(max_response_bytes, int):
        raise TypeError(
            f"max_response_bytes must be an int, got {type(max_response_bytes).__name__}"
        )
    if max_response_bytes < 1:
        raise ValueError(f"max_response_bytes must be 1 or more, got {max_response_bytes}")
    return max_response_bytes
