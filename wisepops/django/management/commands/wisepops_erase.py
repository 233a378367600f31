"""``manage.py wisepops_erase``: ``wisepops erase`` through Django's database.

The same options and the same loop (:func:`wisepops._cli.erase.erase_everywhere`): WisePops
is asked on each website, then ``Lead.objects.erase`` deletes the person's leads and keeps
them suppressed, which the app's view and ``wisepops_sync`` honour.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

import wisepops
from wisepops import _websites
from wisepops._cli._common import add_website_argument
from wisepops._cli.erase import (
    DESCRIPTION,
    add_person_arguments,
    check_person_arguments,
    erase_everywhere,
    failures,
)

from ...checks import command_problem
from ...config import websites
from ...models import Lead


class Command(BaseCommand):
    help = DESCRIPTION

    def add_arguments(self, parser: CommandParser) -> None:
        add_person_arguments(parser)  # wisepops erase's own: --email, --phone, ...
        add_website_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        email, phone, dry_run = options["email"], options["phone"], options["dry_run"]
        try:
            check_person_arguments(options)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        found = command_problem()  # no key, or no tables
        if found is not None:
            raise CommandError(found)
        try:
            chosen = (
                {} if options["local_only"] else _websites.chosen(websites(), options["website"])
            )
        except wisepops.WebsitesError as exc:
            raise CommandError(str(exc), returncode=2) from None
        first = next(iter(chosen.values()), None)
        api = wisepops.Client(api_key=first) if first and not dry_run else None
        lines = []
        try:
            for line in erase_everywhere(
                api,
                chosen,
                email,
                phone,
                dry_run=dry_run,
                erase_local=lambda: Lead.objects.erase(email=email, phone=phone, dry_run=dry_run),
                local_errors=(DatabaseError,),
            ):
                lines.append(line)
                if line.failed:
                    self.stderr.write(line.text)
                else:
                    self.stdout.write(line.text)
        finally:
            if api is not None:
                api.close()
        failed = failures(lines)
        if failed:
            raise CommandError(failed)
