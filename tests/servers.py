"""The four servers the documentation allows, as ``FakeWisepops`` plays them, and records
collected at chosen milliseconds: what the walk's and the export's tests run against.

WisePops' documentation leaves open whether `page` is honoured (its current revision no
longer lists it) and whether `collected_after` means `>` or `>=`.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from wisepops.testing import FakeWisepops

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)

# The four readings of the documentation: (honour_page, inclusive_after).
SERVERS = {
    "page honoured, >": (True, False),
    "page honoured, >=": (True, True),
    "page ignored, >": (False, False),
    "page ignored, >=": (False, True),
}


def playing(server: str, api_key: str = "test_key") -> FakeWisepops:
    """A fake that reads `page` and `collected_after` as ``server`` says."""
    honour_page, inclusive_after = SERVERS[server]
    return FakeWisepops(api_key, honour_page=honour_page, inclusive_after=inclusive_after)


def collect(fake: FakeWisepops, instants: list[int], prefix: str = "user") -> list[str]:
    """One record per entry, collected at T0 + that many ms; returns their emails in order."""
    emails = []
    for n, offset in enumerate(instants):
        email = f"{prefix}{n}@example.com"
        fake.collect(email=email, collected_at=T0 + offset * MS)
        emails.append(email)
    return emails


def listing_calls(fake: FakeWisepops, path: str) -> list[dict[str, str]]:
    """The query of each request the fake got for the listing at ``path``."""
    return [dict(r.url.params) for r in fake.requests if r.url.path == path]
