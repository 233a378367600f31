"""wisepops/_pagination.py: iter() walks by collected_after, whatever the server does with
`page` and with ties.

Most tests here run against each of the four servers `FakeWisepops` can play (see
``tests/servers.py``), on api1 and api2, sync and async, and check that each record comes
out once, oldest first, in server order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any, Callable, Optional

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import BASE_URL, records
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
