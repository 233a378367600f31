"""wisepops.Cursor: a walk stopped anywhere resumes with every later record exactly once.

Each resume test runs against the four readings of the documentation that the fake can
play (`page` honoured or not, `collected_after` as `>` or `>=`), on api1 and api2, sync
and async, with twins in one millisecond straddling the page boundaries.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import pytest

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .test_keyset import SERVERS, collect_with_ties, listing_calls, playing

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)

# api name -> (iter() on a client with a cursor, page size, path)
APIS: dict[str, tuple[Callable[[Any, Optional[wisepops.Cursor]], Any], int, str]] = {
    "api1": (lambda c, cursor: c.emails.iter(cursor=cursor), 100, "/api1/emails"),
    "api2": (
        lambda c, cursor: c.v2.contacts.iter(page_size=10, cursor=cursor),
        10,
        "/api2/contacts",
    ),
}


def take(
    kind: str, fake: FakeWisepops, api: str, cursor: Optional[str], stop: Optional[int] = None
) -> tuple[list[str], str]:
    """The emails a walk from ``cursor`` (JSON) yields, ``stop`` of them at most, and the
    walk's cursor afterwards, as JSON."""
    iterate = APIS[api][0]
    start = None if cursor is None else wisepops.Cursor.from_json(cursor)

    def consume(walk: Iterator[wisepops.Contact]) -> list[str]:
        emails: list[str] = []
        while stop is None or len(emails) < stop:
            contact = next(walk, None)
            if contact is None:
                break
            emails.append(contact.email or "")
        return emails

    async def consume_async(walk: AsyncIterator[wisepops.Contact]) -> list[str]:
        emails: list[str] = []
        while stop is None or len(emails) < stop:
            try:
                contact = await walk.__anext__()
            except StopAsyncIteration:
                break
            emails.append(contact.email or "")
        return emails

    def action(client: Any) -> Any:
        walk = iterate(client, start)
        if kind == "sync":
            return consume(walk), walk.cursor.to_json()

        async def run() -> tuple[list[str], str]:
            return await consume_async(walk), walk.cursor.to_json()

        return run()

    result: tuple[list[str], str] = call(kind, action, fake)
    return result


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("server", SERVERS)
def test_a_walk_stopped_anywhere_resumes_with_each_later_record_once(
    kind: str, api: str, server: str
) -> None:
    fake = playing(server)
    size = APIS[api][1]
    # Crowds in one millisecond across the first page boundaries, and twins among them.
    instants = [0] * (size - 3) + [1] * 7 + [2] * (size - 5) + [3] * 7 + list(range(4, 4 + size))
    emails = collect_with_ties(fake, instants)
    for _ in range(2):
        fake.collect(email="twin@example.com", collected_at=T0 + timedelta(milliseconds=3))
    everything, _ = take(kind, fake, api, None)
    assert sorted(everything) == sorted([*emails, "twin@example.com", "twin@example.com"])
    stops = {0, 1, size - 4, size - 3, size - 1, size, size + 4, 2 * size + 1, len(everything)}
    for stop in sorted(stops):
        first, cursor = take(kind, fake, api, None, stop)
        assert len(first) == stop
        rest, _ = take(kind, fake, api, cursor)
        assert first + rest == everything, f"stopped after {stop}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("api", APIS)
@pytest.mark.parametrize("server", SERVERS)
def test_a_finished_walk_resumed_costs_one_call_and_yields_what_came_since(
    kind: str, api: str, server: str
) -> None:
    fake = playing(server)
    path = APIS[api][2]
    collect_with_ties(fake, [0, 1, 1, 2])
    first, cursor = take(kind, fake, api, None)
    assert len(first) == 4
    calls = len(listing_calls(fake, path))
    again, cursor_again = take(kind, fake, api, cursor)
    assert again == []
    assert len(listing_calls(fake, path)) == calls + 1
    assert wisepops.Cursor.from_json(cursor_again) == wisepops.Cursor.from_json(cursor)
    fake.collect(email="late@example.com", collected_at=T0 + timedelta(milliseconds=2))
    fake.collect(email="later@example.com", collected_at=T0 + timedelta(seconds=1))
    later, _ = take(kind, fake, api, cursor)
    assert later == ["late@example.com", "later@example.com"]


def test_the_cursor_is_past_the_last_record_handed_out_not_the_page_fetched() -> None:
    fake = FakeWisepops("test_key")
    collect_with_ties(fake, [0, 1, 2, 3])
    with fake.client() as client:
        walk = client.v2.contacts.iter()
        assert walk.cursor == wisepops.Cursor()
        first = next(walk)
        assert walk.cursor.collected_at == first.collected_at == T0
        assert walk.cursor.seen == {first.dedupe_key: 1}
        rest = list(walk)
        assert walk.cursor.collected_at == rest[-1].collected_at


def test_collected_after_and_a_cursor_together_start_at_the_later() -> None:
    fake = FakeWisepops("test_key")
    emails = collect_with_ties(fake, [0, 1000, 2000, 3000])
    with fake.client() as client:
        walk = client.emails.iter()
        next(walk), next(walk)
        cursor = walk.cursor  # after the record at 1 s
        later = client.emails.iter(collected_after=T0 + timedelta(milliseconds=2500), cursor=cursor)
        assert [c.email for c in later] == emails[3:]
        earlier = client.emails.iter(collected_after=T0, cursor=cursor)
        assert [c.email for c in earlier] == emails[2:]


@pytest.mark.parametrize("kind", KINDS)
def test_pages_hand_out_each_page_with_its_cursor(kind: str) -> None:
    fake = FakeWisepops("test_key")
    emails = collect_with_ties(fake, [0, 0, 1, 2, 3, 3, 3])

    def action(client: Any) -> Any:
        walk = client.v2.contacts.iter(page_size=3)
        if kind == "sync":
            return [([c.email for c in page], walk.cursor) for page in walk.pages()]

        async def run() -> list[tuple[list[Optional[str]], wisepops.Cursor]]:
            return [([c.email for c in page], walk.cursor) async for page in walk.pages()]

        return run()

    pages: list[tuple[list[str], wisepops.Cursor]] = call(kind, action, fake)
    assert [email for page, _ in pages for email in page] == emails
    assert len(pages) == len(listing_calls(fake, "/api2/contacts"))
    for page, cursor in pages:
        if page:
            newest = next(c for c in reversed(fake.contacts) if c.email == page[-1])
            assert cursor.collected_at == newest.collected_at


def test_pages_after_some_records_starts_with_the_rest_of_the_page_in_hand() -> None:
    fake = FakeWisepops("test_key")
    emails = collect_with_ties(fake, [0, 1, 2, 3, 4])
    with fake.client() as client:
        walk = client.v2.contacts.iter(page_size=3)
        first = next(walk)
        pages = [[c.email for c in page] for page in walk.pages()]
    assert [first.email] + [e for page in pages for e in page] == emails
    assert pages[0] == emails[1:3]


def test_a_cursor_round_trips_through_json() -> None:
    fake = FakeWisepops("test_key")
    collect_with_ties(fake, [0, 5, 5])
    with fake.client() as client:
        walk = client.emails.iter()
        list(walk)
    text = walk.cursor.to_json()
    assert json.loads(text) == {
        "version": 1,
        "collected_at": "2024-01-01T00:00:00.005Z",
        "seen": {c.dedupe_key: 1 for c in fake.contacts[1:]},
    }
    assert wisepops.Cursor.from_json(text) == walk.cursor
    assert wisepops.Cursor.from_json(text.encode()) == walk.cursor
    assert wisepops.Cursor.from_json(wisepops.Cursor().to_json()) == wisepops.Cursor()


KEY = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "a cursor is JSON text"),
        ("{not json", "a cursor is JSON text"),
        ("[]", 'expected an object with "version": 1'),
        ('{"version": 2, "collected_at": null, "seen": {}}', "not a cursor of this version"),
        ('{"version": 1, "collected_at": 5, "seen": {}}', "collected_at is an ISO 8601 string"),
        ('{"version": 1, "collected_at": "yesterday", "seen": {}}', "yesterday"),
        ('{"version": 1, "collected_at": null}', "seen maps dedupe keys"),
        ('{"version": 1, "collected_at": null, "seen": []}', "seen maps dedupe keys"),
        ('{"version": 1, "collected_at": "2024-01-01T00:00:00Z", "seen": {"x": 1}}', "32 hex"),
        (
            f'{{"version": 1, "collected_at": "2024-01-01T00:00:00Z", "seen": {{"{KEY}": 0}}}}',
            "above 0",
        ),
        (
            f'{{"version": 1, "collected_at": "2024-01-01T00:00:00Z", "seen": {{"{KEY}": true}}}}',
            "above 0",
        ),
        (
            f'{{"version": 1, "collected_at": null, "seen": {{"{KEY}": 1}}}}',
            "needs their collected_at",
        ),
    ],
)
def test_a_cursor_that_is_not_one_is_a_value_error_saying_what_is_wrong(
    text: str, says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        wisepops.Cursor.from_json(text)
