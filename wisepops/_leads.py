"""The leads layout, written once: the tables, how a contact becomes a row, and a sync's walk.

``wisepops.db`` (SQLAlchemy) and ``wisepops.django`` (the ORM) both build on this module,
which imports neither, so that the two write the same rows into the same tables and go on
from each other's cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Callable, Literal, Optional

import attrs

from ._client import Client
from ._pagination import Cursor, Walk
from ._wire.records import Contact
from ._wire.schema import Kind, schema_of
from ._wire.times import DateLike, as_instant, format_datetime, format_wire

LEADS_TABLE = "wisepops_leads"
SYNC_TABLE = "wisepops_sync"

Source = Literal["webhook", "api1", "api2"]
Api = Literal["v1", "v2"]


@attrs.frozen
class Column:
    """One column: its kind of value, whether it may be empty, a length for short text."""

    name: str
    kind: Kind
    nullable: bool = False
    length: Optional[int] = None  # a VARCHAR(length), else TEXT
    primary_key: bool = False


CONTACT = schema_of(Contact)
LEAD_COLUMNS = (
    Column("dedupe_key", Kind.TEXT, length=32, primary_key=True),
    *(Column(f.name, f.kind, nullable=not f.strict) for f in CONTACT.fields),
    Column("extra", Kind.MAPPING),  # what the SDK does not model, and unstorable text
    Column("source", Kind.TEXT, length=16),  # a Source
    Column("stored_at", Kind.INSTANT),
)
"""``wisepops_leads``: a column per field of :class:`Contact`, one row per ``dedupe_key``."""
SYNC_COLUMNS = (
    Column("walk", Kind.TEXT, length=200, primary_key=True),  # walk_id(): the api and filter
    Column("cursor", Kind.TEXT),  # Cursor.to_json()
    Column("updated_at", Kind.INSTANT),
)
"""``wisepops_sync``: the cursor each sync stopped at."""
ROW_ORDER = tuple(column.name for column in LEAD_COLUMNS)
WRITE_PROBE = "wisepops: can this store write?"
"""The ``walk`` of the row a receiver writes and rolls back at start, to know it can write."""


def row(contact: Contact, key: str, source: str) -> list[Any]:
    """A contact's values in :data:`ROW_ORDER`, up to ``stored_at``. A text no database
    can hold (a NUL, a lone surrogate) goes to ``extra`` as it is, its column left
    empty, so nothing is lost and a sync cannot stick on it."""
    values: list[Any] = [key]
    extra = contact.extra
    for field in CONTACT.fields:
        value = getattr(contact, field.name)
        if field.kind is Kind.TEXT and value is not None and not storable(value):
            extra, value = {**extra, field.name: value}, None
        values.append(value)
    values += (extra, source)
    return values


def storable(text: str) -> bool:
    """Whether SQLite and PostgreSQL can both hold ``text`` in a text column."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def walk_id(api: str, since: Optional[datetime], wisepop_id: Optional[int]) -> str:
    """What a saved cursor belongs to: the api and the filter of the sync."""
    return json.dumps(
        {
            "api": api,
            "collected_after": None if since is None else format_datetime(since),
            "wisepop_id": wisepop_id,
        },
        sort_keys=True,
    )


@attrs.frozen
class SyncResult:
    """What one :meth:`LeadStore.sync` did.

    Example: ``print(f"{result.new} new of {result.seen} in {result.calls} calls")``
    """

    new: int
    """Records stored for the first time."""
    seen: int
    """Records the API listed that this store had not synced yet (``new`` and those a
    webhook had stored already)."""
    calls: int
    """Pages requested: what the run cost of the API's quota."""
    cursor: Cursor
    """Where the next run starts."""

    def summary(self) -> str:
        """One line for a person, as ``wisepops sync`` and ``manage.py wisepops_sync``
        end: ``2,500 new of 2,500 seen in 3 calls; the next run starts after ...``.

        Example: ``print(store.sync(client).summary())``
        """
        at = self.cursor.collected_at
        calls = "call" if self.calls == 1 else "calls"
        after = (
            "nothing listed yet" if at is None else f"the next run starts after {format_wire(at)}"
        )
        return f"{self.new:,} new of {self.seen:,} seen in {self.calls:,} {calls}; {after}"


def sync(
    client: Client,
    *,
    api: Api,
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    saved: Callable[[str], Optional[str]],
    commit: Callable[[Sequence[Contact], Source, str, Cursor], int],
    progress: Optional[Callable[[SyncResult], None]] = None,
) -> SyncResult:
    """Walk the API from the cursor ``saved(walk_id)`` returns; after each page, ``commit``
    stores it and the cursor past it in one transaction and returns how many were new.

    The one walk of ``LeadStore.sync`` and ``manage.py wisepops_sync``.
    """
    if not isinstance(client, Client):
        raise TypeError(f"sync() takes a wisepops.Client, not {type(client).__name__}")
    since = None if collected_after is None else as_instant(collected_after)
    key = walk_id(api, since, wisepop_id)
    text = saved(key)
    cursor = None if text is None else Cursor.from_json(text)
    walk: Walk
    if api == "v1":
        walk = client.emails.iter(since, wisepop_id, cursor=cursor)
    elif api == "v2":
        walk = client.v2.contacts.iter(since, wisepop_id, cursor=cursor)
    else:
        raise ValueError(f'api is "v1" or "v2", not {api!r}')
    source: Source = "api1" if api == "v1" else "api2"
    result = SyncResult(new=0, seen=0, calls=0, cursor=walk.cursor)
    for page in walk.pages():
        new = commit(page, source, key, walk.cursor)
        result = SyncResult(
            new=result.new + new,
            seen=result.seen + len(page),
            calls=result.calls + 1,
            cursor=walk.cursor,
        )
        if progress is not None:
            progress(result)
    return result


def rows(contacts: Iterable[Contact], source: str) -> Iterator[list[Any]]:
    """:func:`row` of each contact, once per ``dedupe_key``: one body may repeat a record."""
    seen: set[str] = set()
    for contact in contacts:
        key = contact.dedupe_key
        if key not in seen:
            seen.add(key)
            yield row(contact, key, source)
