"""wisepops/_pagination.py: iter() walks by collected_after, whatever the server does with
`page` and with ties.

Most tests here run against each of the four servers `FakeWisepops` can play (see
``tests/servers.py``), on api1 and api2, sync and async, and check that each record comes
out once, oldest first, in server order.
"""

from __future__ import annotations

import json
import pathlib
import warnings
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional

import httpx
import pytest
import respx

import wisepops
from wisepops._pagination import Cursor, contact_walk, email_walk
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL, records
from .servers import MS, SERVERS, T0, collect, listing_calls, playing

# api name -> (the listing's iter() on a client, its page size, its path)
APIS: dict[str, tuple[Callable[[Any], Any], int, str]] = {
    "api1": (lambda c: c.emails.iter(), 100, "/api1/emails"),
    "api2": (lambda c: c.v2.contacts.iter(page_size=10), 10, "/api2/contacts"),
}


server = pytest.mark.parametrize("server", SERVERS)
api = pytest.mark.parametrize("api", APIS)
kind = pytest.mark.parametrize("kind", KINDS)


def walk(
    kind: str, fake: FakeWisepops, api: str, between: Optional[Callable[[int], None]] = None
) -> list[str]:
    """The emails ``iter()`` yields; ``between(n)`` runs after the n-th record is consumed."""
    iterate, _, _ = APIS[api]

    def consume(contacts: Iterator[wisepops.Contact]) -> list[str]:
        emails = []
        for contact in contacts:
            emails.append(contact.email or "")
            if between is not None:
                between(len(emails))
        return emails

    async def consume_async(contacts: AsyncIterator[wisepops.Contact]) -> list[str]:
        emails = []
        async for contact in contacts:
            emails.append(contact.email or "")
            if between is not None:
                between(len(emails))
        return emails

    def action(client: Any) -> Any:
        contacts = iterate(client)
        return consume(contacts) if kind == "sync" else consume_async(contacts)

    result: list[str] = call(kind, action, fake)
    return result


@kind
@api
@server
def test_every_record_once_in_order_with_distinct_instants(
    kind: str, api: str, server: str
) -> None:
    fake = playing(server)
    _, size, path = APIS[api]
    emails = collect(fake, list(range(2 * size + 5)))
    assert walk(kind, fake, api) == emails
    assert len(listing_calls(fake, path)) == 3


@kind
@api
@server
def test_ties_across_every_page_boundary(kind: str, api: str, server: str) -> None:
    fake = playing(server)
    _, size, _ = APIS[api]
    # A crowd of records in one millisecond straddles each boundary of the first pages.
    instants = [0] * (size - 3) + [1] * 7 + [2] * (size - 5) + [3] * 9 + list(range(4, 4 + size))
    emails = collect(fake, instants)
    assert walk(kind, fake, api) == emails


@kind
@api
@server
def test_a_whole_page_in_one_instant_still_makes_progress(kind: str, api: str, server: str) -> None:
    fake = playing(server)
    _, size, _ = APIS[api]
    instants = [0] * 3 + [1] * (size + size // 2) + [2] * 4
    emails = collect(fake, instants)
    if SERVERS[server][0]:  # honour_page
        # The next page by number, with the same collected_after, holds the rest; no
        # warning (the test configuration turns any into an error).
        assert walk(kind, fake, api) == emails
        return
    # With `page` ignored, no request can reach past the first page of that instant: the
    # walk moves past it, warns where it shows by default, and yields the rest once.
    with pytest.warns(RuntimeWarning) as warned:
        yielded = walk(kind, fake, api)
    unreachable = emails[3 + size : 3 + size + size // 2]
    assert yielded == [e for e in emails if e not in unreachable]
    (warning,) = warned
    assert "cannot be fetched" in str(warning.message)
    assert "2024-01-01T00:00:00.001Z" in str(warning.message)


@kind
@api
@server
def test_an_erasure_between_two_pages_skips_nothing(kind: str, api: str, server: str) -> None:
    fake = playing(server)
    _, size, _ = APIS[api]
    emails = collect(fake, list(range(3 * size)))
    erased_early = emails[: size // 2]  # already yielded when erased
    erased_late = [emails[2 * size + 1]]  # erased before it is reached

    def erase(consumed: int) -> None:
        if consumed == size:  # between the first page and the second
            for email in erased_early + erased_late:
                fake.erase(email=email)

    assert walk(kind, fake, api, between=erase) == [e for e in emails if e not in erased_late]


@kind
@server
def test_records_collected_during_the_walk_are_picked_up_once(kind: str, server: str) -> None:
    fake = playing(server)
    emails = collect(fake, list(range(150)))

    def collect_more(consumed: int) -> None:
        if consumed == 100:
            fake.collect(email="late@example.com", collected_at=T0 + 149 * MS)  # a tie, too
            fake.collect(email="later@example.com", collected_at=T0 + 500 * MS)

    expected = [*emails, "late@example.com", "later@example.com"]
    assert walk(kind, fake, "api1", between=collect_more) == expected


@kind
@server
def test_identical_submissions_in_one_millisecond_are_each_yielded_once(
    kind: str, server: str
) -> None:
    fake = playing(server)
    emails = collect(fake, list(range(6)))
    for _ in range(7):  # a double-click storm: the same form, the same instant, across pages
        fake.collect(email="twin@example.com", collected_at=T0 + 6 * MS)
    fake.collect(email="after@example.com", collected_at=T0 + 7 * MS)
    expected = [*emails, *["twin@example.com"] * 7, "after@example.com"]
    assert walk(kind, fake, "api2") == expected


@server
def test_a_2500_record_export_costs_three_calls(server: str) -> None:
    fake = playing(server)
    collect(fake, list(range(2500)))
    with fake.client() as client:
        assert sum(1 for _ in client.v2.contacts.iter()) == 2500
    calls = listing_calls(fake, "/api2/contacts")
    assert len(calls) == 3
    assert all(c["page_size"] == "1000" and "page" not in c for c in calls)


@pytest.mark.parametrize(
    ("count", "calls"),
    [
        (0, 1),
        (999, 1),
        (1000, 2),  # a full last page costs one call more, which finds nothing new
        (1001, 2),
        (2000, 3),
        (2500, 3),
        # Each page after the first repeats the record it starts from (the walk asks from
        # a millisecond before it, for ties): 1,999 records fill a second page exactly.
        (1999, 3),
    ],
)
def test_the_quota_cost_of_a_walk(count: int, calls: int) -> None:
    fake = FakeWisepops()
    collect(fake, list(range(count)))
    with fake.client() as client:
        assert sum(1 for _ in client.v2.contacts.iter()) == count
    assert len(listing_calls(fake, "/api2/contacts")) == calls


def test_the_next_request_asks_from_a_millisecond_before_the_last_record() -> None:
    fake = FakeWisepops()
    collect(fake, [0, 389, 389 + 1000 * 3600])  # the third an hour later
    with fake.client() as client:
        list(client.v2.contacts.iter(collected_after=T0 - MS, page_size=2))
    # The second page repeats the boundary record and fills up: a third call ends it.
    sent = [c["collected_after"] for c in listing_calls(fake, "/api2/contacts")]
    assert sent == [
        "2023-12-31T23:59:59.999Z",
        "2024-01-01T00:00:00.388Z",
        "2024-01-01T01:00:00.388Z",
    ]


@server
def test_a_sub_millisecond_since_keeps_only_what_is_after_it(server: str) -> None:
    fake = playing(server)
    collect(fake, [0, 1, 2])
    with fake.client() as client:
        since = T0 + MS + timedelta(microseconds=500)  # sent as .001: the server may send .001
        assert [c.email for c in client.emails.iter(collected_after=since)] == ["user2@example.com"]


def test_list_still_asks_for_one_page_by_number() -> None:
    fake = FakeWisepops()
    emails = collect(fake, list(range(150)))
    with fake.client() as client:
        page = client.emails.list(page=2)
    assert [c.email for c in page] == emails[100:]
    assert listing_calls(fake, "/api1/emails") == [{"page": "2"}]


# --- against a server that answers as it is told (respx) ---------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_iter_walks_by_collected_after_never_by_page(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").mock(
            side_effect=[
                httpx.Response(200, json=records(0, 100)),
                httpx.Response(200, json=records(99, 100)),  # from the boundary record
                httpx.Response(200, json=records(198, 7)),
            ]
        )
        contacts = call(kind, lambda c: c.emails.iter(wisepop_id=12345))
    assert [c.email for c in contacts] == [f"user{n}@example.com" for n in range(205)]
    sent = [dict(call.request.url.params) for call in route.calls]
    assert sent == [
        {"wisepop_id": "12345"},
        {"wisepop_id": "12345", "collected_after": "2024-01-01T00:01:39.122Z"},
        {"wisepop_id": "12345", "collected_after": "2024-01-01T00:03:18.122Z"},
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_iter_stops_on_an_empty_page_after_a_full_one(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").mock(
            side_effect=[httpx.Response(200, json=records(0, 100)), httpx.Response(200, json=[])]
        )
        contacts = call(kind, lambda c: c.emails.iter())
    assert len(contacts) == 100
    assert route.call_count == 2


@pytest.mark.parametrize("kind", KINDS)
def test_iter_refuses_a_server_that_ignores_collected_after(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=records(0, 100))  # whatever is asked
        yielded: list[wisepops.Contact] = []

        def consume(client: Any) -> Any:
            if isinstance(client, wisepops.Client):
                yielded.extend(client.emails.iter())
                return None

            async def drain() -> None:
                async for contact in client.emails.iter():
                    yielded.append(contact)

            return drain()

        with pytest.warns(RuntimeWarning, match="cannot be fetched"):  # noqa: SIM117
            with pytest.raises(wisepops.APIResponseValidationError, match="already yielded"):
                call(kind, consume)
    # After the first page: a millisecond before its last record, the next page by
    # number, the last record's instant, a millisecond after it; then it gives up.
    assert route.call_count == 5
    assert len(yielded) == 100  # nothing twice


# --- resuming from a Cursor ---------------------------------------------------------

# api name -> (iter() on a client with a cursor, page size, path)
RESUMING: dict[str, tuple[Callable[[Any, Optional[wisepops.Cursor]], Any], int, str]] = {
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
    iterate = RESUMING[api][0]
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
@pytest.mark.parametrize("api", RESUMING)
@pytest.mark.parametrize("server", SERVERS)
def test_a_walk_stopped_anywhere_resumes_with_each_later_record_once(
    kind: str, api: str, server: str
) -> None:
    fake = playing(server)
    size = RESUMING[api][1]
    # Crowds in one millisecond across the first page boundaries, and twins among them.
    instants = [0] * (size - 3) + [1] * 7 + [2] * (size - 5) + [3] * 7 + list(range(4, 4 + size))
    emails = collect(fake, instants)
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
@pytest.mark.parametrize("api", RESUMING)
@pytest.mark.parametrize("server", SERVERS)
def test_a_finished_walk_resumed_costs_one_call_and_yields_what_came_since(
    kind: str, api: str, server: str
) -> None:
    fake = playing(server)
    path = RESUMING[api][2]
    collect(fake, [0, 1, 1, 2])
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
    collect(fake, [0, 1, 2, 3])
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
    emails = collect(fake, [0, 1000, 2000, 3000])
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
    emails = collect(fake, [0, 0, 1, 2, 3, 3, 3])

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
    emails = collect(fake, [0, 1, 2, 3, 4])
    with fake.client() as client:
        walk = client.v2.contacts.iter(page_size=3)
        first = next(walk)
        pages = [[c.email for c in page] for page in walk.pages()]
    assert [first.email] + [e for page in pages for e in page] == emails
    assert pages[0] == emails[1:3]


def test_a_cursor_round_trips_through_json() -> None:
    fake = FakeWisepops("test_key")
    collect(fake, [0, 5, 5])
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


# --- the walk at its edges: giving up, warnings, resuming, ties again ----------------

# The keyset walk at its edges: what it says when it gives up or skips, where a warning
# points, resuming from a saved position, and getting stuck on ties more than once.


def test_a_server_that_ignores_every_way_out_is_told_in_full_and_warned_at_the_callers_line() -> (
    None
):
    yielded: list[wisepops.Contact] = []
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json=records(0, 100))  # whatever is asked
        with wisepops.Client(API_KEY) as client, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(wisepops.APIResponseValidationError) as caught:  # noqa: PT012
                for contact in client.emails.iter():  # the warning points at this line
                    yielded.append(contact)
    assert len(yielded) == 100
    (warning,) = seen
    assert warning.category is RuntimeWarning
    assert str(warning.message) == (
        "a whole page of 100 records shares collected_at 2024-01-01T00:01:39.123Z and the "
        "server ignores `page`: any more records at that instant cannot be fetched; "
        "moving past it"
    )
    lines = pathlib.Path(__file__).read_text("utf-8").splitlines()
    loop = next(n for n, line in enumerate(lines, 1) if "# the warning points at" in line)
    if "mutmut" not in warning.filename:  # mutation testing puts its frames in between
        assert (warning.filename, warning.lineno) == (__file__, loop)
    assert str(caught.value) == (
        "the server answers collected_after=2024-01-01T00:01:39.124Z with records already "
        "yielded, whatever is asked: stopping rather than looping"
    )


@pytest.mark.parametrize(
    "walk",
    [
        lambda position: email_walk(None, 7, position),
        lambda position: contact_walk(None, 7, 250, position),
    ],
    ids=["api1", "api2"],
)
def test_a_walk_resumes_from_a_saved_position(walk: Any) -> None:
    fresh = walk(None).next_operation()
    assert fresh is not None
    assert "collected_after" not in fresh.params
    resumed = walk(Cursor(T0 + 5 * MS, {"k": 1})).next_operation()
    assert resumed is not None
    assert resumed.params["collected_after"] == "2024-01-01T00:00:00.004Z"  # a ms before
    assert resumed.params["wisepop_id"] == "7"


@pytest.mark.parametrize("inclusive", [False, True], ids=[">", ">="])
def test_each_instant_of_ties_starts_again_from_the_first_way_out(inclusive: bool) -> None:
    """Three instants of ties, each a page and a half, on a server that ignores `page`:
    each is left the same way, with its own warning, rather than the walk, once stuck,
    going straight to a later way out (and giving up) at the next one."""
    fake = FakeWisepops(API_KEY, honour_page=False, inclusive_after=inclusive)
    for group in range(3):
        for n in range(3):  # 3 records in one millisecond, pages of 2
            fake.collect(email=f"g{group}n{n}@x.example", collected_at=T0 + group * 10 * MS)
        fake.collect(email=f"g{group}-after@x.example", collected_at=T0 + (group * 10 + 5) * MS)
    with fake.client() as client, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    reachable = [
        [f"g{g}n0@x.example", f"g{g}n1@x.example", f"g{g}-after@x.example"] for g in range(3)
    ]
    assert yielded == [email for group in reachable for email in group]
    instants = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.010Z", "2024-01-01T00:00:00.020Z"]
    assert [str(w.message).split(" and ")[0] for w in seen] == [
        f"a whole page of 2 records shares collected_at {instant}" for instant in instants
    ]


def requests_of(fake: FakeWisepops) -> list[tuple[Optional[str], Optional[str]]]:
    """What each request asked for: (collected_after, page)."""
    return [(r.url.params.get("collected_after"), r.url.params.get("page")) for r in fake.requests]


def test_a_page_spent_on_the_millisecond_before_is_followed_by_the_cursor_itself() -> None:
    """A >= server answers "after a millisecond before the cursor" with records of that
    millisecond: the walk learns it reads >=, and asks from the cursor itself next, not
    for the next page by number."""
    fake = FakeWisepops(API_KEY, inclusive_after=True)
    fake.collect(email="a@x.example", collected_at=T0)
    for name in "bcd":
        fake.collect(email=f"{name}@x.example", collected_at=T0 + MS)
    with fake.client() as client:
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert requests_of(fake) == [
        (None, None),
        ("2024-01-01T00:00:00Z", None),  # gives a and b again: a >= server
        ("2024-01-01T00:00:00.001Z", None),  # so from the cursor: b and c
        ("2024-01-01T00:00:00.001Z", None),  # c and d
        ("2024-01-01T00:00:00.001Z", "2"),  # the same instant again: by number
    ]


def test_nothing_comes_after_the_last_millisecond_of_9999() -> None:
    end = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    fake = FakeWisepops(API_KEY, inclusive_after=True, honour_page=False)
    for name in "xyz":
        fake.collect(email=f"{name}@x.example", collected_at=end)
    with fake.client() as client, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == ["x@x.example", "y@x.example"]  # z cannot be reached: warned
    assert [str(w.message).split(" and ")[0] for w in seen] == [
        "a whole page of 2 records shares collected_at 9999-12-31T23:59:59.999Z"
    ]
    assert requests_of(fake)[-1] == ("9999-12-31T23:59:59.999Z", None)  # then it stops


def contact(email: str, at: datetime = T0) -> dict[str, Any]:
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"collected_at": stamp, "wisepop_id": 1, "fields": {"email": email}}


def scripted(answers: list[list[dict[str, Any]]]) -> tuple[list[Any], list[Any], int]:
    """Walk api2 at 2 a page against a server answering ``answers`` in turn: what was
    yielded, what each request asked for (collected_after, page), and how many warnings."""
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/contacts").mock(
            side_effect=[httpx.Response(200, json=answer) for answer in answers]
        )
        with wisepops.Client(API_KEY) as client, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            yielded = [item.email for item in client.v2.contacts.iter(page_size=2)]
    asked = [(c.request.url.params.get("collected_after"), c.request.url.params.get("page"))
             for c in route.calls]  # fmt: skip
    return yielded, asked, len(seen)


A, B, C, D = (contact(f"{name}@x.example") for name in "abcd")
BEFORE, AT, PAST = "2023-12-31T23:59:59.999Z", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.001Z"


def test_the_walk_never_asks_for_an_earlier_collected_after_than_it_already_did() -> None:
    """A server that, asked past an instant, still sends records of that instant (new
    ones, so they are yielded): the next request stays where the walk had got to."""
    yielded, asked, warned = scripted([[A, B], [A, B], [A, B], [A, B], [C, D], []])
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert warned == 1
    assert asked == [
        (None, None),
        (BEFORE, None),  # a millisecond before the instant
        (BEFORE, "2"),  # the next page by number: ignored
        (AT, None),  # the instant itself, where a >= server sends it again
        (PAST, None),  # past it...
        (PAST, None),  # ...and never back, though c and d were at it
    ]


def test_new_records_at_the_instant_it_is_stuck_on_do_not_start_its_ways_out_again() -> None:
    """Unstuck only once past the instant: records still at it move the walk on, but
    when it stalls there again it takes the next way out, not the first again."""
    yielded, asked, warned = scripted([[A, B], [A, B], [A, B], [C, D], [A, B], []])
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert warned == 1
    assert asked == [
        (None, None),
        (BEFORE, None),
        (BEFORE, "2"),
        (AT, None),  # c and d: new, at the same instant
        (AT, None),  # a and b again: stalled at it still
        (PAST, None),  # so past it, rather than by number once more
    ]


def test_a_page_by_number_that_repeats_the_one_before_yields_nothing_again() -> None:
    """Ties come in any order: b before a, twice, is still nothing new."""
    yielded, asked, warned = scripted([[A, B], [B, A], [B, A], [A, B], []])
    assert yielded == ["a@x.example", "b@x.example"]
    assert warned == 1
    assert asked == [(None, None), (BEFORE, None), (BEFORE, "2"), (AT, None), (PAST, None)]


@pytest.mark.parametrize("inclusive", [False, True], ids=[">", ">="])
def test_ties_over_several_pages_are_paged_by_number_to_the_end(inclusive: bool) -> None:
    fake = FakeWisepops(API_KEY, inclusive_after=inclusive)
    for n in range(7):
        fake.collect(email=f"t{n}@x.example", collected_at=T0)
    with fake.client() as client:
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == [f"t{n}@x.example" for n in range(7)]
    assert requests_of(fake) == [
        (None, None),
        (BEFORE, None),
        (BEFORE, "2"),
        (BEFORE, "3"),
        (BEFORE, "4"),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[" * 100_000, "a cursor is JSON text"),  # was a RecursionError
        ('{"version":1,"collected_at":"garbage","seen":{}}', "not an ISO 8601 time: 'garbage'"),
        ('{"version":1,"collected_at":"' + "9" * 5000 + '","seen":{}}', "not an ISO 8601 time"),
    ],
)
def test_a_garbage_cursor_is_a_value_error_that_says_what_is_wrong_in_short(
    text: str, says: str
) -> None:
    with pytest.raises(ValueError, match="cursor") as caught:
        Cursor.from_json(text)
    assert says in str(caught.value)
    assert len(str(caught.value)) < 300
