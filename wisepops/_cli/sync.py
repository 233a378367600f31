"""``wisepops sync``: every lead the API lists into a database table, each once, resumable."""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional

from .. import _leads
from .._client import Client
from .._websites import WEBSITES_ENV
from ._common import (
    CommandError,
    Progress,
    add_website_argument,
    client,
    iso_datetime,
    message,
    positive_int,
    websites,
)

if TYPE_CHECKING:
    from ..db import LeadStore, SyncResult

DB_ENV = "WISEPOPS_DB"
DEFAULT_DB = "sqlite:///leads.sqlite3"


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    sync = commands.add_parser(
        "sync",
        parents=[common],
        help="store every lead in a database table, each once",
        description="Store every lead the API lists in the table wisepops_leads, each once, "
        f"for each website of ${WEBSITES_ENV} in turn (webhook receivers may write the same "
        "table). Each run starts after the last record the previous one stored; a run with "
        "nothing new costs one call a website. A website that fails is one line; the others "
        "still run, and the exit status is 1.",
    )
    add_db_argument(sync)
    add_walk_arguments(sync)
    add_website_argument(sync)
    sync.set_defaults(run=run)


def add_db_argument(parser: argparse.ArgumentParser) -> None:
    """``--db URL``, here and in ``wisepops status`` and ``wisepops erase``."""
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"an SQLAlchemy URL or a SQLite file path (default: ${DB_ENV}, else {DEFAULT_DB})",
    )


def add_walk_arguments(parser: argparse.ArgumentParser) -> None:
    """Which walk a sync makes, here and in ``manage.py wisepops_sync``."""
    parser.add_argument(
        "--api",
        choices=["v1", "v2"],
        default="v2",
        help="v2 (default) reads /api2/contacts 1,000 a page; v1 reads /api1/emails 100 a page",
    )
    parser.add_argument(
        "--since", type=iso_datetime, metavar="ISO", help="only records collected after this"
    )
    parser.add_argument(
        "--wisepop-id", type=positive_int, metavar="N", help="only records from this pop-up"
    )


def run(args: argparse.Namespace) -> int:
    try:
        from ..db import LeadStore  # noqa: PLC0415 - an extra: only this command needs it
    except ModuleNotFoundError as exc:  # the db extra is not installed
        raise CommandError(str(exc)) from None
    chosen = websites(args)  # a missing key stops here, before a database file is made
    # psycopg logs a warning as it drops a pipeline on a lost connection, which Python
    # would print to stderr beside the one line that says the same: the error is enough
    logging.getLogger("psycopg").addHandler(logging.NullHandler())
    store = LeadStore(args.db or os.environ.get(DB_ENV) or DEFAULT_DB)
    made = new_sqlite_file(store)
    stored = False  # a page committed, on any website
    several = len(chosen) > 1

    def sync_one(
        api: Client, website: str, progress_of: Callable[[SyncResult], None]
    ) -> SyncResult:
        progress = Progress(enabled=sys.stderr.isatty(), pages="calls")

        def report(sofar: SyncResult) -> None:
            nonlocal stored
            stored = True
            progress_of(sofar)
            progress.set(sofar.seen, sofar.calls)

        try:
            return store.sync(
                api,
                api=args.api,
                collected_after=args.since,
                wisepop_id=args.wisepop_id,
                progress=report,
                website=website,
            )
        finally:
            progress.finish()

    describe = functools.partial(message, several_websites=several)

    failed = 0
    try:
        store.create()
        with client(args, next(iter(chosen.values()))) as api:
            for outcome in _leads.sync_websites(api, chosen, sync_one, describe):
                if outcome.failed and not several:
                    raise CommandError(outcome.line)
                failed += outcome.failed
                line = f"wisepops: error: {outcome.line}" if outcome.failed else outcome.line
                print(line, file=sys.stderr if outcome.failed else sys.stdout, flush=True)
    except BaseException:
        if made is not None and not stored:  # a refused key: leave no empty database behind
            _remove(store, made)
        raise
    finally:
        store.close()
    if made is not None and not stored and failed == len(chosen):
        _remove(store, made)
    return 1 if failed else 0


def _remove(store: LeadStore, made: Path) -> None:
    """The SQLite file this run made, and its companions."""
    store.close()
    for path in (made, *(made.with_name(made.name + end) for end in ("-wal", "-shm"))):
        path.unlink(missing_ok=True)


def new_sqlite_file(store: LeadStore) -> Optional[Path]:
    """The SQLite file this run is about to make, if it does not exist yet."""
    url = store.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database)
    return None if url.query.get("uri") or path.exists() else path
