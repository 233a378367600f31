"""Records returned by the API and delivered by webhooks, and their parsers.

The parsers are plain functions of decoded JSON values: the clients and the webhook
functions share them, and each turns a :class:`RecordError` into its own public error.
They are lenient where WisePops is loose (unknown and deprecated keys are ignored; PHP's
``[]`` for an empty object and ``null`` for a missing value are accepted) and strict
where a wrong value would corrupt a user's data (``collected_at``, ``wisepop_id``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, Optional, TypeVar

import attrs

__all__ = [
    "Contact",
    "Hook",
    "Page",
    "Popup",
    "RecordError",
    "contact_from_json",
    "contacts_from_json",
    "parse_datetime",
    "popups_from_json",
]

T = TypeVar("T")

_UTC = timezone.utc


class RecordError(ValueError):
    """A JSON value that is not a valid record; the message names the index and the key."""


@attrs.frozen(kw_only=True)
class Contact:
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

    @property
    def dedupe_key(self) -> str:
        """A stable id for de-duplicating deliveries: 32 hex characters.

        WisePops retries failed webhook deliveries, so a receiver can see a record twice.
        The key is derived from ``wisepop_id``, ``collected_at``, ``email`` and
        ``form_session``; it is the same for a record delivered twice, whether it came
        from a webhook or from the listing API, and it holds no personal data in clear.
        Store it in a unique column and skip records whose key is already there::

            INSERT INTO leads (dedupe_key, ...) VALUES (...) ON CONFLICT DO NOTHING
        """
        identity = "\x1f".join(
            (
                str(self.wisepop_id),
                self.collected_at.astimezone(_UTC).isoformat(timespec="microseconds"),
                self.email or "",
                self.form_session or "",
            )
        )
        return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:32]

    def to_json(self) -> dict[str, Any]:
        """The record as a JSON-ready dict in api2's shape, with ``email`` also at the top.

        Example: ``writer.writerow(contact.to_json())`` with a ``csv.DictWriter``, or
        ``json.dumps(contact.to_json())`` for a JSON line.
        """
        return {
            "collected_at": format_datetime(self.collected_at),
            "wisepop_id": self.wisepop_id,
            "email": self.email,
            "ip": self.ip,
            "country_code": self.country_code,
            "form_session": self.form_session,
            "fields": dict(self.fields),
        }


@attrs.frozen(kw_only=True)
class Hook:
    """A webhook subscription: WisePops POSTs new records of ``event`` to ``target_url``.

    Example::

        hook = client.hooks.create("https://example.com/wisepops/webhook")
        client.hooks.delete(hook.id)
    """

    id: int
    target_url: str
    event: str
    wisepop_id: Optional[int] = None


@attrs.frozen(kw_only=True)
class Popup:
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


@attrs.frozen(kw_only=True)
class Page(Generic[T]):
    """The records of one API response, with where they sit in the listing.

    A page is iterable and has a length. ``has_next`` is true when the page is full, so
    a next page may exist (WisePops does not say how many records there are).

    Example::

        page = client.emails.list(page=2)
        print(len(page), page.has_next)
        for contact in page:
            ...
    """

    items: tuple[T, ...]
    page: int
    """The 1-based page number."""
    page_size: int
    """How many records a full page holds."""

    @property
    def has_next(self) -> bool:
        """Whether a next page may exist: true when this page is full."""
        return len(self.items) >= self.page_size

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


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

    Raises ``ValueError`` for anything else.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso_fallback(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=_UTC)
    if parsed.tzinfo is not _UTC:
        return parsed.astimezone(_UTC)
    return parsed


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken as UTC, as the API does."""
    return value.replace(tzinfo=_UTC) if value.tzinfo is None else value.astimezone(_UTC)


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; a naive datetime is taken as UTC, as the API does."""
    value = as_utc(value)
    timespec = "seconds"
    if value.microsecond:
        timespec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def _required_int(record: Mapping[str, Any], key: str, where: str) -> int:
    value = record.get(key)
    if value is None:
        raise RecordError(f"{where}: {key!r} is missing")
    if type(value) is not int:
        raise RecordError(f"{where}: {key!r} must be an integer, got {json_type(value)}")
    return value


def _optional(record: Mapping[str, Any], key: str, kind: type[T], where: str) -> Optional[T]:
    value = record.get(key)
    if value is None or type(value) is kind:
        return value
    raise RecordError(
        f"{where}: {key!r} must be {_JSON_TYPES[kind]} or null, got {json_type(value)}"
    )


def _datetime(record: Mapping[str, Any], key: str, where: str) -> Optional[datetime]:
    value = record.get(key)
    if value is None:
        return None
    if type(value) is not str:
        raise RecordError(f"{where}: {key!r} must be an ISO 8601 string, got {json_type(value)}")
    try:
        return parse_datetime(value)
    except ValueError:
        raise RecordError(
            f"{where}: {key!r} is not an ISO 8601 date-time: {value[:40]!r}"
        ) from None


def _fields(record: Mapping[str, Any], where: str) -> dict[str, Any]:
    key = "fields" if record.get("fields") is not None else "other_fields"
    value = record.get(key)
    if type(value) is dict:
        return value
    if value is None or value == []:  # PHP's json_encode writes an empty array for {}
        return {}
    raise RecordError(f"{where}: {key!r} must be an object, got {json_type(value)}")


def contact_from_json(record: object, index: int) -> Contact:
    """Build a :class:`Contact` from one decoded record, in api1's or api2's shape.

    Every check is made one by one, so that an error names the record and the key.
    """
    where = f"record {index}"
    if type(record) is not dict:
        raise RecordError(f"{where}: expected an object, got {json_type(record)}")
    collected_at = _datetime(record, "collected_at", where)
    if collected_at is None:
        raise RecordError(f"{where}: 'collected_at' is missing")
    fields = _fields(record, where)
    email = _optional(record, "email", str, where)
    if email is None:
        nested = fields.get("email")
        email = nested if type(nested) is str else None
    return Contact(
        collected_at=collected_at,
        wisepop_id=_required_int(record, "wisepop_id", where),
        email=email,
        ip=_optional(record, "ip", str, where),
        country_code=_optional(record, "country_code", str, where),
        fields=fields,
        form_session=_optional(record, "form_session", str, where),
    )


_TEXT_OR_NULL = frozenset({str, type(None)})

# Contact's slot descriptors: they fill a new instance without the frozen __setattr__.
_set_collected_at = Contact.__dict__["collected_at"].__set__
_set_wisepop_id = Contact.__dict__["wisepop_id"].__set__
_set_email = Contact.__dict__["email"].__set__
_set_ip = Contact.__dict__["ip"].__set__
_set_country_code = Contact.__dict__["country_code"].__set__
_set_fields = Contact.__dict__["fields"].__set__
_set_form_session = Contact.__dict__["form_session"].__set__


def contacts_from_json(value: object) -> list[Contact]:
    """Build contacts from a decoded JSON array of records.

    The hot path of ``parse_payload`` and of every listing page: a record of the usual
    shape is checked in one expression and its ``Contact`` filled through the slot
    descriptors, which costs half of attrs' frozen ``__init__`` (measured by
    ``benchmarks/run.py``; ``tests/test_records.py`` checks both ways agree). Any other
    record goes through :func:`contact_from_json`, which explains what is wrong.
    """
    if type(value) is not list:
        raise RecordError(f"expected an array of records, got {json_type(value)}")
    new, fromisoformat, text = object.__new__, datetime.fromisoformat, _TEXT_OR_NULL
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
            if (
                type(collected_at) is str
                and type(wisepop_id) is int
                and type(fields) is dict
                and type(email) in text
                and type(ip) in text
                and type(country_code) in text
                and type(form_session) in text
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


def popup_from_json(record: object, index: int) -> Popup:
    """Build a :class:`Popup` from one decoded element of ``GET /api2/wisepops``."""
    where = f"pop-up {index}"
    if type(record) is not dict:
        raise RecordError(f"{where}: expected an object, got {json_type(record)}")
    return Popup(
        id=_required_int(record, "id", where),
        label=_optional(record, "label", str, where),
        created_at=_datetime(record, "created_at", where),
        activated=_optional(record, "activated", bool, where),
        display_count=_optional(record, "display_count", int, where),
        click_count=_optional(record, "click_count", int, where),
        email_count=_optional(record, "email_count", int, where),
    )


def popups_from_json(value: object) -> list[Popup]:
    """Build pop-ups from the decoded body of ``GET /api2/wisepops``."""
    if type(value) is not list:
        raise RecordError(f"expected an array of pop-ups, got {json_type(value)}")
    return [popup_from_json(record, index) for index, record in enumerate(value)]
