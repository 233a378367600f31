"""Is the leads pipeline working? Per website: the leads by source, the last sync run, the
last webhook, the leads webhooks missed, and whether a monitor should be alarmed.

Written once for ``wisepops status`` (over LeadStore's engine) and ``manage.py
wisepops_status`` (over Django's connection): the same SQL text on a DB-API cursor, since
the two write one layout (:mod:`wisepops._leads`). Reads only. Needs neither SQLAlchemy
nor Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Callable, Optional

import attrs

from ._leads import LEADS_TABLE, RUN_ORDER, RUNS_TABLE, Run
from ._wire.times import UTC

SOURCES = ("webhook", "api1", "api2")
CHART_DAYS = 14
RECENT = timedelta(hours=24)

Fetch = Callable[[str, Sequence[Any]], Iterable[Sequence[Any]]]
"""Runs one ``SELECT`` whose parameters are marked ``%s``; returns its rows."""


@attrs.frozen
class Status:
    """One website's part of ``wisepops status``; :meth:`to_dict` is its ``--json``.

    Example::

        for status in store.status(["shop-fr", "shop-de"]):
            print(status.website, status.leads, status.problem(datetime.now(timezone.utc)))
    """

    website: str
    leads: int
    """Rows in ``wisepops_leads`` for this website."""
    by_source: Mapping[str, int]
    """Those rows by who stored them first: ``webhook``, ``api1``, ``api2``."""
    last_24h: int
    """Leads collected in the 24 hours before now."""
    newest_collected_at: Optional[datetime]
    last_sync: Optional[Run]
    """The website's latest sync run, finished or not; ``None``: never synced."""
    last_webhook_at: Optional[datetime]
    """When a webhook last stored a lead (``stored_at``)."""
    missed_by_webhooks: int
    """Leads a sync stored first (``source`` api1 or api2) that were collected after the
    first lead a webhook stored for this website (the lead with the earliest
    ``stored_at`` among ``source = 'webhook'``): deliveries that went missing while
    webhooks were on. 0 when no webhook ever stored a lead."""
    per_day: Sequence[tuple[date, Mapping[str, int]]]
    """The last 14 days (UTC), oldest first: leads collected that day, by source."""

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` object: times as ISO 8601 UTC, ``None`` where there is none.

        Example: ``json.dumps([status.to_dict() for status in store.status()])``
        """
        run = self.last_sync
        return {
            "website": self.website,
            "leads": self.leads,
            "by_source": dict(self.by_source),
            "last_24h": self.last_24h,
            "newest_collected_at": iso(self.newest_collected_at),
            "last_sync": None
            if run is None
            else {
                "started_at": iso(run.started_at),
                "finished_at": iso(run.finished_at),
                "new": run.new,
                "seen": run.seen,
                "calls": run.calls,
                "error": run.error,
            },
            "last_webhook_at": iso(self.last_webhook_at),
            "missed_by_webhooks": self.missed_by_webhooks,
        }

    def problem(self, now: datetime, max_age: Optional[timedelta] = None) -> Optional[str]:
        """Why a monitor should be alarmed about this website, or ``None``: its last sync
        finished without error (and, with ``max_age``, no longer ago than that).

        Example: ``status.problem(datetime.now(timezone.utc), timedelta(hours=2))``
        """
        run = self.last_sync
        if run is None:
            return "never synced"
        if run.finished_at is None:
            return (
                f"the last sync, started {when(run.started_at)}, is unfinished: killed, or running"
            )
        if run.error is not None:
            return f"the last sync failed: {run.error}"
        if max_age is not None and now - run.finished_at > max_age:
            return (
                f"the last sync finished {ago(now - run.finished_at)} ago, over {age_text(max_age)}"
            )
        return None


def read(
    fetch: Fetch, vendor: str, websites: Optional[Sequence[str]], now: datetime
) -> list[Status]:
    """Each website's :class:`Status`, in the order of ``websites``; ``None``: every
    website the tables name, in alphabetical order. ``vendor``, ``"sqlite"`` or
    ``"postgresql"``, says how an instant is bound: SQLite's columns hold UTC text."""
    days = [(now.astimezone(UTC) - timedelta(days=n)).date() for n in range(CHART_DAYS - 1, -1, -1)]
    edges = [datetime(d.year, d.month, d.day, tzinfo=UTC) for d in days]
    edges.append(edges[-1] + timedelta(days=1))
    bind = _sqlite_text if vendor == "sqlite" else _same
    parameters = [bind(now - RECENT)]
    for start, end in zip(edges, edges[1:]):
        parameters += [bind(start), bind(end)]
    leads: dict[str, dict[str, Sequence[Any]]] = {}
    for website, source, *values in fetch(_LEADS_SQL, parameters):
        leads.setdefault(website, {})[source] = values
    missed = {row[0]: int(row[1]) for row in fetch(_MISSED_SQL, ())}
    runs = {row[1]: _run(row) for row in fetch(_RUNS_SQL, ())}
    names = sorted({*leads, *runs}) if websites is None else list(websites)
    return [
        _status(name, leads.get(name, {}), runs.get(name), missed.get(name, 0), days)
        for name in names
    ]


def _status(
    website: str,
    by_source: Mapping[str, Sequence[Any]],
    run: Optional[Run],
    missed: int,
    days: Sequence[date],
) -> Status:
    """One website's figures from its rows of ``_LEADS_SQL``: count, last 24 h, newest
    collected_at, newest stored_at, then one count a day."""
    counts = {source: int(by_source[source][0]) if source in by_source else 0 for source in SOURCES}
    newest = [_instant(values[2]) for values in by_source.values()]
    webhook = by_source.get("webhook")
    return Status(
        website=website,
        leads=sum(counts.values()),
        by_source=counts,
        last_24h=sum(int(values[1] or 0) for values in by_source.values()),
        newest_collected_at=max((at for at in newest if at is not None), default=None),
        last_sync=run,
        last_webhook_at=None if webhook is None else _instant(webhook[3]),
        missed_by_webhooks=missed,
        per_day=[
            (day, {s: int(by_source[s][4 + n] or 0) if s in by_source else 0 for s in SOURCES})
            for n, day in enumerate(days)
        ],
    )


def exit_status(statuses: Sequence[Status], now: datetime, max_age: Optional[timedelta]) -> int:
    """A monitor's answer: 0 when every website's last sync finished without error (and
    within ``max_age``), else 1; 1 also when there is no website at all to speak of."""
    if not statuses or any(s.problem(now, max_age) for s in statuses):
        return 1
    return 0


_AGE = re.compile(r"([1-9][0-9]{0,8})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str) -> timedelta:
    """``--max-age``: a whole number and its unit, ``90s``, ``30m``, ``2h``, ``1d``;
    ``ValueError`` for anything else."""
    found = _AGE.fullmatch(text)
    if found is None:
        raise ValueError(f"not an age such as 90s, 30m, 2h or 1d: {text!r}")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def age_text(age: timedelta) -> str:
    """An age as ``--max-age`` takes it: ``2h``, ``90s``."""
    seconds = int(age.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def ago(age: timedelta) -> str:
    """An age for a person, rounded down: ``42 s``, ``5 min``, ``3 h``, ``2 days``."""
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def iso(at: Optional[datetime]) -> Optional[str]:
    """ISO 8601 in UTC to the second's fraction it has: ``2024-05-01T08:00:00.250000Z``."""
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def when(at: datetime) -> str:
    """An instant for a person, in UTC to the second: ``2024-05-01 08:00:00Z``."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}Z"


def _run(row: Sequence[Any]) -> Run:
    values = dict(zip(RUN_ORDER, row))
    values["started_at"] = _instant(values["started_at"])
    values["finished_at"] = _instant(values["finished_at"])
    return Run(**values)


def _instant(value: Any) -> Optional[datetime]:
    """A time as the driver returns it: a datetime (PostgreSQL; SQLite through Django's
    converters, without a zone), or SQLite's UTC text."""
    if value is None:
        return None
    at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _sqlite_text(at: datetime) -> str:
    """An instant as SQLite's columns hold it, LeadStore's and Django's alike: UTC text
    to the microsecond, so that text comparison is time order."""
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S.%f}"


def _same(at: datetime) -> datetime:
    return at


def _quoted(name: str) -> str:
    return f'"{name}"'  # "new" is a word of SQL


# --- the SQL: one text for every database, parameters marked %s -----------------------

_DAY_SUMS = ", ".join(
    ["sum(CASE WHEN collected_at >= %s AND collected_at < %s THEN 1 ELSE 0 END)"] * CHART_DAYS
)
_LEADS_SQL = (
    "SELECT website, source, count(*), "  # noqa: S608 - the layout's names only
    "sum(CASE WHEN collected_at >= %s THEN 1 ELSE 0 END), max(collected_at), max(stored_at), "
    f"{_DAY_SUMS} FROM {LEADS_TABLE} GROUP BY website, source"
)
_MISSED_SQL = f"""
WITH first_stored AS (
    SELECT website, min(stored_at) AS stored_at FROM {LEADS_TABLE}
    WHERE source = 'webhook' GROUP BY website
), first_lead AS (
    SELECT l.website, min(l.collected_at) AS collected_at
    FROM {LEADS_TABLE} l JOIN first_stored f ON l.website = f.website AND l.stored_at = f.stored_at
    WHERE l.source = 'webhook' GROUP BY l.website
)
SELECT f.website, (
    SELECT count(*) FROM {LEADS_TABLE} l
    WHERE l.website = f.website AND l.source IN ('api1', 'api2') AND l.collected_at > f.collected_at
) FROM first_lead f
"""  # noqa: S608 - the layout's names only
_RUNS_SQL = (
    f"SELECT {', '.join(f'r.{_quoted(name)}' for name in RUN_ORDER)} FROM {RUNS_TABLE} r "  # noqa: S608
    f"JOIN (SELECT website, max(id) AS id FROM {RUNS_TABLE} GROUP BY website) m ON r.id = m.id"
)
