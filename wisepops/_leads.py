"""The leads layout, written once: the tables, how a contact becomes a row, and a sync's walk.

``wisepops.db`` (SQLAlchemy) and ``wisepops.django`` (the ORM) both build on this module,
which imports neither, so that the two write the same rows into the same tables and go on
from each other's cursor.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Callable, Literal, Optional

import attrs

from ._client import Client
from ._errors import APIConnectionError, APIStatusError, WisepopsError
from ._pagination import Cursor, Walk
from ._websites import DEFAULT_WEBSITE, check_name
from ._wire.records import Contact
from ._wire.schema import Kind, schema_of
from ._wire.times import UTC, DateLike, as_instant, format_datetime, format_wire

LEADS_TABLE = "wisepops_leads"
SYNC_TABLE = "wisepops_sync"
FINGERPRINT_LENGTH = 16
_FINGERPRINT_LABEL = b"wisepops sync cursor key"

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
    numbered: bool = False  # 1, 2, 3...: given by the database as rows are inserted


CONTACT = schema_of(Contact)
LEAD_COLUMNS = (
    Column("dedupe_key", Kind.TEXT, length=32, primary_key=True),
    *(Column(f.name, f.kind, nullable=not f.strict) for f in CONTACT.fields),
    Column("extra", Kind.MAPPING),  # what the SDK does not model, and unstorable text
    Column("source", Kind.TEXT, length=16),  # a Source
    Column("website", Kind.TEXT),  # the name of the website whose key fetched or signed it
    Column("stored_at", Kind.INSTANT),
)
"""``wisepops_leads``: a column per field of :class:`Contact`, one row per ``dedupe_key``."""
SYNC_COLUMNS = (
    Column("walk", Kind.TEXT, length=200, primary_key=True),  # walk_id(): website, api, filter
    Column("cursor", Kind.TEXT),  # Cursor.to_json()
    Column("updated_at", Kind.INSTANT),
    Column("key_fingerprint", Kind.TEXT, nullable=True, length=FINGERPRINT_LENGTH),
)
"""``wisepops_sync``: the cursor each sync stopped at, and the key it was made with."""
ROW_ORDER = tuple(column.name for column in LEAD_COLUMNS)
ADDED_COLUMNS = {
    (LEADS_TABLE, "website"): f"TEXT NOT NULL DEFAULT '{DEFAULT_WEBSITE}'",
    (SYNC_TABLE, "key_fingerprint"): f"VARCHAR({FINGERPRINT_LENGTH})",
}
"""The columns a table made before websites lacks, and their SQL for ``ADD COLUMN``, on
SQLite and PostgreSQL: the rows there are the website ``default``'s, and their cursors,
of no known key, are not resumed. The default stays, so that a receiver of the version
before, still running while the next starts, goes on storing."""
WRITE_PROBE = "wisepops: can this store write?"
"""The ``walk`` of the row a receiver writes and rolls back at start, to know it can write."""


def key_fingerprint(api_key: str) -> str:
    """Which key a saved cursor was made with, never the key: 16 hex characters (64 bits)
    of an HMAC-SHA256 under a fixed label, so that another key's sync does not resume
    it. Not reversible: WisePops keys are far longer than what 64 bits could tell."""
    digest = hmac.new(_FINGERPRINT_LABEL, api_key.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:FINGERPRINT_LENGTH]


def row(contact: Contact, key: str, source: str, website: str) -> list[Any]:
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
    values += (extra, source, website)
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


def walk_id(website: str, api: str, since: Optional[datetime], wisepop_id: Optional[int]) -> str:
    """What a saved cursor belongs to: the website, the api and the filter of the sync."""
    return json.dumps(
        {
            "api": api,
            "collected_after": None if since is None else format_datetime(since),
            "website": website,
            "wisepop_id": wisepop_id,
        },
        sort_keys=True,
    )


@attrs.frozen
class Step:
    """What a sync's ``commit`` writes with each page, besides its contacts and cursor."""

    source: Source
    website: str
    walk: str  # walk_id()
    key_fingerprint: str


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
    restarted: bool = False
    """The saved cursor was made with another key (or before cursors remembered theirs),
    so this run walked from the start rather than resume it: a changed key costs one
    walk again, never a lead skipped."""

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
        restarted = "key changed: walked again from the start; " if self.restarted else ""
        return (
            f"{self.new:,} new of {self.seen:,} seen in {self.calls:,} {calls}; {restarted}{after}"
        )


def sync(
    client: Client,
    *,
    api: Api,
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    saved: Callable[[str], Optional[tuple[str, Optional[str]]]],
    commit: Callable[[Sequence[Contact], Step, Cursor], int],
    start_run: Callable[[dict[str, Any]], int],
    finish_run: Callable[[int, dict[str, Any]], None],
    progress: Optional[Callable[[SyncResult], None]] = None,
    website: str = DEFAULT_WEBSITE,
) -> SyncResult:
    """Walk the API from the cursor ``saved(walk_id)`` returns with its key's fingerprint,
    unless that is another key's; after each page, ``commit`` stores it, the cursor past
    it and the fingerprint in one transaction and returns how many were new.

    The run is a row of ``wisepops_runs``: ``start_run`` inserts it before anything
    else and returns its id, ``finish_run`` completes it at the end, with the totals
    and, for a run that raised, :func:`error_line`; a process killed leaves it unfinished.

    The one walk of ``LeadStore.sync`` and ``manage.py wisepops_sync``.
    """
    if not isinstance(client, Client):
        raise TypeError(f"sync() takes a wisepops.Client, not {type(client).__name__}")
    if api not in ("v1", "v2"):
        raise ValueError(f'api is "v1" or "v2", not {api!r}')
    check_name(website)
    since = None if collected_after is None else as_instant(collected_after)
    key = walk_id(website, api, since, wisepop_id)
    run = start_run({"website": website, "api": api, "walk": key, "started_at": datetime.now(UTC)})
    result = SyncResult(new=0, seen=0, calls=0, cursor=Cursor())
    try:
        fingerprint = key_fingerprint(client._config.api_key)
        found = saved(key)
        restarted = found is not None and found[1] != fingerprint
        cursor = None if found is None or restarted else Cursor.from_json(found[0])
        walk: Walk = (
            client.emails.iter(since, wisepop_id, cursor=cursor)
            if api == "v1"
            else client.v2.contacts.iter(since, wisepop_id, cursor=cursor)
        )
        step = Step("api1" if api == "v1" else "api2", website, key, fingerprint)
        result = SyncResult(new=0, seen=0, calls=0, cursor=walk.cursor, restarted=restarted)
        for page in walk.pages():
            new = commit(page, step, walk.cursor)
            result = attrs.evolve(
                result,
                new=result.new + new,
                seen=result.seen + len(page),
                calls=result.calls + 1,
                cursor=walk.cursor,
            )
            if progress is not None:
                progress(result)
    except BaseException as exc:  # Ctrl-C too: a run interrupted is a run that ended
        with contextlib.suppress(Exception):  # a database gone: the run stays unfinished
            finish_run(run, finished(result, error_line(exc)))
        raise
    finish_run(run, finished(result, None))
    return result


def rows(contacts: Iterable[Contact], source: str, website: str) -> list[list[Any]]:
    """:func:`row` of each contact, once per ``dedupe_key`` (one body may repeat a
    record); ``ValueError`` for a website's name :func:`check_name` refuses."""
    check_name(website)
    seen: set[str] = set()
    found = []
    for contact in contacts:
        key = contact.dedupe_key
        if key not in seen:
            seen.add(key)
            found.append(row(contact, key, source, website))
    return found


@attrs.frozen
class Outcome:
    """One website's part of a sync of several: its line, and whether it failed."""

    website: str
    line: str
    failed: bool


SyncOne = Callable[[Client, str, Callable[[SyncResult], None]], SyncResult]
"""A sync of one website: its client, its name, and a progress callback to pass on."""


def sync_websites(
    client: Client,
    websites: Mapping[str, str],
    sync_one: SyncOne,
    describe: Callable[[Exception], str] = str,
) -> Iterator[Outcome]:
    """Sync each website in turn with its own key, over ``client``'s connections; the
    one loop of ``wisepops sync`` and ``manage.py wisepops_sync``.

    A website that fails (a refused key, the network, a cursor that cannot be read) is
    its line, ``describe``'d, and what its committed pages stored; the others still run.
    Each line starts ``name: `` when there is more than one website.
    """
    for name, key in websites.items():
        sofar: Optional[SyncResult] = None

        def progress(result: SyncResult) -> None:
            nonlocal sofar
            sofar = result

        try:
            line, failed = (
                sync_one(client.with_options(api_key=key), name, progress).summary(),
                False,
            )
        except (WisepopsError, ValueError) as exc:  # ValueError: a saved cursor unreadable
            line, failed = describe(exc), True
            if sofar is not None:  # the pages before are committed, with their cursor
                line += (
                    f"; stopped after {sofar.new:,} new of {sofar.seen:,} seen, which are "
                    "stored: the next run goes on from there"
                )
        yield Outcome(name, f"{name}: {line}" if len(websites) > 1 else line, failed)


# --- runs: wisepops_runs, one row per sync run of a website ---------------------------

RUNS_TABLE = "wisepops_runs"
RUN_COLUMNS = (
    Column("id", Kind.ID, primary_key=True, numbered=True),
    Column("website", Kind.TEXT),
    Column("api", Kind.TEXT, length=2),  # "v1" or "v2"
    Column("walk", Kind.TEXT, length=200),  # walk_id(): the website, api and filter
    Column("started_at", Kind.INSTANT),
    Column("finished_at", Kind.INSTANT, nullable=True),  # empty while running, or killed
    Column("new", Kind.COUNT, nullable=True),  # the totals: empty until the run ends
    Column("seen", Kind.COUNT, nullable=True),
    Column("calls", Kind.COUNT, nullable=True),
    Column("error", Kind.TEXT, nullable=True),  # error_line() of a run that raised
)
"""``wisepops_runs``: each sync run of a website, written when it starts and completed
when it ends. Two writes a run, none a page: a run killed shows when it started, not how
far it got (its pages are committed; the next run goes on after them)."""
RUN_ORDER = tuple(column.name for column in RUN_COLUMNS)


@attrs.frozen
class Run:
    """One sync run of one website, as ``wisepops_runs`` keeps it.

    Example::

        for run in store.runs(website="shop-fr", limit=5):
            print(run.started_at, run.finished_at or "unfinished", run.new, run.error or "")
    """

    id: int
    website: str
    api: str
    """``"v1"`` or ``"v2"``."""
    walk: str
    """What the run walked: the website, api and filter, as its saved cursor is keyed."""
    started_at: datetime
    finished_at: Optional[datetime]
    """``None`` while the run goes on, and for ever if its process was killed."""
    new: Optional[int]
    """:attr:`SyncResult.new`, ``seen`` and ``calls`` when the run ended (so far, if it
    failed); ``None`` while it runs or if it was killed."""
    seen: Optional[int]
    calls: Optional[int]
    error: Optional[str]
    """Why the run failed, on one line (:func:`error_line`), else ``None``."""


def finished(result: SyncResult, error: Optional[str]) -> dict[str, Any]:
    """The values ``finish_run`` writes into a run's row."""
    return {
        "finished_at": datetime.now(UTC),
        "new": result.new,
        "seen": result.seen,
        "calls": result.calls,
        "error": error,
    }


def error_line(exc: BaseException) -> str:
    """What a run keeps of its failure: the exception's type, and the HTTP status or the
    network error's type, as ``AuthenticationError: HTTP 401``. Never a message, which may
    quote a response's body (a lead's data) or, echoed by a proxy, the key."""
    name = type(exc).__name__
    if isinstance(exc, APIStatusError):
        return f"{name}: HTTP {exc.status_code}"
    if isinstance(exc, APIConnectionError) and exc.__cause__ is not None:
        return f"{name}: {type(exc.__cause__).__name__}"
    return name


# --- erasure: the suppression of erased people (see wisepops._erasure) -------------------

ERASURE_TABLE = "wisepops_erasure"
SUPPRESSED_TABLE = "wisepops_suppressed"
ERASURE_COLUMNS = (
    Column("id", Kind.ID, primary_key=True),  # always 1: one row per database
    Column("secret", Kind.TEXT, length=64),  # the hashes' key, made once: 32 random bytes in hex
    Column("suppressed", Kind.COUNT),  # how many hashes wisepops_suppressed holds
)
"""``wisepops_erasure``: one row, the key of the suppression's hashes and their number, and
the row every writer and every erasure meet on (see :mod:`wisepops._erasure`)."""
SUPPRESSED_COLUMNS = (
    Column("hash", Kind.TEXT, length=64, primary_key=True),  # HMAC-SHA256, hex
    Column("erased_at", Kind.INSTANT),
)
"""``wisepops_suppressed``: a keyed hash of each erased email and phone, never the text."""
