"""``manage.py wisepops_sync``: ``wisepops sync`` through Django's database.

The same walk (:func:`wisepops._leads.sync`), the same options and summary, and the same
cursor table: either command goes on from where the other stopped.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, Optional

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

import wisepops
from wisepops import _leads
from wisepops._cli.sync import add_walk_arguments

from ...checks import problem
from ...config import api_key
from ...models import Lead, SyncCursor


class Command(BaseCommand):
    help = (
        "Store every lead the API lists in the table wisepops_leads, each once (the "
        "webhook receiver writes the same table). Each run starts after the last record "
        "the previous one stored; a run with nothing new costs one call."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_walk_arguments(parser)  # wisepops sync's own: --api, --since, --wisepop-id

    def handle(self, *args: Any, **options: Any) -> None:
        run = f"python {sys.argv[0]}" if sys.argv[0].endswith(".py") else "manage.py"
        found = problem(migrate=f"{run} migrate")  # no key, or no tables
        if found is not None:
            raise CommandError(found)
        sofar: Optional[_leads.SyncResult] = None

        def progress(result: _leads.SyncResult) -> None:
            nonlocal sofar
            sofar = result
            if options["verbosity"] > 1:
                self.stderr.write(
                    f"{result.new:,} new of {result.seen:,} seen in {result.calls:,} calls"
                )

        try:
            with wisepops.Client(api_key=api_key()) as client:
                result = _leads.sync(
                    client,
                    api=options["api"],
                    collected_after=options["since"],
                    wisepop_id=options["wisepop_id"],
                    saved=saved,
                    commit=commit,
                    progress=progress,
                )
        except wisepops.WisepopsError as exc:
            if sofar is None:
                raise CommandError(str(exc)) from None
            raise CommandError(  # the pages before are committed, with their cursor
                f"{exc}; stopped after {sofar.new:,} new of {sofar.seen:,} seen, which are "
                "stored: the next run goes on from there"
            ) from None
        except ValueError as exc:  # a saved cursor that cannot be read
            raise CommandError(f"wisepops_sync: {exc}") from None
        self.stdout.write(result.summary())


def saved(walk_id: str) -> Optional[tuple[str, Optional[str]]]:
    found: Optional[tuple[str, Optional[str]]] = (
        SyncCursor.objects.filter(walk=walk_id).values_list("cursor", "key_fingerprint").first()
    )
    return found


def commit(page: Sequence[wisepops.Contact], step: _leads.Step, cursor: wisepops.Cursor) -> int:
    """The page and the cursor past it, or neither: a run stopped at any instant loses
    nothing and doubles nothing. The leads first, so that the transaction's first
    statement writes (see ``Lead.objects.store``)."""
    with transaction.atomic():
        new = Lead.objects.store(page, step.source, website=step.website)
        SyncCursor(
            walk=step.walk,
            cursor=cursor.to_json(),
            updated_at=timezone.now(),
            key_fingerprint=step.key_fingerprint,
        ).save()
    return new
