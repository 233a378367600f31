"""Checking and decoding webhook deliveries: pure functions, no network, no framework.

WisePops signs each delivery with ``X-Wisepops-Signature``: the lowercase hex
HMAC-SHA256 of the raw request body, keyed by the website's API key.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Sequence
from typing import Any, Optional, Union

from ._errors import PayloadError, SignatureVerificationError
from ._wire.decode import RecordError, decode_json, from_json, json_type, list_from_json
from ._wire.records import Contact

__all__ = ["SIGNATURE_HEADER", "parse_payload", "sign", "unwrap", "verify_signature"]

SIGNATURE_HEADER = "X-Wisepops-Signature"
"""The request header that carries the signature."""

Body = Union[bytes, bytearray, memoryview, str]
Header = Union[str, bytes, bytearray, memoryview, None]
Keys = Union[str, Sequence[str]]

_SIGNATURE_LENGTH = 64  # hex characters of a SHA-256 digest

try:  # the C HMAC that hmac.new wraps in Python: that wrapper was a third of a 1 KB verify
    from _hashlib import hmac_new as _hmac
except ImportError:  # a Python built without OpenSSL
    _hmac = hmac.new  # type: ignore[assignment] # the same call, in Python


def _body_bytes(body: Body) -> bytes:
    if isinstance(body, str):
        return str.encode(body, "utf-8")  # str's own: a subclass may override encode()
    try:
        return memoryview(body).tobytes()  # any bytes-like object
    except (TypeError, ValueError):  # ValueError: a released memoryview
        raise TypeError(f"body must be bytes or str, got {type(body).__name__}") from None


def _key_bytes(api_keys: Keys) -> list[bytes]:
    if isinstance(api_keys, (str, bytes, bytearray)):  # bytes: one key, not a list of ints
        keys: list[object] = [api_keys]
    elif isinstance(api_keys, Iterable):
        keys = list(api_keys)
    else:  # os.environ.get() of an unset variable, typically
        raise TypeError(
            f"api_key must be a str or a sequence of str, got {type(api_keys).__name__}"
        )
    if not keys:
        raise ValueError("api_key must be a key, or a non-empty sequence of keys")
    checked: list[bytes] = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"api_key must be a str, got {type(key).__name__}")
        if not key:
            raise ValueError("api_key must not be empty")
        checked.append(key.encode("utf-8"))
    return checked


def sign(body: Body, api_key: str) -> str:
    """The ``X-Wisepops-Signature`` WisePops would send for ``body``: lowercase hex.

    Example::

        headers = {wisepops.SIGNATURE_HEADER: wisepops.sign(body, api_key)}
    """
    if not isinstance(api_key, str):
        raise TypeError(f"api_key must be a str, got {type(api_key).__name__}")
    (key,) = _key_bytes(api_key)
    return _hmac(key, _body_bytes(body), "sha256").hexdigest()


def verify_signature(body: Body, header: Header, api_key: Keys) -> bool:
    """Whether ``header`` is the signature of the exact bytes ``body`` under ``api_key``.

    ``api_key`` may be a sequence of keys while you rotate them: any match is enough.
    The digests are compared as bytes in constant time; case and surrounding spaces of
    the header are ignored. The header may be any ``str`` (subclasses are read as their
    text) or bytes-like object (raw ASGI headers). Any header value (``None``, empty,
    garbage) gives ``False``, never an exception; an empty key raises ``ValueError``, as
    it is a bug in the caller.

    Example::

        if not wisepops.verify_signature(request.body, request.headers.get(
                wisepops.SIGNATURE_HEADER), api_key):
            return HttpResponse(status=401)
    """
    if type(api_key) is str and api_key:  # the common case first: this runs per request
        keys: Sequence[bytes] = (api_key.encode("utf-8"),)
    else:
        keys = _key_bytes(api_key)
    return signer(body, header, keys) is not None


def signer(body: Body, header: Header, keys: Sequence[bytes]) -> Optional[int]:
    """The index of the first of ``keys`` whose signature of ``body`` ``header`` is;
    ``None`` when none is. Every key is checked, each in constant time, whichever
    matched: the time taken tells how many keys there are, not which one signed."""
    try:
        data = body if type(body) is bytes else _body_bytes(body)
    except UnicodeEncodeError:  # a lone surrogate: not a body anyone could have signed
        return None
    given = _header_digest(header if type(header) is str else _header_text(header))
    if given is None:
        return None
    found: Optional[int] = None
    for index, key in enumerate(keys):  # no early exit
        if hmac.compare_digest(_hmac(key, data, "sha256").digest(), given) and found is None:
            found = index
    return found


def _header_text(header: object) -> Optional[str]:
    """The header as a plain ``str``: from a ``str`` subclass, or from any bytes-like
    object (raw ASGI headers are bytes); ``None`` for anything else."""
    if isinstance(header, str):
        return str.__str__(header)  # its text, whatever methods the subclass overrides
    try:
        return memoryview(header).tobytes().decode("latin-1")  # type: ignore[arg-type]
    except (TypeError, ValueError):  # not bytes-like, or a released memoryview
        return None


def _header_digest(header: Optional[str]) -> Optional[bytes]:
    """The 32 bytes a signature header spells in hex, or ``None`` for anything else."""
    if header is None:
        return None
    header = header.strip()
    if len(header) != _SIGNATURE_LENGTH or not header.isascii():
        return None
    try:
        return bytes.fromhex(header)  # either case; inner spaces leave it short, so no match
    except ValueError:
        return None


def parse_payload(body: Body) -> list[Contact]:
    """Decode a delivery into contacts: a JSON array of records, or one record object.

    Both record shapes are read (api1's ``email`` and ``other_fields``, api2's ``fields``
    and ``form_session``). Anything that is not valid records raises
    :class:`~wisepops.PayloadError` naming the record index and the key.

    Example::

        for contact in wisepops.parse_payload(request.body):
            queue.put(contact)
    """
    value = _decode(body)
    try:
        if type(value) is list:
            return list_from_json(Contact, value)
        if type(value) is dict:
            return [from_json(Contact, value, 0)]
    except RecordError as exc:
        raise PayloadError(str(exc)) from None
    raise PayloadError(f"expected a JSON array of records or one record, got {json_type(value)}")


def _decode(body: Body) -> Any:
    try:
        text = body if isinstance(body, str) else _body_bytes(body).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"the body is not valid UTF-8 (byte {exc.start})") from None
    try:
        return decode_json(text)
    except ValueError as exc:  # also NaN, deep nesting, an integer with thousands of digits
        raise PayloadError(f"the body is not valid JSON: {exc}") from None


def unwrap(body: Body, header: Header, api_key: Keys) -> list[Contact]:
    """Verify the signature, then parse: the one call a receiver needs.

    Raises :class:`~wisepops.SignatureVerificationError` (answer 401) when the header is
    missing or wrong, :class:`~wisepops.PayloadError` (answer 400) when the signed body
    is not valid records.

    Example::

        contacts = wisepops.unwrap(
            request.get_data(), request.headers.get(wisepops.SIGNATURE_HEADER), api_key
        )
    """
    verified_signer(body, header, _key_bytes(api_key))
    return parse_payload(body)


def verified_signer(body: Body, header: Header, keys: Sequence[bytes]) -> int:
    """:func:`signer`, or :class:`~wisepops.SignatureVerificationError` saying why none."""
    text = _header_text(header)
    if not text:
        raise SignatureVerificationError(f"the {SIGNATURE_HEADER} header is missing")
    index = signer(body, text, keys)
    if index is None:
        raise SignatureVerificationError(
            f"the {SIGNATURE_HEADER} header does not match the body: check the API key, "
            "and that the raw body is verified, not re-serialised JSON"
        )
    return index
