"""The records, each declared once: Contact, Hook, Popup, and the Page that holds them.

Each field says its kind and its api1 and api2 keys (see :mod:`.schema`); the parsers in
:mod:`.decode` and the encoders in :mod:`.encode` are derived from that.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Generic, Optional, Protocol, TypeVar

import attrs

from . import encode
from .schema import EXTRA, Kind, Nested, record, wire
from .times import as_utc


class _Record:
    """``to_dict()`` and ``to_json()`` from the record's declaration."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as a JSON-ready dict; ``extra`` only when the server sent any.

        Example: ``queue.put(record.to_dict())``, or ``json.dumps(record.to_dict())``.
        """
        return encode.to_dict(self)

    def to_json(self) -> str:
        """The record as a JSON string, ready to write as UTF-8 (one line of a JSONL file).

        Non-ASCII text is written as is; a lone surrogate, which UTF-8 cannot encode, is
        written as a ``\\ud800`` escape instead, so the string always encodes.

        Example: ``file.write(record.to_json() + "\\n")``
        """
        return encode.to_json(self.to_dict())


@record("record", dropped=("created_at", "wisepop_name"))  # deprecated by WisePops
@attrs.frozen(kw_only=True)
class Contact(_Record):
    """One collected contact: a form submission from a pop-up.

    ``email`` comes from api1's top-level ``email`` or from api2's ``fields``;
    ``fields`` holds every form field (api1's ``other_fields``, api2's ``fields``).

    Example::

        for contact in client.emails.iter():
            print(contact.collected_at.isoformat(), contact.email, contact.fields.get("City"))
    """

    collected_at: datetime = attrs.field(metadata=wire(Kind.INSTANT, strict=True))
    """When the contact was collected: an aware datetime in UTC."""
    wisepop_id: int = attrs.field(metadata=wire(Kind.ID, strict=True))
    """The pop-up that collected it."""
    email: Optional[str] = attrs.field(
        default=None, metadata=wire(Kind.TEXT, api2=Nested("fields", "email"))
    )
    ip: Optional[str] = attrs.field(default=None, metadata=wire(Kind.TEXT))
    country_code: Optional[str] = attrs.field(default=None, metadata=wire(Kind.TEXT))
    form_session: Optional[str] = attrs.field(default=None, metadata=wire(Kind.TEXT, api1=None))
    """api2: the id tying together the steps of one multi-step form."""
    fields: Mapping[str, Any] = attrs.field(
        factory=dict, hash=False, metadata=wire(Kind.MAPPING, api1="other_fields")
    )
    """The form's fields as sent, for instance ``{"City": "New York"}``."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False, metadata=EXTRA)
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
        if self.email:
            who = "email\x1f" + self.email
        else:
            who = "fields\x1f" + encode.canonical(self.fields)
        at = as_utc(self.collected_at).isoformat(timespec="microseconds")
        identity = f"{self.wisepop_id}\x1f{at}\x1f{who}"
        return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@record("hook")
@attrs.frozen(kw_only=True)
class Hook(_Record):
    """A webhook subscription: WisePops POSTs new records of ``event`` to ``target_url``.

    Example::

        hook = client.hooks.create("https://example.com/wisepops/webhook")
        client.hooks.delete(hook.id)
    """

    id: int = attrs.field(metadata=wire(Kind.ID, strict=True))
    target_url: str = attrs.field(metadata=wire(Kind.TEXT, strict=True))
    event: str = attrs.field(metadata=wire(Kind.TEXT, strict=True))
    wisepop_id: Optional[int] = attrs.field(default=None, metadata=wire(Kind.ID))
    """Only records from this pop-up are forwarded; ``None``: every pop-up's."""
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False, metadata=EXTRA)
    """What the SDK does not model, as a listing sent it: keys it does not know yet."""


@record("pop-up", api1=False)  # only api2 lists pop-ups
@attrs.frozen(kw_only=True)
class Popup(_Record):
    """A pop-up (a "wisepop") with its lifetime metrics; everything but ``id`` may be absent.

    Example::

        for popup in client.v2.popups.list():
            print(popup.id, popup.label, popup.email_count)
    """

    id: int = attrs.field(metadata=wire(Kind.ID, strict=True))
    label: Optional[str] = attrs.field(default=None, metadata=wire(Kind.TEXT))
    created_at: Optional[datetime] = attrs.field(default=None, metadata=wire(Kind.INSTANT))
    activated: Optional[bool] = attrs.field(default=None, metadata=wire(Kind.FLAG))
    display_count: Optional[int] = attrs.field(default=None, metadata=wire(Kind.COUNT))
    click_count: Optional[int] = attrs.field(default=None, metadata=wire(Kind.COUNT))
    email_count: Optional[int] = attrs.field(default=None, metadata=wire(Kind.COUNT))
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False, metadata=EXTRA)
    """What the SDK does not model, as sent: new metrics, and raw values it could not read."""


class _Dictable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=_Dictable)


@attrs.frozen(kw_only=True)
class Page(_Record, Generic[R]):
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
