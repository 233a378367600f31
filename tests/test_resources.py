"""wisepops/resources.py: what the resources add to the operations they run. ``iter()``
fetches lazily, one page at a time, 1,000 a page on api2, and ``client.v2`` runs on the
same retrying core as the rest."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL, api2_record, records


def test_iter_is_lazy_one_page_at_a_time() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").mock(
            side_effect=lambda request: (
                httpx.Response(200, json=records(0, 100))
                if "collected_after" not in request.url.params
                else httpx.Response(200, json=records(99, 5))
            )
        )
        with wisepops.Client(API_KEY) as client:
            iterator = client.emails.iter()
            assert route.call_count == 0
            next(iterator)
            assert route.call_count == 1
            for _ in range(99):
                next(iterator)
            assert route.call_count == 1
            next(iterator)
            assert route.call_count == 2
            assert len(list(iterator)) == 3


def test_async_iter_is_lazy_one_page_at_a_time() -> None:
    async def main() -> list[int]:
        counts = []
        with respx.mock(base_url=BASE_URL) as mock:
            route = mock.get("/api1/emails").respond(json=records(0, 100))
            async with wisepops.AsyncClient(API_KEY) as client:
                iterator = client.emails.iter()
                counts.append(route.call_count)
                await iterator.__anext__()
                counts.append(route.call_count)
        return counts

    assert asyncio.run(main()) == [0, 1]


@pytest.mark.parametrize("kind", KINDS)
def test_contacts_iter_uses_1000_a_page_and_yields_each_once(kind: str) -> None:
    pages = {
        1: [api2_record(n) for n in range(1000)],
        2: [api2_record(n) for n in range(1000, 1003)],
    }
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/contacts").mock(
            side_effect=lambda request: httpx.Response(
                200, json=pages[2 if "collected_after" in request.url.params else 1]
            )
        )
        contacts = call(kind, lambda c: c.v2.contacts.iter(wisepop_id=98765))
    assert len(contacts) == 1003
    assert len({c.dedupe_key for c in contacts}) == 1003
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"page_size": "1000", "wisepop_id": "98765"},
        {
            "page_size": "1000",
            "wisepop_id": "98765",
            "collected_after": "2024-05-01T08:16:38.999Z",  # before record 999
        },
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_v2_shares_the_retry_core(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/wisepops").mock(
            side_effect=[httpx.Response(502), httpx.Response(200, json=[])]
        )
        assert call(kind, lambda c: c.v2.popups.list()) == []
    assert route.call_count == 2
