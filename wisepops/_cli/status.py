"""``wisepops status``: is the leads pipeline working? For people, a table and a 14-day
chart; for machines, ``--json``; for monitors, the exit status (0 working, 1 not, 2 a bad
argument). Reads the tables only: no API key, no call to WisePops."""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional

from .._config import API_KEY_ENV
from .._errors import WebsitesError
from .._status import SOURCES, Status, ago, exit_status, parse_age, when
from .._websites import NO_KEY, WEBSITES_ENV, check_name, chosen, read_websites
from .._wire.times import UTC
from ._common import CommandError, UsageError, table
from .sync import DB_ENV, DEFAULT_DB, add_db_argument, new_sqlite_file

_BLOCKS = "▁▂▃▄▅▆▇█"
_NONE = "·"


def register(commands: Any) -> None:
    status = commands.add_parser(
        "status",
        help="is the pipeline working? leads by source, the last sync, missed deliveries",
        description="Per website: the leads in wisepops_leads by source, the last sync run, "
        "the last webhook, and the leads a sync found although webhooks were delivering "
        "(missed by webhooks); a table and a 14-day chart, or --json. Exit status 0 when "
        "every website's last sync finished without error (within --max-age), 1 when one "
        "did not, 2 for a bad argument. Reads only; needs no API key.",
    )
    add_db_argument(status)
    add_status_arguments(status)
    status.set_defaults(run=run)


def add_status_arguments(parser: argparse.ArgumentParser) -> None:
    """``--website``, ``--json`` and ``--max-age``, here and in ``manage.py wisepops_status``."""
    parser.add_argument(
        "--website",
        action="append",
        metavar="NAME",
        help=f"only this website (repeatable; default: every one of ${WEBSITES_ENV}, or "
        f"default for ${API_KEY_ENV}; with neither, every one the tables name)",
    )
    parser.add_argument("--json", action="store_true", help="a JSON array, one object per website")
    parser.add_argument(
        "--max-age",
        type=max_age,
        metavar="AGE",
        help="also fail when a last sync finished longer ago than this: 90s, 30m, 2h, 1d",
    )


def max_age(text: str) -> timedelta:
    try:
        return parse_age(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def configured_names(read: Callable[[], Mapping[str, str]]) -> Optional[list[str]]:
    """The websites ``read`` names (``WebsitesError`` when malformed), or ``None`` when
    none is configured. Their keys are not used: status reads the tables only."""
    try:
        return list(read())
    except WebsitesError as exc:
        if str(exc) != NO_KEY:  # malformed, rather than not set
            raise
        return None


def websites_to_report(
    configured: Optional[Sequence[str]], asked: Optional[Sequence[str]]
) -> Optional[list[str]]:
    """``--website``'s names among those configured (``WebsitesError`` for one that is
    not; ``ValueError`` for a name no website could have), else every one configured;
    ``None`` for every website the tables name."""
    for name in asked or ():
        check_name(name)
    if configured is None:
        return list(asked) if asked else None
    return list(chosen(dict.fromkeys(configured, ""), asked))


def run(args: argparse.Namespace) -> int:
    try:
        from ..db import LeadStore  # noqa: PLC0415 - an extra: only this command needs it
    except ModuleNotFoundError as exc:
        raise CommandError(str(exc)) from None
    configured = configured_names(read_websites)
    try:
        names = websites_to_report(configured, args.website)
    except ValueError as exc:  # WebsitesError is one
        raise UsageError(str(exc)) from None
    store = LeadStore(args.db or os.environ.get(DB_ENV) or DEFAULT_DB)
    try:
        missing = new_sqlite_file(store)
        if missing is not None:  # connecting would make it
            raise CommandError(f"no database at {missing}: `wisepops sync` makes it")
        now = datetime.now(UTC)
        statuses = store.status(names, now=now)
    finally:
        store.close()
    print(report(statuses, now, args.max_age, as_json=args.json))
    return exit_status(statuses, now, args.max_age)


def report(
    statuses: Sequence[Status], now: datetime, max_age: Optional[timedelta], *, as_json: bool
) -> str:
    """What ``wisepops status`` and ``manage.py wisepops_status`` print."""
    if as_json:
        return json.dumps([status.to_dict() for status in statuses], indent=2)
    if not statuses:
        return "no website configured, and none in the tables yet: nothing synced"
    header = ["website", "leads", *SOURCES, "last 24 h", "missed", "newest lead"]
    rows = [
        [
            s.website,
            *(f"{n:,}" for n in (s.leads, *s.by_source.values(), s.last_24h)),
            f"{s.missed_by_webhooks:,}",
            "-" if s.newest_collected_at is None else when(s.newest_collected_at),
        ]
        for s in statuses
    ]
    parts = [table(header, rows, right=range(1, 7))]
    parts += [_website(status, now, max_age) for status in statuses]
    return "\n\n".join(parts)


def _website(status: Status, now: datetime, max_age: Optional[timedelta]) -> str:
    problem = status.problem(now, max_age)
    lines = [f"{status.website}: {'ok' if problem is None else 'FAILING: ' + problem}"]
    run = status.last_sync
    if run is not None:
        ended = (
            "unfinished"
            if run.finished_at is None
            else f"finished {ago(now - run.finished_at)} ago"
        )
        lines.append(f"  last sync     {when(run.started_at)}, {ended}")
        if run.new is not None:
            calls = "call" if run.calls == 1 else "calls"
            lines.append(
                f"                {run.new:,} new of {run.seen:,} seen in {run.calls:,} {calls}"
            )
    webhook = status.last_webhook_at
    lines.append(
        "  last webhook  never"
        if webhook is None
        else f"  last webhook  {when(webhook)}, {ago(now - webhook)} ago"
    )
    return "\n".join([*lines, *chart(status.per_day)])


def chart(per_day: Sequence[tuple[date, Mapping[str, int]]]) -> list[str]:
    """Leads a day by source, one block a day, the tallest day's count as a full block;
    ``·`` is a day with none; each source's total for the days at the right."""
    days = [day for day, _ in per_day]
    peak = max((n for _, counts in per_day for n in counts.values()), default=0)
    width = 2 * len(days) - 1
    first, last = f"{days[0]:%m-%d}", f"{days[-1]:%m-%d}"
    lines = [f"  {'per day (UTC)':<14}{first}{last:>{width - len(first)}}"]
    for source in SOURCES:
        counts = [c[source] for _, c in per_day]
        cells = " ".join(_block(n, peak) for n in counts)
        lines.append(f"    {source:<12}{cells}  {sum(counts):>9,}")
    return lines


def _block(count: int, peak: int) -> str:
    if count == 0:
        return _NONE
    return _BLOCKS[math.ceil(count * len(_BLOCKS) / peak) - 1]
