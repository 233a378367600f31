"""``wisepops popups``: every pop-up's metrics at a glance, most displayed first."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Optional

from .._wire.encode import to_json
from .._wire.records import Popup
from ._common import client, table

HEADER = ["ID", "LABEL", "ACTIVE", "DISPLAYS", "CLICKS", "EMAILS", "CONVERSION"]
NUMBERS = {0, 3, 4, 5, 6}  # the columns aligned right
UNKNOWN = "-"


def register(commands: Any, api: argparse.ArgumentParser) -> None:
    popups = commands.add_parser(
        "popups",
        parents=[api],
        help="a table of the pop-ups and their metrics, most displayed first",
        description="List every pop-up with its displays, clicks and emails, and its "
        "conversion: emails ÷ displays, as a percentage. Most displayed first; '-' where "
        "WisePops does not say.",
    )
    popups.add_argument(
        "--json",
        action="store_true",
        help="a JSON array of the pop-ups, in the same order, each with 'conversion' as a "
        "ratio (0.033 for 3.3%%) or null",
    )
    popups.set_defaults(run=run)


def conversion(popup: Popup) -> Optional[float]:
    """Emails ÷ displays, or ``None`` when either is unknown or nothing was displayed."""
    if popup.email_count is None or not popup.display_count:
        return None
    return popup.email_count / popup.display_count


def run(args: argparse.Namespace) -> int:
    with client(args) as api:
        popups = api.v2.popups.list()
    # Most displayed first; unknown counts last; ties by id, so the order is stable.
    popups.sort(key=lambda p: (p.display_count is None, -(p.display_count or 0), p.id))
    if args.json:
        print(to_json([{**popup.to_dict(), "conversion": conversion(popup)} for popup in popups]))
    elif popups:
        print(table(HEADER, [_row(popup) for popup in popups], right=NUMBERS))
    else:
        print("wisepops: this website has no pop-ups", file=sys.stderr)
    return 0


def _row(popup: Popup) -> list[str]:
    rate = conversion(popup)
    active = {True: "yes", False: "no", None: UNKNOWN}[popup.activated]
    return [
        str(popup.id),
        popup.label or "",
        active,
        _count(popup.display_count),
        _count(popup.click_count),
        _count(popup.email_count),
        UNKNOWN if rate is None else f"{rate:.1%}",
    ]


def _count(value: Optional[int]) -> str:
    return UNKNOWN if value is None else f"{value:,}"
