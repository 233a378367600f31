"""``wisepops erase``: a person erased at WisePops, website by website, and from the leads
table, where they stay suppressed; ``manage.py wisepops_erase`` shares its options and loop."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Callable, Optional

import attrs

from .. import _erasure
from .._client import Client
from .._errors import WisepopsError
from .._websites import WEBSITES_ENV
from ._common import CommandError, UsageError, add_website_argument, client, message, websites
from .sync import DB_ENV, DEFAULT_DB, add_db_argument, new_sqlite_file

DESCRIPTION = (
    "Erase a person: ask WisePops to erase and suppress them on each website of "
    f"${WEBSITES_ENV} (or those --website names), then delete every lead of theirs from the "
    "table wisepops_leads and keep their email and phone as keyed hashes, so that no later "
    "sync or webhook delivery stores them again. Safe to run again. Backups and copies "
    "you made are not reached: see SECURITY.md."
)


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    erase = commands.add_parser(
        "erase",
        parents=[common],
        help="erase a person at WisePops and from the leads table",
        description=DESCRIPTION,
    )
    add_db_argument(erase)
    add_person_arguments(erase)
    add_website_argument(erase)
    erase.set_defaults(run=run)


def add_person_arguments(parser: argparse.ArgumentParser) -> None:
    """Who, and how far: here and in ``manage.py wisepops_erase``."""
    parser.add_argument("--email", help="the person's email (any case; spaces around ignored)")
    parser.add_argument(
        "--phone", help="the person's phone in international form, like +14155552671"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="send nothing, change nothing: say how many leads of the table would go",
    )
    parser.add_argument(
        "--local-only",
        action="store_true",
        help="erase from the table only; WisePops is not asked (and needs no key)",
    )


@attrs.frozen
class Line:
    """One part of an erasure, as a person reads it, and whether it failed."""

    text: str
    failed: bool = False


def erase_everywhere(
    api: Optional[Client],
    chosen: Mapping[str, str],
    email: Optional[str],
    phone: Optional[str],
    *,
    dry_run: bool,
    erase_local: Callable[[], int],
    local_errors: tuple[type[Exception], ...],
    describe: Callable[[Exception], str] = message,
) -> Iterator[Line]:
    """Ask WisePops to erase the person on each website of ``chosen`` (not when ``api``
    is ``None``: a dry run), then ``erase_local()``: one :class:`Line` each. A part that
    fails is its line; the others still run. ``email`` and ``phone`` are checked already."""
    for name, key in chosen.items():
        if dry_run or api is None:
            yield Line(f"{name}: WisePops not asked (dry run)")
            continue
        try:
            deleted = _ask(api.with_options(api_key=key), email, phone)
        except WisepopsError as exc:
            yield Line(f"{name}: WisePops did not erase the person: {describe(exc)}", True)
            continue
        said = "it did not say how many records" if deleted is None else _count(deleted, "record")
        yield Line(f"{name}: WisePops erased the person ({said})")
    try:
        erased = erase_local()
    except local_errors as exc:
        yield Line(f"leads table: nothing erased: {' '.join(str(exc).split())}", True)
        return
    if dry_run:
        yield Line(f"leads table: {_count(erased, 'lead')} would go (dry run: nothing changed)")
    else:
        yield Line(f"leads table: {_count(erased, 'lead')} erased; the person stays suppressed")


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def _ask(api: Client, email: Optional[str], phone: Optional[str]) -> Optional[int]:
    """One website's data-privacy requests: the email as typed (trimmed), and case-folded
    if that differs, since whether WisePops matches emails regardless of case is not said;
    the phone in international form. How many records WisePops said, if it said."""
    spellings = [] if email is None else list(dict.fromkeys([email.strip(), _erasure.email(email)]))
    counts = []
    for at, spelling in enumerate(spellings or [None]):
        sent_phone = _erasure.phone(phone) if at == 0 else None
        counts.append(api.v2.data_privacy.delete(email=spelling, phone=sent_phone))
    return None if None in counts else sum(c for c in counts if c is not None)


def check_person_arguments(options: Mapping[str, Any]) -> None:
    """``ValueError`` for a person no erasure could find, or options that contradict each
    other: here and in ``manage.py wisepops_erase``, as usage errors."""
    _erasure.person(options["email"], options["phone"])
    if options["local_only"] and options["website"]:
        raise ValueError("--website chooses where WisePops is asked: not with --local-only")


def run(args: argparse.Namespace) -> int:
    try:
        check_person_arguments(vars(args))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        from ..db import LeadStore, StoreError  # noqa: PLC0415 - an extra: only here and sync
    except ModuleNotFoundError as exc:
        raise CommandError(str(exc)) from None
    import sqlalchemy as sa  # noqa: PLC0415 - installed with wisepops.db

    chosen = {} if args.local_only else websites(args)
    store = LeadStore(args.db or os.environ.get(DB_ENV) or DEFAULT_DB)
    missing = new_sqlite_file(store)
    several = len(chosen) > 1

    describe = functools.partial(message, several_websites=several)

    def erase_local() -> int:
        if missing is not None:  # not made here: a mistyped --db would keep the person
            raise StoreError(f"no database file {missing}: give --db or set ${DB_ENV}")
        if not args.dry_run:
            store.create()  # the suppression's tables, where an older version made none
        return store.erase(email=args.email, phone=args.phone, dry_run=args.dry_run)

    lines: list[Line] = []
    try:
        api = client(args, next(iter(chosen.values()))) if chosen and not args.dry_run else None
        try:
            for line in erase_everywhere(
                api,
                chosen,
                args.email,
                args.phone,
                dry_run=args.dry_run,
                erase_local=erase_local,
                local_errors=(StoreError, sa.exc.SQLAlchemyError),
                describe=describe,
            ):
                lines.append(line)
                if line.failed:
                    print(f"wisepops: error: {line.text}", file=sys.stderr, flush=True)
                else:
                    print(line.text, flush=True)
        finally:
            if api is not None:
                api.close()
    finally:
        store.close()
    failed = failures(lines)
    if failed:
        print(f"wisepops: error: {failed}", file=sys.stderr)
        return 1
    return 0


def failures(lines: Sequence[Line]) -> Optional[str]:
    """The closing line of an erasure a part of which failed, else ``None``: here and in
    ``manage.py wisepops_erase``."""
    failed = sum(line.failed for line in lines)
    if not failed:
        return None
    if failed == len(lines):
        return "nothing was erased; the same command can be run again once the cause is mended"
    return (
        f"{failed} of {len(lines)} parts failed; the others are done, and the same command "
        "can be run again"
    )
