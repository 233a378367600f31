"""Records returned by the API and delivered by webhooks, and their parsers.

The parsers are plain functions of decoded JSON values: the clients and the webhook
functions share them, and each turns a :class:`RecordError` into its own public error.
They are strict only where a wrong value would corrupt a user's data (``collected_at``,
``wisepop_id``, a pop-up's ``id``). Everywhere else they are lenient, so that tomorrow's
server never aborts today's export: a key the SDK does not model is kept in ``extra``, an
optional value of an unexpected type is coerced when that loses nothing (``"12"`` for a
count) and otherwise kept, raw, in ``extra`` while the field stays ``None``. PHP's ``[]``
for an empty object and ``null`` for a missing value are accepted; the deprecated
``created_at`` and ``wisepop_name`` of contacts are dropped.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, Optional, Protocol, TypeVar, Union

import attrs

__all__ = [
    "Contact",
    "Hook",
    "Page",
    "Popup",
    "RecordError",
    "contact_from_json",
    "contacts_from_json",
    "decode_json",
    "parse_datetime",
    "popups_from_json",
]

_UTC = timezone.utc

MAX_ID = 2**63 - 1  # what a BIGINT column holds


class RecordError(ValueError):
    """A JSON value that is not a valid record; the message names the index and the key."""


_SURROGATES = re.compile("[\ud800-\udfff]")
_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")  # a count whose int() gives back the same text


class _JSONRecord:
    """``to_json()`` for records: their ``to_dict()`` as one line of JSON."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - every record overrides it
        raise NotImplementedError

    def to_json(self) -> str:
        """The record as a JSON string, ready to write as UTF-8 (one line of a JSONL file).

        Non-ASCII text is written as is; a lone surrogate, which UTF-8 cannot encode, is
        written as a ``\\ud800`` escape instead, so the string always encodes.

        Example: ``file.write(contact.to_json() + "\\n")``
        """
        value = self.to_dict()
        text = _dumps(value, ensure_ascii=False)
        return _dumps(value) if holds_surrogates(text) else text


@attrs.frozen(kw_only=True)
class Contact(_JSONRecord):
    """One collected contact: a form submission from a pop-up.

    ``email`` comes from api1's top-level ``email`` or from api2's ``fields``;
    ``fields`` holds every form field (api1's ``other_fields``, api2's ``fields``).

    Example::

        for contact in client.emails.iter():
            print(contact.collected_at.isoformat(), contact.email, contact.fields.get("City"))
    """

    collected_at: datetime
    """When the contact was collected: an aware datetime in UTC."""
    wisepop_id: int
    """The pop-up that collected it."""
    email: Optional[str] = None
    ip: Optional[str] = None
    country_code: Optional[str] = None
    fields: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """The form's fields as sent, for instance ``{"City": "New York"}``."""
    form_session: Optional[str] = None
    """api2: the id tying together the steps of one multi-step form."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """What the SDK does not model, as sent: keys it does not know yet, and the raw value
    of an optional key whose type was unexpected (that field is then ``None``)."""

    @property
    def dedupe_key(self) -> str:
        """A stable id for de-duplicating deliveries: 32 hex characters.

        WisePops retries failed webhook deliveries, so a receiver can see a record twice.
        The key is derived from ``wisepop_id``, ``collected_at`` and ``email``, or from
        the form's ``fields`` when there is no email (phone and survey blocks). It is the
        same for one record whether it came by api1, api2 or a webhook, differs for two
        submissions that differ, and holds no personal data in clear. Store it in a
        unique column and skip records whose key is already there::

            INSERT INTO leads (dedupe_key, ...) VALUES (...) ON CONFLICT DO NOTHING
        """
        who = "email\x1f" + self.email if self.email else "fields\x1f" + _canonical(self.fields)
        at = as_utc(self.collected_at).isoformat(timespec="microseconds")
        identity = f"{self.wisepop_id}\x1f{at}\x1f{who}"
        return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict in api2's shape, with ``email`` also at the top.

        ``extra`` appears only when the server sent something the SDK does not model.

        Example: ``queue.put(contact.to_dict())``, or ``json.dumps(contact.to_dict())``.
        """
        value = {
            "collected_at": format_datetime(self.collected_at),
            "wisepop_id": self.wisepop_id,
            "email": self.email,
            "ip": self.ip,
            "country_code": self.country_code,
            "form_session": self.form_session,
            "fields": dict(self.fields),
        }
        if self.extra:
            value["extra"] = dict(self.extra)
        return value


@attrs.frozen(kw_only=True)
class Hook(_JSONRecord):
    """A webhook subscription: WisePops POSTs new records of ``event`` to ``target_url``.

    Example::

        hook = client.hooks.create("https://example.com/wisepops/webhook")
        client.hooks.delete(hook.id)
    """

    id: int
    target_url: str
    event: str
    wisepop_id: Optional[int] = None

    def to_dict(self) -> dict[str, Any]:
        """The hook as a JSON-ready dict. Example: ``json.dumps(hook.to_dict())``"""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class Popup(_JSONRecord):
    """A pop-up (a "wisepop") with its lifetime metrics; everything but ``id`` may be absent.

    Example::

        for popup in client.v2.popups.list():
            print(popup.id, popup.label, popup.email_count)
    """

    id: int
    label: Optional[str] = None
    created_at: Optional[datetime] = None
    activated: Optional[bool] = None
    display_count: Optional[int] = None
    click_count: Optional[int] = None
    email_count: Optional[int] = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)
    """What the SDK does not model, as sent: new metrics, and raw values it could not read."""

    def to_dict(self) -> dict[str, Any]:
        """The pop-up as a JSON-ready dict. Example: ``json.dumps(popup.to_dict())``"""
        value = attrs.asdict(self, recurse=False)
        value["created_at"] = None if self.created_at is None else format_datetime(self.created_at)
        value["extra"] = dict(self.extra)
        if not self.extra:
            del value["extra"]
        return value


class _Record(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Record)


@attrs.frozen(kw_only=True)
class Page(_JSONRecord, Generic[R]):
    """The records of one API response, with where they sit in the listing.

    A page is iterable and has a length. ``has_next`` is true when the page is full, so
    a next page may exist (WisePops does not say how many records there are).

    Example::

        page = client.emails.list(page=2)
        print(len(page), page.has_next)
        for contact in page:
            ...
    """

    items: tuple[R, ...]
    page: int
    """The 1-based page number."""
    page_size: int
    """How many records a full page holds."""

    @property
    def has_next(self) -> bool:
        """Whether a next page may exist: true when this page is full."""
        return len(self.items) >= self.page_size

    def __iter__(self) -> Iterator[R]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_dict(self) -> dict[str, Any]:
        """The page and its records as a JSON-ready dict. Example: ``page.to_json()``"""
        return {
            "page": self.page,
            "page_size": self.page_size,
            "has_next": self.has_next,
            "items": [item.to_dict() for item in self.items],
        }


# --- decoding -----------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:20]} is out of range")
    return number


# NaN, Infinity and numbers beyond a double are not JSON that PHP writes; refusing them
# here means no record holds a value that cannot be written back as JSON.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def decode_json(content: Union[bytes, str]) -> Any:
    """Decode a JSON document; ``ValueError`` on anything else, deep nesting included."""
    if isinstance(content, (bytes, bytearray)):
        content = content.decode(json.detect_encoding(content), "surrogatepass")
        if content.startswith("\ufeff"):  # a byte order mark, as json.loads accepts
            content = content[1:]
    try:
        return _DECODER.decode(content)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


# --- parsing -----------------------------------------------------------------------------

_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def json_type(value: object) -> str:
    """How JSON would call the type of ``value``: for error messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


_ISO_FALLBACK = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def _parse_iso_fallback(text: str) -> datetime:
    """The ISO 8601 forms that ``datetime.fromisoformat`` only accepts from Python 3.11."""
    match = _ISO_FALLBACK.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = None
    if zulu:
        tz = _UTC
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time into an aware UTC datetime; no zone means UTC.

    Raises ``ValueError`` for anything else, a time that is out of range in UTC
    (``0001-01-01T00:00:00+01:00``) included.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso_fallback(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    if parsed.tzinfo is not _UTC:
        try:
            return parsed.astimezone(_UTC)
        except OverflowError:
            raise ValueError(f"{text!r} is out of range in UTC") from None
    return parsed


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken as UTC, as the API does."""
    if value.tzinfo is _UTC:
        return value
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def to_millisecond(value: datetime) -> datetime:
    """``value`` cut to the millisecond, the precision WisePops stores and sends."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def holds_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which UTF-8 cannot encode."""
    return not text.isascii() and _SURROGATES.search(text) is not None


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; a naive datetime is taken as UTC, as the API does."""
    value = as_utc(value)
    timespec = "seconds"
    if value.microsecond:
        timespec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


_CLIPPED = "[nested too deeply]"
_CLIP_DEPTH = 32


def _dumps(value: Any, **options: Any) -> str:
    """``json.dumps``, which cannot fail on what a parser returns.

    A value nested hundreds deep decodes fine, yet its encoding can exceed the recursion
    limit from a deeper call stack; only then is it written clipped, rather than raise.
    """
    try:
        return json.dumps(value, **options)
    except RecursionError:
        return json.dumps(_clip(value, _CLIP_DEPTH), **options)


def _clip(value: Any, depth: int) -> Any:
    """``value`` with what is nested more than ``depth`` deep replaced by a marker."""
    if type(value) is dict:
        return {k: _clip(v, depth - 1) for k, v in value.items()} if depth else _CLIPPED
    if type(value) is list:
        return [_clip(v, depth - 1) for v in value] if depth else _CLIPPED
    return value


def _canonical(value: Any) -> str:
    """One spelling of a JSON value, whatever its key order or escapes."""
    return _dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def _required_id(record: Mapping[str, Any], key: str, where: str) -> int:
    value = record.get(key)
    if value is None:
        raise RecordError(f"{where}: {key!r} is missing")
    if type(value) is not int:
        raise RecordError(f"{where}: {key!r} must be an integer, got {json_type(value)}")
    if not 0 <= value <= MAX_ID:
        raise RecordError(f"{where}: {key!r} is out of range: {str(value)[:30]}")
    return value


def _required_datetime(record: Mapping[str, Any], key: str, where: str) -> datetime:
    value = record.get(key)
    if value is None:
        raise RecordError(f"{where}: {key!r} is missing")
    if type(value) is not str:
        raise RecordError(f"{where}: {key!r} must be an ISO 8601 string, got {json_type(value)}")
    try:
        return parse_datetime(value)
    except ValueError:
        shown = ascii(value[:40])  # printable, whatever surrogates it holds
        raise RecordError(
            f"{where}: {key!r} is not an ISO 8601 date-time in range: {shown}"
        ) from None


class _Lenient:
    """Reads a record's optional keys; what it cannot read goes, raw, to ``extra``."""

    def __init__(self, record: Mapping[str, Any], modelled: frozenset[str]) -> None:
        self.record = record
        self.extra = {key: value for key, value in record.items() if key not in modelled}

    def _keep(self, key: str) -> None:
        self.extra[key] = self.record[key]

    def text(self, key: str) -> Optional[str]:
        value = self.record.get(key)
        if value is None or type(value) is str:
            return value
        self._keep(key)
        return None

    def count(self, key: str) -> Optional[int]:
        """An integer; a numeric string or a whole float is coerced, as nothing is lost."""
        value = self.record.get(key)
        if value is None or type(value) is int:
            return value
        if type(value) is str and _DIGITS.fullmatch(value):
            return int(value)
        if type(value) is float and value.is_integer() and abs(value) < 2**53:
            return int(value)
        self._keep(key)
        return None

    def flag(self, key: str) -> Optional[bool]:
        """A boolean; PHP's 0 and 1 are read as false and true."""
        value = self.record.get(key)
        if value is None or type(value) is bool:
            return value
        if type(value) is int and value in (0, 1):
            return bool(value)
        self._keep(key)
        return None

    def instant(self, key: str) -> Optional[datetime]:
        value = self.record.get(key)
        if value is None:
            return None
        if type(value) is str:
            try:
                return parse_datetime(value)
            except ValueError:
                pass
        self._keep(key)
        return None

    def fields(self) -> dict[str, Any]:
        """api2's ``fields`` or api1's ``other_fields``; the other one, if sent, to ``extra``."""
        key, other = "fields", "other_fields"
        if self.record.get(key) is None:
            key, other = other, key
        if self.record.get(other) is not None:
            self._keep(other)
        value = self.record.get(key)
        if type(value) is dict:
            return value
        if value is not None and value != []:  # PHP's json_encode writes [] for {}
            self._keep(key)
        return {}

    def kept(self) -> Mapping[str, Any]:
        """``extra``: the keys the SDK does not model, and the values it could not read."""
        return self.extra


_DROPPED = frozenset({"created_at", "wisepop_name"})  # deprecated by WisePops: never used
_CONTACT_KEYS = frozenset(
    {
        "collected_at",
        "wisepop_id",
        "email",
        "ip",
        "country_code",
        "fields",
        "other_fields",
        "form_session",
    }
)
_CONTACT_MODELLED = _CONTACT_KEYS | _DROPPED


def contact_from_json(record: object, index: int) -> Contact:
    """Build a :class:`Contact` from one decoded record, in api1's or api2's shape.

    Every check is made one by one, so that an error names the record and the key.
    """
    where = f"record {index}"
    if type(record) is not dict:
        raise RecordError(f"{where}: expected an object, got {json_type(record)}")
    collected_at = _required_datetime(record, "collected_at", where)
    wisepop_id = _required_id(record, "wisepop_id", where)
    read = _Lenient(record, _CONTACT_MODELLED)
    fields = read.fields()
    email = read.text("email")
    if email is None:
        nested = fields.get("email")
        email = nested if type(nested) is str else None
    return Contact(
        collected_at=collected_at,
        wisepop_id=wisepop_id,
        email=email,
        ip=read.text("ip"),
        country_code=read.text("country_code"),
        fields=fields,
        form_session=read.text("form_session"),
        extra=read.kept(),
    )


# Contact's slot descriptors: they fill a new instance without the frozen __setattr__.
_set_collected_at = Contact.__dict__["collected_at"].__set__
_set_wisepop_id = Contact.__dict__["wisepop_id"].__set__
_set_email = Contact.__dict__["email"].__set__
_set_ip = Contact.__dict__["ip"].__set__
_set_country_code = Contact.__dict__["country_code"].__set__
_set_fields = Contact.__dict__["fields"].__set__
_set_form_session = Contact.__dict__["form_session"].__set__


class _UnsetReadsEmpty:
    """``Contact.extra``: its slot, given an empty dict when first read unset.

    The fast path below leaves ``extra`` unset, as nothing is extra in a record of the
    usual shape; setting the slot cost 9% of parsing a page (``benchmarks/run.py``).
    """

    def __init__(self, slot: Any) -> None:
        self._slot = slot  # the member descriptor of attrs' slotted class

    def __get__(self, instance: object, owner: Optional[type] = None) -> Any:
        if instance is None:
            return self
        try:
            return self._slot.__get__(instance, owner)
        except AttributeError:
            empty: dict[str, Any] = {}
            self._slot.__set__(instance, empty)  # as attrs' factory would have
            return empty

    def __set__(self, instance: object, value: Any) -> None:
        self._slot.__set__(instance, value)


setattr(Contact, "extra", _UnsetReadsEmpty(Contact.__dict__["extra"]))  # noqa: B010 - typed as a field


def contacts_from_json(value: object) -> list[Contact]:
    """Build contacts from a decoded JSON array of records.

    The hot path of ``parse_payload`` and of every listing page: a record of the usual
    shape (known keys, expected types) is checked in one expression and
    its ``Contact`` filled through the slot descriptors, which costs half of attrs' frozen
    ``__init__`` (measured by ``benchmarks/run.py``; ``tests/test_records.py`` checks both
    ways agree). Any other record goes through :func:`contact_from_json`, which keeps
    what it cannot model in ``extra`` or explains what is wrong.
    """
    if type(value) is not list:
        raise RecordError(f"expected an array of records, got {json_type(value)}")
    new, fromisoformat = object.__new__, datetime.fromisoformat
    try:  # every key of every record at once: usually all known, then none is checked alone
        known = set().union(*value) <= _CONTACT_MODELLED
    except TypeError:  # a record that is not a dict: the careful parser names it
        known = False
    contacts: list[Contact] = []
    append = contacts.append
    for record in value:
        if type(record) is dict:
            get = record.get
            collected_at, wisepop_id = get("collected_at"), get("wisepop_id")
            email, ip, country_code = get("email"), get("ip"), get("country_code")
            form_session, fields = get("form_session"), get("fields")
            if fields is None:
                fields = get("other_fields")
            elif "other_fields" in record:
                fields = None  # both shapes at once: the careful parser sorts it out
            if (
                type(collected_at) is str
                and type(wisepop_id) is int
                and 0 <= wisepop_id <= MAX_ID
                and type(fields) is dict
                and (email is None or type(email) is str)
                and (ip is None or type(ip) is str)
                and (country_code is None or type(country_code) is str)
                and (form_session is None or type(form_session) is str)
                and (known or record.keys() <= _CONTACT_MODELLED)
            ):
                try:
                    at = fromisoformat(collected_at)
                except ValueError:
                    at = None
                if at is not None and at.tzinfo is _UTC:
                    if email is None:
                        nested = fields.get("email")
                        email = nested if type(nested) is str else None
                    contact = new(Contact)
                    _set_collected_at(contact, at)
                    _set_wisepop_id(contact, wisepop_id)
                    _set_email(contact, email)
                    _set_ip(contact, ip)
                    _set_country_code(contact, country_code)
                    _set_fields(contact, fields)
                    _set_form_session(contact, form_session)
                    append(contact)
                    continue
        append(contact_from_json(record, len(contacts)))  # its index, or an error
    return contacts


_POPUP_MODELLED = frozenset(
    {"id", "label", "created_at", "activated", "display_count", "click_count", "email_count"}
)


def popup_from_json(record: object, index: int) -> Popup:
    """Build a :class:`Popup` from one decoded element of ``GET /api2/wisepops``."""
    where = f"pop-up {index}"
    if type(record) is not dict:
        raise RecordError(f"{where}: expected an object, got {json_type(record)}")
    read = _Lenient(record, _POPUP_MODELLED)
    return Popup(
        id=_required_id(record, "id", where),
        label=read.text("label"),
        created_at=read.instant("created_at"),
        activated=read.flag("activated"),
        display_count=read.count("display_count"),
        click_count=read.count("click_count"),
        email_count=read.count("email_count"),
        extra=read.kept(),
    )


def popups_from_json(value: object) -> list[Popup]:
    """Build pop-ups from the decoded body of ``GET /api2/wisepops``."""
    if type(value) is not list:
        raise RecordError(f"expected an array of pop-ups, got {json_type(value)}")
    return [popup_from_json(record, index) for index, record in enumerate(value)]
