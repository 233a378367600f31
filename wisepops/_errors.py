"""The exceptions the SDK raises, all under :class:`WisepopsError`.

::

    WisepopsError
    ├── APIError
    │   ├── APIConnectionError            the request got no HTTP response
    │   │   └── APITimeoutError
    │   ├── APIStatusError                .status_code, .response, .body
    │   │   ├── BadRequestError           400
    │   │   ├── AuthenticationError       401
    │   │   ├── PermissionDeniedError     403
    │   │   ├── NotFoundError             404
    │   │   ├── RateLimitError            429, .retry_after
    │   │   └── InternalServerError       >= 500
    │   └── APIResponseValidationError    a 2xx body that is not what the endpoint returns
    ├── PayloadError                      a webhook body that is not valid records
    └── SignatureVerificationError        a webhook whose signature is missing or wrong

``PayloadError`` and ``SignatureVerificationError`` are also ``ValueError``, so code
that already treats bad input as ``ValueError`` keeps working.
"""

from __future__ import annotations

import itertools
from typing import Any, Optional

import httpx

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "InternalServerError",
    "NotFoundError",
    "PayloadError",
    "PermissionDeniedError",
    "RateLimitError",
    "SignatureVerificationError",
    "WisepopsError",
]


class WisepopsError(Exception):
    """Base class of every exception this SDK raises on purpose.

    Example::

        try:
            client.emails.list()
        except wisepops.WisepopsError as exc:
            log.warning("WisePops failed: %s", exc)
    """


class APIError(WisepopsError):
    """A call to the WisePops API did not give the expected result.

    Example::

        try:
            page = client.emails.list()
        except wisepops.APIError:
            page = None  # WisePops is unreachable or answered badly: try later
    """


class APIConnectionError(APIError):
    """No HTTP response arrived: DNS, refused or reset connection, TLS, or a broken body.

    The underlying ``httpx`` exception is chained as ``__cause__``.

    Example::

        except wisepops.APIConnectionError as exc:
            log.warning("WisePops unreachable: %s (%r)", exc, exc.__cause__)
    """


class APITimeoutError(APIConnectionError):
    """The request timed out, after any retries: its last attempt took longer than
    ``timeout`` allows, in one phase (connect, write, read or pool) or as a whole.

    Example::

        client = wisepops.Client(timeout=httpx.Timeout(60.0, connect=5.0))  # more patience
    """


class APIStatusError(APIError):
    """The API answered with a status code that is not 2xx.

    Attributes:
        status_code: the HTTP status code.
        response: the ``httpx.Response``; its request carries no API key.
        body: the decoded JSON body when it parses, else the text (an HTML error
            page from a proxy, for instance), else ``None`` for an empty body.

    Example::

        except wisepops.APIStatusError as exc:
            print(exc.status_code, exc.body)
    """

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class BadRequestError(APIStatusError):
    """400: the API rejected the parameters.

    Example: ``except wisepops.BadRequestError as exc: print(exc.body)``
    """


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked.

    Example: ``except wisepops.AuthenticationError: sys.exit("check WISEPOPS_API_KEY")``
    """


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but the plan or website does not allow this call.

    Example: ``except wisepops.PermissionDeniedError: notify("the API needs a Pro plan")``
    """


class NotFoundError(APIStatusError):
    """404: no such resource, for instance an unknown hook id.

    Example::

        with contextlib.suppress(wisepops.NotFoundError):
            client.hooks.delete(hook_id)  # already gone is fine
    """


class RateLimitError(APIStatusError):
    """429: over quota (500 calls per 30 days in WisePops' older documentation, 1,500 in
    the current one).

    Attributes:
        retry_after: seconds the server asked to wait, or ``None`` when it did not say.
            The SDK waits out a short ``Retry-After`` itself; it raises this error when
            retries are exhausted or the wait is longer than a minute.

    Example::

        except wisepops.RateLimitError as exc:
            schedule_retry(after=exc.retry_after or 3600)
    """

    def __init__(
        self,
        message: str,
        *,
        response: httpx.Response,
        body: Any,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, response=response, body=body)
        self.retry_after = retry_after


class InternalServerError(APIStatusError):
    """5xx: the server or a proxy in front of it failed (after any retries).

    Example: ``except wisepops.InternalServerError: schedule_retry(after=300)``
    """


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not what the endpoint returns, or is larger than
    ``max_response_bytes``.

    Attributes:
        response: the ``httpx.Response`` (its request carries no API key), or ``None``
            when the fault spans responses, like a page that repeats the previous one.

    Example::

        except wisepops.APIResponseValidationError as exc:
            log.error("unexpected answer from WisePops: %s", exc)
    """

    def __init__(self, message: str, *, response: Optional[httpx.Response] = None) -> None:
        super().__init__(message)
        self.response = response


class PayloadError(WisepopsError, ValueError):
    """A webhook body that is not valid WisePops records; the message names the
    record index and the key at fault.

    Example::

        except wisepops.PayloadError as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    """


class SignatureVerificationError(WisepopsError, ValueError):
    """A webhook whose ``X-Wisepops-Signature`` header is missing or does not match.

    Example::

        except wisepops.SignatureVerificationError:
            return JsonResponse({"error": "invalid signature"}, status=401)
    """


class WebsitesError(WisepopsError, ValueError):
    """``WISEPOPS_WEBSITES`` (or the mapping given in its place) cannot be read: the
    message names the variable and the entry at fault, never a key.

    Example::

        try:
            websites = wisepops.read_websites()
        except wisepops.WebsitesError as exc:
            sys.exit(str(exc))
    """


class UnknownWebsiteError(WisepopsError, LookupError):
    """A delivery to ``/webhook/<website>`` for a website that is not configured.

    Example::

        except wisepops.UnknownWebsiteError:
            return JsonResponse({"error": "no such website"}, status=404)
    """


REDACTED = "[redacted]"
SHORTEST_PIECE = 8
"""Fewer characters of a key than this may show in a message; more never do."""


def redact(text: str, secret: str) -> str:
    """``text`` with every run of :data:`SHORTEST_PIECE` or more characters of ``secret``
    replaced: a message cut at a length may end in the start of an echoed key, or begin
    with its end, which replacing the whole key would leave."""
    if len(secret) < SHORTEST_PIECE:
        return text.replace(secret, REDACTED) if secret else text
    pieces = {secret[i : i + SHORTEST_PIECE] for i in range(len(secret) - SHORTEST_PIECE + 1)}
    hidden = [False] * len(text)
    for i in range(len(text) - SHORTEST_PIECE + 1):
        if text[i : i + SHORTEST_PIECE] in pieces:
            hidden[i : i + SHORTEST_PIECE] = [True] * SHORTEST_PIECE
    shown, at = [], 0
    for is_hidden, run in itertools.groupby(hidden):
        length = len(list(run))
        shown.append(REDACTED if is_hidden else text[at : at + length])
        at += length
    return "".join(shown)
