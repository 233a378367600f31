"""``manage.py wisepops_sync``: ``wisepops sync`` through Django's database.

The same walk (:func:`wisepops._leads.sync`) of each website in turn
(:func:`wisepops._leads.sync_websites`), the same options and summaries, and the same
cursor table: either command goes on from where the other stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable, Optional

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

import wisepops
from wisepops import _leads, _websites
from wisepops._cli._common import add_website_argument
from wisepops._cli.sync import add_walk_arguments

from ...checks import command_problem
from ...config import websites
from ...models import Lead, Run, SyncCursor


class Command(BaseCommand):
    help = (
        "Store every lead the API lists in the table wisepops_leads, each once, for each "
        "website in turn (the webhook receiver writes the same table). Each run starts "
        "after the last record the previous one stored; a run with nothing new costs one "
        "call a website."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_walk_arguments(parser)  # wisepops sync's own: --api, --since, --wisepop-id
        add_website_argument(parser)  # and --website

    def handle(self, *args: Any, **options: Any) -> None:
        found = command_problem()  # no key, or no tables
        if found is not None:
            raise CommandError(found)
        try:
            chosen = _websites.chosen(websites(), options["website"])
        except wisepops.WebsitesError as exc:
            raise CommandError(str(exc)) from None

        def sync_one(
            client: wisepops.Client,
            website: str,
            progress: Callable[[_leads.SyncResult], None],
        ) -> _leads.SyncResult:
            def report(result: _leads.SyncResult) -> None:
                progress(result)
                if options["verbosity"] > 1:
                    self.stderr.write(
                        f"{result.new:,} new of {result.seen:,} seen in {result.calls:,} calls"
                    )

            return _leads.sync(
                client,
                api=options["api"],
                collected_after=options["since"],
                wisepop_id=options["wisepop_id"],
                saved=saved,
                commit=commit,
                start_run=start_run,
                finish_run=finish_run,
                progress=report,
                website=website,
            )

        failed = []
        with wisepops.Client(api_key=next(iter(chosen.values()))) as client:
            for outcome in _leads.sync_websites(client, chosen, sync_one):
                if outcome.failed:
                    failed.append(outcome.line)
                else:
                    self.stdout.write(outcome.line)
        if len(chosen) == 1 and failed:
            raise CommandError(failed[0])
        for line in failed:
            self.stderr.write(line)
        if failed:
            raise CommandError(f"{len(failed)} of {len(chosen)} websites failed")


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


def start_run(values: dict[str, Any]) -> int:
    number: int = Run.objects.create(**values).id
    return number


def finish_run(run: int, values: dict[str, Any]) -> None:
    Run.objects.filter(id=run).update(**values)
