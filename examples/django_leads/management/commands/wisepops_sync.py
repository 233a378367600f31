"""``manage.py wisepops_sync``: every lead the API lists into ``wisepops_leads``, each once.

The ORM's twin of ``wisepops sync``, and it shares that command's tables: each run starts
from the cursor the last run of the same ``--api``, ``--since`` and ``--wisepop-id`` left
in ``wisepops_sync``, whichever of the two ran it. Run it from a scheduled job.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, time, timezone
from typing import Any, Optional

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import dateparse
from django.utils import timezone as django_timezone

import wisepops

from ...models import Lead, SyncCursor, missing_tables


class Command(BaseCommand):
    help = (
        "Store every lead the API lists in the table wisepops_leads, each once (the "
        "webhook receiver writes the same table). Each run starts after the last record "
        "the previous one stored; a run with nothing new costs one call."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--api",
            choices=["v1", "v2"],
            default="v2",
            help="v2 (default) reads /api2/contacts 1,000 a page; v1 reads /api1/emails 100 a page",
        )
        parser.add_argument(
            "--since", type=instant, metavar="ISO", help="only records collected after this"
        )
        parser.add_argument(
            "--wisepop-id", type=int, metavar="N", help="only records from this pop-up"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        api: str = options["api"]
        since: Optional[datetime] = options["since"]
        wisepop_id: Optional[int] = options["wisepop_id"]
        missing = missing_tables()
        if missing:
            run = f"python {sys.argv[0]}" if sys.argv[0].endswith(".py") else "manage.py"
            raise CommandError(
                f"the database has no table {' or '.join(missing)}: run `{run} migrate` first"
            )
        walk_id = walk_key(api, since, wisepop_id)
        saved = SyncCursor.objects.filter(walk=walk_id).values_list("cursor", flat=True).first()
        try:
            cursor = None if saved is None else wisepops.Cursor.from_json(saved)
        except ValueError as exc:
            raise CommandError(f"the cursor saved in wisepops_sync cannot be read: {exc}") from None
        source = "api1" if api == "v1" else "api2"
        new = seen = calls = 0
        try:  # the key of your settings, else $WISEPOPS_API_KEY
            client = wisepops.Client(api_key=getattr(settings, "WISEPOPS_API_KEY", None))
        except wisepops.WisepopsError as exc:
            raise CommandError(str(exc)) from None
        with client:
            if api == "v1":
                walk = client.emails.iter(since, wisepop_id, cursor=cursor)
            else:
                walk = client.v2.contacts.iter(since, wisepop_id, cursor=cursor)
            try:
                for page in walk.pages():
                    # The page and the cursor past it, or neither: a run stopped at any
                    # instant loses nothing and doubles nothing. The cursor first, so
                    # that the transaction's first statement writes (see Lead.objects).
                    with transaction.atomic():
                        SyncCursor(
                            walk=walk_id,
                            cursor=walk.cursor.to_json(),
                            updated_at=django_timezone.now(),
                        ).save()
                        new += Lead.objects.store(page, source)
                    seen, calls = seen + len(page), calls + 1
                    if options["verbosity"] > 1:
                        self.stderr.write(f"{new:,} new of {seen:,} seen in {calls:,} calls")
            except wisepops.WisepopsError as exc:
                if not calls:
                    raise CommandError(str(exc)) from None
                raise CommandError(  # the pages before are committed, with their cursor
                    f"{exc}; stopped after {new:,} new of {seen:,} seen, which are stored: "
                    "the next run goes on from there"
                ) from None
        at = walk.cursor.collected_at
        after = "nothing listed yet" if at is None else f"the next run starts after {wire(at)}"
        plural = "call" if calls == 1 else "calls"
        self.stdout.write(f"{new:,} new of {seen:,} seen in {calls:,} {plural}; {after}")


def instant(text: str) -> datetime:
    """``--since``: an ISO 8601 date or time; without a zone, UTC (as the API reads it)."""
    try:
        value = dateparse.parse_datetime(text)
        day = dateparse.parse_date(text) if value is None else None
    except ValueError:  # well formed, but not a date: 2024-02-30
        value = day = None
    if day is not None:
        value = datetime.combine(day, time())
    if value is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}")
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def walk_key(api: str, since: Optional[datetime], wisepop_id: Optional[int]) -> str:
    """What a saved cursor belongs to: the api and the filter, written as ``wisepops sync``
    writes them, so that either command goes on from where the other stopped."""
    return json.dumps(
        {
            "api": api,
            "collected_after": None if since is None else rfc3339(since),
            "wisepop_id": wisepop_id,
        },
        sort_keys=True,
    )


def rfc3339(at: datetime) -> str:
    """UTC with ``Z``, as precise as ``at`` needs: ``2024-05-01T08:00:00.250Z``."""
    at = at.astimezone(timezone.utc).replace(tzinfo=None)
    spec = "seconds"
    if at.microsecond:
        spec = "milliseconds" if at.microsecond % 1000 == 0 else "microseconds"
    return at.isoformat(timespec=spec) + "Z"


def wire(at: datetime) -> str:
    """As WisePops writes an instant: UTC, milliseconds, ``Z``."""
    return at.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
