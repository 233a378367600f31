"""The request/response cycle written once, without I/O, for both clients.

:func:`exchange` is a generator: it yields a :class:`RequestSpec` to send or a
:class:`Sleep` to wait, receives the outcome of each attempt (an ``httpx.Response`` read
within its limit, the ``httpx.RequestError`` it raised, or :class:`~._attempt.TooLarge`),
and returns the operation's value or raises the right :mod:`wisepops` error. ``Client``
and ``AsyncClient`` drive it with their own I/O, each attempt through an
:class:`~._attempt.Attempt` (:meth:`RequestSpec.attempt`) bounded by
:attr:`RequestSpec.deadline`.

It also logs, on the ``wisepops`` logger: each attempt at DEBUG (method, path, status,
elapsed milliseconds, attempt number), each retry at INFO. Never the key, nor the query.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Generator, Mapping
from typing import Any, Callable, Optional, TypeVar, Union
from urllib.parse import urlencode

import attrs
import httpx

from ._attempt import DEFAULT_MAX_REDIRECTS, Attempt, Attempted, TooLarge, attempt_seconds
from ._config import Config
from ._errors import (
    REDACTED,
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    redact,
)
from ._operations import Operation
from ._retry import Outcome, RetryPolicy, parse_retry_after

T = TypeVar("T")

logger = logging.getLogger("wisepops")

_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


@attrs.frozen
class RequestSpec:
    """Everything needed to build the ``httpx.Request`` of one attempt."""

    method: str
    url: str
    params: Mapping[str, Any]
    headers: Mapping[str, str] = attrs.field(repr=lambda headers: repr(_shown_headers(headers)))
    content: Optional[bytes]
    timeout: httpx.Timeout
    max_bytes: int
    """The most a 2xx body may hold, decoded: ``max_response_bytes``."""
    deadline: Optional[float] = attrs.field(init=False)
    """Seconds one attempt may take in all, or ``None`` for no bound."""

    @deadline.default
    def _deadline(self) -> Optional[float]:
        return attempt_seconds(self.timeout)

    def attempt(
        self, http: Union[httpx.Client, httpx.AsyncClient], client: object, *, traced: bool
    ) -> Attempt:
        """An attempt at this request on ``http``, following redirects as ``client`` does.

        ``client`` is the user's own (httpx or httpx2) or ours; ``traced``: note each
        connection made, so that :meth:`~._attempt.Attempt.cancel` can shut it (sync only:
        httpcore calls a trace hook of the client's own kind).
        """
        attempt = Attempt(
            self.build(http),
            self.max_bytes,
            seconds=self.deadline,
            follow_redirects=bool(getattr(client, "follow_redirects", False)),
            max_redirects=getattr(client, "max_redirects", DEFAULT_MAX_REDIRECTS),
        )
        if traced:
            attempt.request.extensions["trace"] = attempt.trace
        return attempt

    def build(self, http: Union[httpx.Client, httpx.AsyncClient]) -> httpx.Request:
        """The request, with ``http``'s default headers under the SDK's own."""
        return http.build_request(
            self.method,
            self.url,
            params=self.params or None,
            headers=self.headers,
            content=self.content,
            timeout=self.timeout,
        )


@attrs.frozen
class Sleep:
    """Wait this many seconds before the next attempt."""

    seconds: float


Command = Union[RequestSpec, Sleep]
Exchange = Generator[Command, Optional[Attempted], T]


def request_spec(config: Config, operation: Operation[Any]) -> RequestSpec:
    """The request for ``operation``: absolute URL, auth, User-Agent and JSON body."""
    headers = config.headers()
    content = None
    if operation.json is not None:
        headers["Content-Type"] = "application/json"
        content = json.dumps(operation.json, separators=(",", ":")).encode("utf-8")
    url, params = config.base_url + operation.path, operation.params
    if params and all(type(value) is str for value in params.values()):
        # The query as httpx would write it (urlencode), once: half the cost of its merge.
        url, params = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}", {}
    return RequestSpec(
        method=operation.method,
        url=url,
        params=params,
        headers=headers,
        content=content,
        timeout=config.timeout,
        max_bytes=config.max_response_bytes,
    )


def exchange(
    config: Config,
    operation: Operation[T],
    *,
    jitter: Callable[[], float] = random.random,
    clock: Callable[[], float] = time.time,
    timer: Callable[[], float] = time.perf_counter,
) -> Exchange[T]:
    """Send ``operation`` with retries; see the module docstring for the protocol.

    ``clock`` is the POSIX time (for ``Retry-After`` dates); ``timer`` measures attempts.
    """
    policy = RetryPolicy(max_retries=config.max_retries)
    spec = request_spec(config, operation)
    retry = 0
    while True:
        started = timer()
        outcome = yield spec
        if outcome is None:
            raise RuntimeError("exchange() must be sent the outcome of each request")
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %s in %.0f ms (attempt %d of %d)",
                operation.method,
                _log_path(operation, config),
                _describe(outcome),
                (timer() - started) * 1000,
                retry + 1,
                config.max_retries + 1,
            )
        if isinstance(outcome, TooLarge):
            raise _too_large(config, operation, outcome)
        if isinstance(outcome, httpx.Response) and outcome.is_success:
            return _parse_success(config, operation, outcome)
        delay = policy.delay(operation.method, outcome, retry, jitter=jitter(), now=clock())
        if delay is None:
            raise _failure(config, operation, outcome, clock())
        retry += 1
        logger.info(
            "Retrying %s %s in %.2f s (retry %d of %d) after %s",
            operation.method,
            _log_path(operation, config),
            delay,
            retry,
            config.max_retries,
            _describe(outcome),
        )
        yield Sleep(delay)


def _log_path(operation: Operation[Any], config: Config) -> str:
    """The path without a query (``request()`` lets one in) and without a pasted key."""
    return _scrub(operation.path.partition("?")[0], config)


def _describe(outcome: Attempted) -> str:
    if isinstance(outcome, TooLarge):
        return f"HTTP {outcome.response.status_code}, over max_response_bytes"
    if isinstance(outcome, httpx.Response):
        return f"HTTP {outcome.status_code}"
    return type(outcome).__name__


def _too_large(config: Config, operation: Operation[Any], outcome: TooLarge) -> Exception:
    """The error for a 2xx body over the cap: what the cap is, and how to raise it."""
    limit = outcome.limit
    message = (
        f"{operation.method} {operation.path} returned {outcome.response.status_code} with a "
        f"body over max_response_bytes={limit:,} ({limit / 2**20:.3g} MiB); if it is "
        "genuine, raise the limit: wisepops.Client(max_response_bytes=...) or "
        "client.with_options(max_response_bytes=...)"
    )
    return APIResponseValidationError(_scrub(message, config), response=_redacted(outcome.response))


def _parse_success(config: Config, operation: Operation[T], response: httpx.Response) -> T:
    try:
        value = operation.parse(response)
    except ValueError as exc:  # JSON errors and RecordError are ValueErrors
        message = (
            f"{operation.method} {operation.path} returned {response.status_code} "
            f"with an unexpected body: {exc}"
        )
        error = APIResponseValidationError(_scrub(message, config), response=_redacted(response))
        raise error from None
    if isinstance(value, httpx.Response) and value is response:  # handed to the caller
        _redacted(value)
    return value


def _failure(config: Config, operation: Operation[Any], outcome: Outcome, now: float) -> Exception:
    """The error to raise for a final, unsuccessful outcome."""
    where = f"{operation.method} {operation.path}"
    if isinstance(outcome, httpx.RequestError):
        _redact_request(outcome)
        kind = (
            APITimeoutError if isinstance(outcome, httpx.TimeoutException) else APIConnectionError
        )
        error: Exception = kind(
            _scrub(f"{where} failed: {type(outcome).__name__}: {outcome}", config)
        )
        error.__cause__ = outcome
        return error
    response = _redacted(outcome)
    body = _decode_error_body(response)
    status = response.status_code
    message = f"{where} returned {status} {response.reason_phrase}".rstrip()
    excerpt = _excerpt(body)
    if excerpt:
        message += f": {excerpt}"
    message = _scrub(message, config)
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    if cls is RateLimitError:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
        return RateLimitError(message, response=response, body=body, retry_after=retry_after)
    return cls(message, response=response, body=body)


def _decode_error_body(response: httpx.Response) -> Any:
    """JSON when the body parses, else its text, else ``None``: never raises."""
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except (ValueError, RecursionError):
        return response.content.decode("utf-8", errors="replace")


_TAGS = re.compile(r"<[^<>]*>")  # not [^>]*: "<" after "<" would make it quadratic
_SPACES = re.compile(r"\s+")


def _excerpt(body: Any, limit: int = 200) -> str:
    """A one-line hint from an error body: its message if JSON, else its text."""
    if isinstance(body, dict):
        for key in ("message", "error", "detail"):
            if isinstance(body.get(key), str):
                body = body[key]
                break
    text = body if isinstance(body, str) else ("" if body is None else json.dumps(body))
    text = _SPACES.sub(" ", _TAGS.sub(" ", text)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrub(message: str, config: Config) -> str:
    """``message`` without the key, should a server or proxy echo it back."""
    if len(config.api_key) < 6:  # too short to be a real key, and replacing it would garble
        return message
    return redact(message, config.api_key)


def _shown_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` as a repr shows them: the key replaced (tracebacks with locals)."""
    return {
        name: REDACTED if name.lower() == "authorization" else value
        for name, value in headers.items()
    }


def _without_key(request: httpx.Request) -> httpx.Request:
    """A copy of ``request`` whose ``Authorization`` header no longer carries the key."""
    headers = httpx.Headers(request.headers)
    if "Authorization" in headers:
        headers["Authorization"] = f'WISEPOPS-API key="{REDACTED}"'
    return httpx.Request(request.method, request.url, headers=headers, content=_body(request))


def _body(request: httpx.Request) -> bytes:
    try:
        return request.content
    except httpx.RequestNotRead:  # a redirect's request: httpx hands the body on unread
        return request.read() if isinstance(request.stream, httpx.SyncByteStream) else b""


def _redacted(response: httpx.Response) -> httpx.Response:
    """``response`` whose requests (its own, its redirects') no longer carry the key."""
    for hop in (*response.history, response):
        hop.request = _without_key(hop.request)
    return response


def _redact_request(error: httpx.RequestError) -> None:
    try:
        request = error.request
    except RuntimeError:  # raised before a request was attached
        return
    error.request = _without_key(request)
