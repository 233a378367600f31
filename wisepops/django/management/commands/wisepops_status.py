"""``manage.py wisepops_status``: ``wisepops status`` through Django's database.

The same figures (:mod:`wisepops._status`, the same SQL on Django's connection), the same
options, output and exit status: 0 when every website's last sync finished without error
(within ``--max-age``), 1 when one did not, 2 for a bad argument. Reads only.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections

from wisepops import WebsitesError, _status
from wisepops._cli.status import add_status_arguments, configured_names, report, websites_to_report

from ...checks import no_tables
from ...config import websites
from ...models import missing_tables

USAGE = 2


class Command(BaseCommand):
    help = (
        "Per website: the leads by source, the last sync run, the last webhook, and the "
        "leads webhooks missed; a table and a 14-day chart, or --json. Exit status 0 when "
        "every website's last sync finished without error (within --max-age), else 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_status_arguments(parser)  # wisepops status's own: --website, --json, --max-age

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            configured = configured_names(websites)
        except WebsitesError as exc:  # a malformed setting
            raise CommandError(str(exc)) from None
        try:
            names = websites_to_report(configured, options["website"])
        except ValueError as exc:  # a --website not configured, or no website's name
            raise CommandError(str(exc), returncode=USAGE) from None
        missing = missing_tables(DEFAULT_DB_ALIAS)
        if missing:
            raise CommandError(no_tables(missing))
        connection = connections[DEFAULT_DB_ALIAS]

        def fetch(sql: str, parameters: Sequence[Any]) -> list[Any]:
            with connection.cursor() as cursor:
                cursor.execute(sql, parameters)
                return list(cursor.fetchall())

        now = datetime.now(timezone.utc)
        statuses = _status.read(fetch, connection.vendor, names, now)
        self.stdout.write(report(statuses, now, options["max_age"], as_json=options["json"]))
        code = _status.exit_status(statuses, now, options["max_age"])
        if code:
            sys.exit(code)  # for a monitor: the figures are printed, and something is wrong
