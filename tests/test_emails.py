"""api1 emails: query encoding, parsing, argument checks, lazy pagination."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL, record, records


@pytest.mark.parametrize("kind", KINDS)
def test_list_returns_a_page_of_contacts(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json=records(0, 3))
        page = call(kind, lambda c: c.emails.list())
    assert isinstance(page, wisepops.Page)
    assert [contact.email for contact in page] == [f"user{n}@example.com" for n in range(3)]
    assert (page.page, page.page_size, page.has_next) == (1, 100, False)


@pytest.mark.parametrize(
    ("collected_after", "sent"),
    [
        (datetime(2024, 3, 1, 2, 0, tzinfo=timezone(timedelta(hours=1))), "2024-03-01T01:00:00Z"),
        (datetime(2024, 3, 1, 1, 0), "2024-03-01T01:00:00Z"),
        (date(2024, 3, 1), "2024-03-01T00:00:00Z"),
        ("2017-03-01T01:00:00+01:00", "2017-03-01T00:00:00Z"),
        (datetime(2024, 3, 1, 1, 0, 0, 389999, tzinfo=timezone.utc), "2024-03-01T01:00:00.389Z"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_collected_after_encoding(kind: str, collected_after: Any, sent: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        call(kind, lambda c: c.emails.list(collected_after=collected_after, wisepop_id=7, page=2))
    params = route.calls.last.request.url.params
    assert dict(params) == {"collected_after": sent, "wisepop_id": "7", "page": "2"}


@pytest.mark.parametrize("kind", KINDS)
def test_none_parameters_are_omitted_not_sent_empty(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        call(kind, lambda c: c.emails.list(collected_after=None, wisepop_id=None))
    assert dict(route.calls.last.request.url.params) == {"page": "1"}


BAD_ARGUMENTS: list[tuple[dict[str, Any], type[Exception]]] = [
    ({"page": 0}, ValueError),
    ({"page": -3}, ValueError),
    ({"wisepop_id": 0}, ValueError),
    ({"wisepop_id": "12"}, TypeError),
    ({"collected_after": 1700000000}, TypeError),
]


@pytest.mark.parametrize(("kwargs", "error"), BAD_ARGUMENTS)
@pytest.mark.parametrize("kind", KINDS)
def test_bad_arguments_raise_and_send_nothing(
    kind: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        with pytest.raises(error):
            call(kind, lambda c: c.emails.list(**kwargs))
    assert route.call_count == 0


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [(kwargs, error) for kwargs, error in BAD_ARGUMENTS if "page" not in kwargs],
)
@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_iter_checks_its_arguments_when_called_not_when_first_iterated(
    cls: type[wisepops.Client], kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        cls(API_KEY).emails.iter(**kwargs)


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
def test_a_2xx_body_of_the_wrong_shape_is_a_validation_error(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json={"emails": []})
        with pytest.raises(
            wisepops.APIResponseValidationError, match="expected an array"
        ) as caught:
            call(kind, lambda c: c.emails.list())
    assert caught.value.response is not None
    assert caught.value.response.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Maintenance</html>", "not valid JSON|Expecting value"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'[{"collected_at": "2024-01-01T00:00:00Z"}]', "record 0: 'wisepop_id' is missing"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_a_2xx_body_that_is_not_records_is_a_validation_error(
    kind: str, body: bytes, message: str
) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(200, content=body)
        with pytest.raises(wisepops.APIResponseValidationError, match=message):
            call(kind, lambda c: c.emails.list())


def test_parsed_contacts_keep_their_fields() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json=[record(1, other_fields={"Gender": "male"})])
        page = wisepops.Client(API_KEY).emails.list()
    assert page.items[0].fields == {"Gender": "male"}
