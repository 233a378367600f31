"""Leads in your database: each one once, from webhooks and from the API, resumable.

``pip install "wisepops[db]"`` (SQLite) or ``"wisepops[postgresql]"``. This is the only
module that imports SQLAlchemy; ``import wisepops`` never does.

Example::

    from wisepops.db import LeadStore

    store = LeadStore("sqlite:///leads.sqlite3")
    store.create()
    store.add(wisepops.unwrap(body, signature, api_key))   # in a webhook receiver
    store.sync(client)                                      # from a scheduled job
    store.sync(shop_de, website="shop-de")                  # each website: its own cursor
"""

from __future__ import annotations

import contextlib
import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from os import PathLike
from pathlib import Path
from typing import Any, Optional, Union

try:
    import sqlalchemy as sa
except ModuleNotFoundError:  # pragma: no cover - the extra is installed for the tests
    raise ModuleNotFoundError(
        'wisepops.db needs SQLAlchemy: pip install "wisepops[db]" '
        '(or "wisepops[postgresql]" for PostgreSQL)',
        name="sqlalchemy",
    ) from None

from . import _erasure, _leads, _status
from ._client import Client
from ._errors import WisepopsError
from ._leads import (
    ERASURE_TABLE,
    LEADS_TABLE,
    ROW_ORDER,
    RUNS_TABLE,
    SUPPRESSED_TABLE,
    SYNC_TABLE,
    Run,
    SyncResult,
)
from ._pagination import Cursor
from ._status import Status
from ._websites import DEFAULT_WEBSITE
from ._wire.records import Contact
from ._wire.schema import Kind
from ._wire.times import UTC, DateLike, as_utc

__all__ = [
    "LEADS_TABLE",
    "RUNS_TABLE",
    "SYNC_TABLE",
    "LeadStore",
    "Run",
    "Status",
    "StoreError",
    "SyncResult",
]

SQLITE_BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for another one's transaction
_BUSY = "wisepops_busy_timeout"  # set on this SQLite connection: a key of the pool's info
_CREATE_LOCK = 0x77697365706F7073  # "wisepops": PostgreSQL's advisory lock around create()

Api = _leads.Api
Source = _leads.Source
_Rows = tuple[list[list[Any]], list[tuple[Any, ...]]]  # values in ROW_ORDER, the driver's


class StoreError(WisepopsError):
    """The database cannot be used as asked: a bad URL, a missing driver, a table of
    another layout, a database that cannot be opened.

    Example::

        try:
            store.create()
        except StoreError as exc:
            sys.exit(f"leads database: {exc}")
    """


class _Instant(sa.TypeDecorator[datetime]):
    """A timestamp with time zone, read back as an aware UTC datetime on every database
    (SQLite keeps no zone: it stores the UTC wall time)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_COLUMN_TYPES: Mapping[Kind, Any] = {
    Kind.INSTANT: _Instant,
    Kind.ID: sa.BigInteger,
    Kind.TEXT: sa.Text,
    Kind.COUNT: sa.BigInteger,
    Kind.FLAG: sa.Boolean,
    Kind.MAPPING: sa.JSON,  # JSON, not JSONB: it keeps any string, \u0000 included
}


_TABLES = (
    (LEADS_TABLE, _leads.LEAD_COLUMNS),
    (SYNC_TABLE, _leads.SYNC_COLUMNS),
    (RUNS_TABLE, _leads.RUN_COLUMNS),
    (ERASURE_TABLE, _leads.ERASURE_COLUMNS),
    (SUPPRESSED_TABLE, _leads.SUPPRESSED_COLUMNS),
)


def _tables() -> sa.MetaData:
    """The tables of :mod:`wisepops._leads`: the leads, the cursor each sync stopped at,
    the sync runs and the suppression of erased people."""
    metadata = sa.MetaData()
    for name, columns in _TABLES:
        sa.Table(name, metadata, *(_column(column) for column in columns))
    return metadata


def _column(column: _leads.Column) -> sa.Column[Any]:
    if column.numbered:  # SQLite numbers an INTEGER PRIMARY KEY itself; PostgreSQL an IDENTITY
        numbered = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
        return sa.Column(column.name, numbered, sa.Identity(), primary_key=True)
    column_type = sa.String(column.length) if column.length else _COLUMN_TYPES[column.kind]
    return sa.Column(
        column.name, column_type, primary_key=column.primary_key, nullable=column.nullable
    )


class LeadStore:
    """A table of leads, ``wisepops_leads``, one row per ``dedupe_key``.

    Args:
        database: an SQLAlchemy URL (``sqlite:///leads.sqlite3``,
            ``postgresql+psycopg://user@host/db``), a SQLite file path, or an
            ``sqlalchemy.Engine`` of your own (Flask-SQLAlchemy's ``db.engine``).

    Safe from many threads and processes at once: each write is one transaction, and on
    SQLite an immediate one in WAL mode that waits for the others.

    Example::

        store = LeadStore(os.environ.get("WISEPOPS_DB", "sqlite:///leads.sqlite3"))
        store.create()
    """

    def __init__(self, database: Union[str, PathLike[str], sa.Engine]) -> None:
        self._owned = not isinstance(database, sa.Engine)  # an engine of yours stays open
        self.engine = database if isinstance(database, sa.Engine) else _engine(database)
        self._metadata = _tables()
        self.leads = self._metadata.tables[LEADS_TABLE]
        self._walks = self._metadata.tables[SYNC_TABLE]
        self._runs = self._metadata.tables[RUNS_TABLE]
        self._checked = False

    def __repr__(self) -> str:
        return f"LeadStore({self._url!r})"

    @property
    def _url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close the connections of the engine made from a URL; an engine of yours stays
        as it is. ``with LeadStore(...) as store:`` closes on leaving.

        Example: ``store.close()``, when the job that used it ends
        """
        if self._owned:
            self.engine.dispose()

    def __enter__(self) -> LeadStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def create(self) -> None:
        """Create the tables where they are missing; check the layout of those that are not.

        Tables of the layout before websites are upgraded in place: their rows become the
        website ``default``'s, and their saved cursors, made with no key remembered, are
        walked again once.

        Safe from many processes starting at once on an empty database (the workers of
        several receivers, a sync): they take turns, so each finds the tables or makes them.

        Example: ``LeadStore("postgresql://app@db/leads").create()``, at deploy or at start
        """
        if self._sqlite:
            with self._connection() as connection:
                _switch_to_wal(connection)
        with self._transaction() as connection:  # on SQLite, BEGIN IMMEDIATE: one at a time
            if self.engine.dialect.name == "postgresql":  # two CREATE TABLEs: one would fail
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_CREATE_LOCK})")
            self._metadata.create_all(connection, checkfirst=True)
            _add_missing_columns(connection)
            _driver(connection, _erasure.FIRST_ROW.format(mark=self._mark), [_erasure.new_secret()])
        self._checked = False
        self._check()

    def check_writable(self) -> None:
        """Raise :class:`StoreError` now if this store cannot write: a row written and
        rolled back. Call it once at start, after :meth:`create`, in a receiver, so that
        a read-only file or URL, or a role without INSERT, stops it with one line rather
        than a 500 to every delivery.

        Example::

            store.create()
            store.check_writable()  # StoreError: ... attempt to write a readonly database
        """
        self._check()
        with self._transaction() as connection:
            connection.execute(
                sa.insert(self._walks).values(
                    walk=_leads.WRITE_PROBE, cursor="", updated_at=datetime.now(UTC)
                )
            )
            connection.rollback()

    def add(
        self,
        contacts: Iterable[Contact],
        source: Source = "webhook",
        *,
        website: str = DEFAULT_WEBSITE,
    ) -> int:
        """Store each contact not stored yet, in one transaction; return how many were new.

        ``website``: the name of the website the contacts came from (letters, digits, ``-``
        and ``_``), kept in the column ``website``.

        Example::

            new = store.add(wisepops.unwrap(body, signature, api_key))
            name, contacts = wisepops.unwrap_website(body, signature, websites, name)
            new = store.add(contacts, website=name)
        """
        rows = self._rows(contacts, source, website)  # before the transaction: it holds a lock
        self._check()
        if not rows[0]:
            return 0
        with self._transaction() as connection:
            return self._insert(connection, rows)

    def sync(
        self,
        client: Client,
        api: Api = "v2",
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        progress: Optional[Callable[[SyncResult], None]] = None,
        *,
        website: str = DEFAULT_WEBSITE,
    ) -> SyncResult:
        """Store what the API lists that earlier syncs of the same website and filter did
        not see, as ``website``'s leads.

        Each page's rows and the cursor after them are committed together, so a run
        stopped at any instant loses nothing and doubles nothing; a run with nothing new
        costs one call. Records a webhook stored already are counted in ``seen`` only.
        ``progress``, if given, gets the totals so far after each page is committed.

        The cursor is kept per website, api and filter, with a fingerprint of the client's
        key: a cursor made with another key is not resumed, the walk starts over and
        ``result.restarted`` says so, so that a changed key never skips a lead.

        Example::

            result = store.sync(client)
            print(f"{result.new} new in {result.calls} calls")
            store.sync(client.with_options(api_key=keys["shop-de"]), website="shop-de")
        """
        if isinstance(client, Client):  # else _leads.sync says what it takes
            self._check()
        return _leads.sync(
            client,
            api=api,
            collected_after=collected_after,
            wisepop_id=wisepop_id,
            saved=self._saved,
            commit=self._commit,
            start_run=self._start_run,
            finish_run=self._finish_run,
            progress=progress,
            website=website,
        )

    def runs(self, website: Optional[str] = None, limit: Optional[int] = 100) -> list[Run]:
        """The sync runs ``wisepops_runs`` keeps, the latest first: of ``website`` (all
        when ``None``), at most ``limit`` (all when ``None``). A run whose
        ``finished_at`` is ``None`` is going on, or was killed.

        Example::

            last = store.runs(website="shop-fr", limit=1)
            if not last or last[0].finished_at is None or last[0].error:
                alert("the shop-fr sync did not finish")
        """
        self._check()
        runs = self._runs
        query = sa.select(runs).order_by(runs.c.id.desc()).limit(limit)
        if website is not None:
            query = query.where(runs.c.website == website)
        with self._connection() as connection:
            return [Run(**row._mapping) for row in connection.execute(query)]

    def status(
        self, websites: Optional[Sequence[str]] = None, *, now: Optional[datetime] = None
    ) -> list[Status]:
        """What ``wisepops status`` reports, per website: the leads by source, the last
        sync run, the last webhook, the leads webhooks missed (:class:`Status`). Of
        ``websites``, in that order, else of every website the tables name. Reads only;
        ``now`` (default: the clock) is what "the last 24 hours" and the chart count from.

        Example::

            now = datetime.now(timezone.utc)
            for status in store.status():
                if status.problem(now, max_age=timedelta(hours=2)):
                    alert(status.website, status.problem(now, max_age=timedelta(hours=2)))
        """
        self._check()
        at = datetime.now(UTC) if now is None else as_utc(now)
        return _status.read(self._fetch, self.engine.dialect.name, websites, at)

    def erase(
        self, *, email: Optional[str] = None, phone: Optional[str] = None, dry_run: bool = False
    ) -> int:
        """Delete every lead of a person, on every website, and keep them out; return how
        many leads went.

        An email matches trimmed and case-insensitively, a phone in international form
        (``+`` and digits; spaces, dashes and a leading ``00`` are read through), in the
        ``email`` column and in any value of ``fields`` and ``extra``. The identifiers are
        then kept as keyed hashes, never as text, and a later :meth:`add` (a webhook
        redelivery) or :meth:`sync` skips that person's records: neither new nor an error.
        On SQLite the file is then rebuilt (``VACUUM``) and its WAL emptied, so no byte of
        the deleted rows is left in it. ``dry_run``: count, change nothing. Neither
        identifier, or a malformed one: ``ValueError``, before anything is read.

        Example::

            deleted = client.v2.data_privacy.delete(email="jane@example.com")
            store.erase(email="jane@example.com")
        """
        who = _erasure.person(email, phone)
        self._check()
        erased_at = self._binds[-1](datetime.now(UTC))  # stored_at's type: an instant
        dialect = self.engine.dialect.name
        with self._transaction() as connection, _cursor(connection) as cursor:
            erased = _erasure.erase(
                cursor, dialect, self._mark, who, erased_at=erased_at, dry_run=dry_run
            )
        if self._sqlite and not dry_run:
            # out of any transaction, as VACUUM needs
            with self._connection() as connection, _cursor(connection) as cursor:
                problem = _erasure.sqlite_scrub(cursor)
            if problem is not None:
                raise StoreError(f"erased {erased} leads and suppressed the person, but {problem}")
        return erased

    # --- inside --------------------------------------------------------------------------

    @property
    def _sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as connection:
                # Once per connection the pool opens, also on an engine that is not ours.
                if self._sqlite and _BUSY not in connection.connection.info:
                    _driver(connection, f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                    connection.connection.info[_BUSY] = True
                yield connection
        except (sa.exc.DBAPIError, self.engine.dialect.loaded_dbapi.Error) as exc:
            # the driver's own errors too: the inserts run on its cursor
            raise StoreError(f"cannot use {self._url}: {self._reason(exc)}") from exc

    def _reason(self, exc: BaseException) -> str:
        """The driver's own words on one line; for a SQLite file it cannot make, why."""
        orig = getattr(exc, "orig", None)
        words = " ".join(str(orig if orig is not None else exc).split())
        name = self.engine.url.database
        if not self._sqlite or words != "unable to open database file" or not name:
            return words
        path = Path(name)
        if self.engine.url.query.get("uri") or path.exists():
            return words
        if not path.parent.is_dir():
            return f"the folder {path.parent} does not exist"
        return f"the folder {path.parent} is not writable here"

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sa.Connection]:
        """One transaction; on SQLite an immediate one, which takes the write lock at
        once: a deferred one that upgrades later can deadlock with another writer."""
        with self._connection() as connection:
            if not connection.in_transaction():  # the driver's cursor does not begin one
                connection.begin()
            if self._sqlite:
                if connection.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
                    _driver(connection, "COMMIT")  # a deferred BEGIN of SQLAlchemy's recipe
                _driver(connection, "BEGIN IMMEDIATE")
            yield connection
            connection.commit()

    def _saved(self, walk_id: str) -> Optional[tuple[str, Optional[str]]]:
        """The cursor the last sync of ``walk_id`` left, as text, and its key's fingerprint."""
        walks = self._walks.c
        with self._connection() as connection:
            found = connection.execute(
                sa.select(walks.cursor, walks.key_fingerprint).where(walks.walk == walk_id)
            ).first()
        return None if found is None else (found.cursor, found.key_fingerprint)

    def _commit(self, page: Sequence[Contact], step: _leads.Step, cursor: Cursor) -> int:
        """A sync's page and the cursor past it, in one transaction."""
        rows = self._rows(page, step.source, step.website)  # before the transaction, as in add()
        with self._transaction() as connection:
            new = self._insert(connection, rows) if rows[0] else 0
            self._save(connection, step, cursor)
        return new

    def _fetch(self, sql: str, parameters: Sequence[Any]) -> list[Sequence[Any]]:
        """``_status``'s SQL on the driver, its values as the driver returns them."""
        if self.engine.dialect.paramstyle == "qmark":
            sql = sql.replace("%s", "?")
        with self._connection() as connection:
            return list(connection.exec_driver_sql(sql, tuple(parameters)).all())

    def _start_run(self, values: dict[str, Any]) -> int:
        with self._transaction() as connection:
            inserted = connection.execute(sa.insert(self._runs).values(values))
            key: Any = inserted.inserted_primary_key  # a Row: None only for an executemany
        return int(key[0])

    def _finish_run(self, run: int, values: dict[str, Any]) -> None:
        with self._transaction() as connection:
            connection.execute(sa.update(self._runs).where(self._runs.c.id == run).values(values))

    def _rows(self, contacts: Iterable[Contact], source: str, website: str) -> _Rows:
        """Each contact not repeated in ``contacts``: its values in ``ROW_ORDER``, and the
        driver's values for them: JSON as text (psycopg would not adapt a dict), else as
        SQLAlchemy binds it for this database."""
        binds = self._binds
        stored_at = binds[-1](datetime.now(UTC))
        values = _leads.rows(contacts, source, website)
        driver = [(*(to(v) for to, v in zip(binds, row)), stored_at) for row in values]
        return values, driver

    def _insert(self, connection: sa.Connection, rows: _Rows) -> int:
        """INSERT ... ON CONFLICT DO NOTHING of the rows of no erased person, through the
        driver's own executemany, which counts the rows it inserted: SQLAlchemy's batched
        form does not count them on psycopg, and its RETURNING form was several times
        slower: the figure is in benchmarks/README.md, written once there."""
        values, driver = rows
        with _cursor(connection) as cursor:
            erased = _erasure.erased_rows(
                cursor, self.engine.dialect.name, self._mark, values, immediate=True
            )
            if erased:
                driver = [row for at, row in enumerate(driver) if at not in erased]
            cursor.executemany(self._statement, driver)
            inserted: int = cursor.rowcount
        return inserted

    @property
    def _mark(self) -> str:
        """The driver's parameter mark."""
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    @functools.cached_property
    def _statement(self) -> str:
        """The driver's SQL for one row, columns in ``ROW_ORDER``."""
        mark = self._mark
        return (
            f"INSERT INTO {LEADS_TABLE} ({', '.join(ROW_ORDER)}) "  # noqa: S608
            f"VALUES ({', '.join([mark] * len(ROW_ORDER))}) ON CONFLICT (dedupe_key) DO NOTHING"
        )

    @functools.cached_property
    def _binds(self) -> list[Callable[[Any], Any]]:
        """Each column's conversion to the driver's value, in ``ROW_ORDER``."""
        dialect = self.engine.dialect
        binds: list[Callable[[Any], Any]] = []
        for name in ROW_ORDER:
            column_type = self.leads.c[name].type
            bind = column_type.dialect_impl(dialect).bind_processor(dialect)
            binds.append(_json_text if isinstance(column_type, sa.JSON) else bind or _same)
        return binds

    def _save(self, connection: sa.Connection, step: _leads.Step, cursor: Cursor) -> None:
        values = {
            "cursor": cursor.to_json(),
            "updated_at": datetime.now(UTC),
            "key_fingerprint": step.key_fingerprint,
        }
        updated = connection.execute(
            sa.update(self._walks).where(self._walks.c.walk == step.walk).values(values)
        )
        if updated.rowcount == 0:
            connection.execute(sa.insert(self._walks).values(walk=step.walk, **values))

    def _check(self) -> None:
        """Refuse to write into tables of another layout: once per store."""
        if self._checked:
            return
        with self._connection() as connection:
            inspector = sa.inspect(connection)
            for table in self._metadata.tables.values():  # the leads first
                if not inspector.has_table(table.name):
                    raise StoreError(
                        f"{self._url} has no table {table.name}: call LeadStore.create() first"
                    )
                problems = _differences(table, inspector)
                if problems:
                    raise StoreError(
                        f"the table {table.name} in {self._url} is not the layout this version "
                        f"of wisepops writes: {'; '.join(problems)}"
                    )
        self._checked = True


def _engine(database: Union[str, PathLike[str]]) -> sa.Engine:
    """An engine for a URL or a SQLite path; ``postgresql://`` means psycopg 3, the extra's
    driver, where SQLAlchemy would look for psycopg2."""
    text = str(database)
    try:
        url = sa.make_url(text if "://" in text else f"sqlite:///{text}")
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return sa.create_engine(url)
    except sa.exc.NoSuchModuleError:  # no such dialect: a scheme mistyped
        scheme = text.split(":", 1)[0]
        raise StoreError(
            f"no driver for {scheme}: a URL starts sqlite:// or postgresql://"
        ) from None
    except ModuleNotFoundError as exc:  # a dialect whose driver is not installed
        hint = ' (pip install "wisepops[postgresql]")' if text.startswith("postgres") else ""
        raise StoreError(f"no driver for {text.split(':', 1)[0]}: {exc}{hint}") from None
    except sa.exc.ArgumentError as exc:
        first = str(exc).splitlines()[0]
        if text.startswith("sqlite:"):
            first += " (a file is sqlite:///relative/path or sqlite:////absolute/path)"
        raise StoreError(f"not a database URL: {first}") from None
    except ValueError as exc:  # SQLAlchemy reads the port with int()
        port = str(exc).rpartition(": ")[2]
        raise StoreError(f"not a database URL: its port is not a number: {port}") from None


def _add_missing_columns(connection: sa.Connection) -> None:
    """Upgrade tables of the layout before websites in place (``_leads.ADDED_COLUMNS``),
    inside ``create()``'s transaction and lock, so that processes starting at once add
    each column once."""
    inspector = sa.inspect(connection)
    for (table, column), declaration in _leads.ADDED_COLUMNS.items():
        if column not in {found["name"] for found in inspector.get_columns(table)}:
            connection.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _driver(connection: sa.Connection, statement: str, parameters: Sequence[Any] = ()) -> None:
    """Run ``statement`` on the driver's own cursor: about a tenth of the cost of
    ``exec_driver_sql``, paid on every delivery."""
    with _cursor(connection) as cursor:
        cursor.execute(statement, parameters)


def _cursor(connection: sa.Connection) -> contextlib.closing[Any]:
    """The driver's own cursor, closed on leaving the block."""
    return contextlib.closing(connection.connection.cursor())


def _switch_to_wal(connection: sa.Connection) -> None:
    """Put the SQLite file in WAL mode, which the file keeps. On the driver's cursor, so
    that no transaction is open (an engine made by SQLAlchemy's pysqlite recipe would open
    one); retried while the file is locked, since SQLite does not wait on the busy timeout
    for this switch when processes start on a new file at once."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    with _cursor(connection) as cursor:
        while True:
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                return
            except connection.dialect.loaded_dbapi.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(0.01)


def _json_text(value: Any) -> str:
    return json.dumps(value) if value else "{}"


def _same(value: Any) -> Any:
    return value


def _differences(table: sa.Table, inspector: sa.Inspector) -> list[str]:
    """How an existing table differs from ``table``, in words; empty when it can be used.
    A column of your own is fine if it can be left empty."""
    found = {column["name"]: column for column in inspector.get_columns(table.name)}
    problems = []
    for column in table.columns:
        existing = found.pop(column.name, None)
        if existing is None:
            added = (table.name, column.name) in _leads.ADDED_COLUMNS
            problems.append(f"no column {column.name}" + (": call create()" if added else ""))
        elif _python_type(existing["type"]) is not _python_type(column.type):
            problems.append(f"{column.name} is {existing['type']}, not {column.type}")
    for name, reflected in found.items():
        if not reflected["nullable"] and reflected.get("default") is None:
            problems.append(f"a column {name} that must be filled and is not written here")
    key = inspector.get_pk_constraint(table.name)["constrained_columns"]
    if key != [c.name for c in table.primary_key]:
        problems.append(f"its primary key is {key}, not {[c.name for c in table.primary_key]}")
    return problems


def _python_type(column_type: Any) -> Optional[type]:
    column_type = getattr(column_type, "impl_instance", column_type)  # a TypeDecorator's
    try:
        python_type: type = column_type.python_type
    except NotImplementedError:
        return None
    return python_type
