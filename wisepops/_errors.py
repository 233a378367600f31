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
    """A call to the WisePops API did not give the expected result."""


class APIConnectionError(APIError):
    """No HTTP response arrived: DNS, refused or reset connection, TLS, or a broken body.

    The underlying ``httpx`` exception is chained as ``__cause__``.
    """


class APITimeoutError(APIConnectionError):
    """The request timed out (connect, write, read or pool), after any retries."""


class APIStatusError(APIError):
    """The API answered with a status code that is not 2xx.

    Attributes:
        status_code: the HTTP status code.
        response: the ``httpx.Response``; its request carries no API key.
        body: the decoded JSON body when it parses, else the text (an HTML error
            page from a proxy, for instance), else ``None`` for an empty body.
    """

    def __init__(self, message: str, *, response: httpx.Response, body: Any) -> None:
        super().__init__(message)
        self.response = response
        self.status_code = response.status_code
        self.body = body


class BadRequestError(APIStatusError):
    """400: the API rejected the parameters."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, wrong or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key is valid but the plan or website does not allow this call."""


class NotFoundError(APIStatusError):
    """404: no such resource, for instance an unknown hook id."""


class RateLimitError(APIStatusError):
    """429: over quota (500 calls per 30 days on api1, 1,500 on api2).

    Attributes:
        retry_after: seconds the server asked to wait, or ``None`` when it did not say.
            The SDK waits out a short ``Retry-After`` itself; it raises this error when
            retries are exhausted or the wait is longer than a minute.
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
    """5xx: the server or a proxy in front of it failed."""


class APIResponseValidationError(APIError):
    """A 2xx response whose body is not what the endpoint returns.

    Attributes:
        response: the ``httpx.Response`` (its request carries no API key), or ``None``
            when the fault spans responses, like a page that repeats the previous one.
    """

    def __init__(self, message: str, *, response: Optional[httpx.Response] = None) -> None:
        super().__init__(message)
        self.response = response


class PayloadError(WisepopsError, ValueError):
    """A webhook body that is not valid WisePops records; the message names the
    record index and the key at fault."""


class SignatureVerificationError(WisepopsError, ValueError):
    """A webhook whose ``X-Wisepops-Signature`` header is missing or does not match."""
