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

import sys

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
    UnknownWebsiteError,
    WebsitesError,
    WisepopsError,
)
from ._logs import configure as _configure_logging
from ._pagination import Cursor
from ._version import __version__
from ._webhooks import SIGNATURE_HEADER, parse_payload, sign, unwrap, verify_signature
from ._websites import read_websites, unwrap_website
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
    "UnknownWebsiteError",
    "WebsitesError",
    "WisepopsError",
    "__version__",
    "parse_payload",
    "read_websites",
    "sign",
    "unwrap",
    "unwrap_website",
    "verify_signature",
]


def _publish(namespace: dict[str, object]) -> None:
    """Name the public classes ``wisepops.X``, as users import them, in reprs and tracebacks.

    Their annotations are resolved first, in the private module that defines them, since
    ``typing.get_type_hints`` reads a class's names from its ``__module__``.
    """
    import inspect  # noqa: PLC0415 - needed once, here
    import typing  # noqa: PLC0415

    for name in __all__:
        cls = namespace[name]
        if isinstance(cls, type) and cls.__module__ != __name__:
            if sys.version_info >= (3, 10):
                own = inspect.get_annotations(cls)
            else:  # the class's own, as inspect.get_annotations reads them from 3.10 on
                own = cls.__dict__.get("__annotations__")  # noqa: RUF063
            if own:
                try:
                    hints = typing.get_type_hints(cls, include_extras=True)
                except NameError:  # a name only type checkers import: unresolvable anyway
                    hints = dict(own)
                cls.__annotations__ = {key: hints[key] for key in own}
            cls.__module__ = __name__


_publish(globals())
_configure_logging()  # WISEPOPS_LOG=debug|info: requests and retries to stderr
