"""When to retry a request and how long to wait first: pure functions, no I/O.

GET and DELETE (and the other idempotent methods, for ``client.request()``) are retried
on connection errors, timeouts, 408, 429 and 5xx. POST (and PATCH) is retried only where
the server cannot have acted on it (the connection was never made, 429, 503), so a hook
is never created twice.
"""

from __future__ import annotations

import math
import re
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Optional, Union

import attrs
import httpx

Outcome = Union[httpx.Response, httpx.RequestError]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})
_IDEMPOTENT_RETRY_STATUSES = frozenset({408, 429})
_POST_RETRY_STATUSES = frozenset({429, 503})
_SECONDS = re.compile(r"\d+(?:\.\d+)?")

# Errors raised before any byte of the request could reach the server.
_NOT_CONNECTED = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@attrs.frozen
class RetryPolicy:
    """Exponential backoff with jitter: about 0.5 s, 1 s, 2 s ... capped at 8 s.

    A ``Retry-After`` of at most ``max_retry_after`` seconds replaces the backoff; a
    longer one is not waited out.
    """

    max_retries: int = 2
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, retry: int, jitter: float) -> float:
        """The wait before retry number ``retry`` (0-based); ``jitter`` is in [0, 1)."""
        delay = min(self.max_delay, self.base_delay * 2.0**retry)
        return delay * (1.0 - 0.25 * jitter)

    def delay(
        self, method: str, outcome: Outcome, retry: int, *, jitter: float, now: float
    ) -> Optional[float]:
        """Seconds to wait before retry number ``retry`` (0-based), or ``None`` to give up.

        ``jitter`` is in [0, 1); ``now`` is the POSIX time, for a ``Retry-After`` date.
        """
        if retry >= self.max_retries or not is_retryable(method, outcome):
            return None
        if isinstance(outcome, httpx.Response):
            retry_after = parse_retry_after(outcome.headers.get("Retry-After"), now)
            if retry_after is not None:
                return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff(retry, jitter)


def is_retryable(method: str, outcome: Outcome) -> bool:
    """Whether a request that ended in ``outcome`` may be sent again."""
    idempotent = method in _IDEMPOTENT_METHODS
    if isinstance(outcome, httpx.Response):
        status = outcome.status_code
        if not idempotent:
            return status in _POST_RETRY_STATUSES
        return status in _IDEMPOTENT_RETRY_STATUSES or status >= 500
    if not idempotent:
        return isinstance(outcome, _NOT_CONNECTED)
    return isinstance(outcome, httpx.TransportError)


def parse_retry_after(value: Optional[str], now: float) -> Optional[float]:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or ``None``.

    ``now`` is the current POSIX time, for the date form. Garbage gives ``None``.
    """
    if value is None:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        seconds = float(value)
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC in RFC 5322
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - now)
