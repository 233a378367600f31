"""wisepops: the Python SDK for the WisePops API.

Typed sync and async clients for collected emails and contacts, hooks, pop-ups and
GDPR/CCPA erasure, and framework-free webhook verification and parsing.

Example::

    import wisepops

    with wisepops.Client() as client:          # reads WISEPOPS_API_KEY
        for contact in client.emails.iter():
            print(contact.collected_at, contact.email)

    contacts = wisepops.unwrap(raw_body, signature_header, api_key)
"""

from ._client import AsyncClient, Client
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    RateLimitError,
    SignatureVerificationError,
    WisepopsError,
)
from ._logs import configure as _configure_logging
from ._pagination import Cursor
from ._version import __version__
from ._webhooks import SIGNATURE_HEADER, parse_payload, sign, unwrap, verify_signature
from ._wire.records import Contact, Hook, Page, Popup

__all__ = [
    "SIGNATURE_HEADER",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "Contact",
    "Cursor",
    "Hook",
    "InternalServerError",
    "NotFoundError",
    "Page",
    "PayloadError",
    "PermissionDeniedError",
    "Popup",
    "RateLimitError",
    "SignatureVerificationError",
    "WisepopsError",
    "__version__",
    "parse_payload",
    "sign",
    "unwrap",
    "verify_signature",
]

_configure_logging()  # WISEPOPS_LOG=debug|info: requests and retries to stderr
