"""wisepops/resources.py: what the resources add to the operations they run. ``iter()``
fetches lazily, one page at a time, 1,000 a page on api2, and ``client.v2`` runs on the
same retrying core as the rest."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

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


# --- client.v2.hooks.list() and ensure(), sync and async, against the fake

URL = "https://example.com/wisepops/webhook"


def paths(fake: FakeWisepops) -> list[str]:
    return [f"{request.method} {request.url.path}" for request in fake.requests]


# --- list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_list_returns_the_hooks_created_on_api2(kind: str) -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        email = client.v2.hooks.create(URL)
        phone = client.v2.hooks.create("https://example.com/phone", event="phone", wisepop_id=7)
        client.hooks.create("https://example.com/api1")  # api1's: not listed by api2
    assert call(kind, lambda c: c.v2.hooks.list(), fake=fake) == [email, phone]


@pytest.mark.parametrize("kind", KINDS)
def test_list_of_a_website_without_hooks_is_empty(kind: str) -> None:
    assert call(kind, lambda c: c.v2.hooks.list(), fake=FakeWisepops()) == []


HOOK = {"id": 4, "event": "email", "target_url": URL}


@pytest.mark.parametrize(
    "body",
    [
        [HOOK],
        {"hooks": [HOOK]},
        {"data": [HOOK], "total": 1, "page": {"next": None}},
    ],
    ids=["array", "wrapped", "wrapped-with-more"],
)
@pytest.mark.parametrize("kind", KINDS)
def test_list_reads_an_array_or_an_object_that_wraps_one(kind: str, body: Any) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/hooks").respond(json=body)
        hooks = call(kind, lambda c: c.v2.hooks.list())
    assert hooks == [wisepops.Hook(id=4, target_url=URL, event="email")]


@pytest.mark.parametrize("kind", KINDS)
def test_list_keeps_what_it_does_not_model_in_extra(kind: str) -> None:
    listed = {**HOOK, "wisepop_id": 12, "created_at": "2024-01-01", "active": True}
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/hooks").respond(json=[listed])
        (hook,) = call(kind, lambda c: c.v2.hooks.list())
    assert (hook.id, hook.wisepop_id) == (4, 12)
    assert hook.extra == {"created_at": "2024-01-01", "active": True}
    assert hook.to_dict()["extra"] == {"created_at": "2024-01-01", "active": True}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"error": "nope"}, "object holding 0 arrays"),
        ({"a": [HOOK], "b": []}, "object holding 2 arrays"),
        ("hooks", "expected an array of hooks, got a string"),
        ([{"event": "email", "target_url": URL}], "hook 0: 'id' is missing"),
        ([HOOK, {"id": "5", "event": "email", "target_url": URL}], "hook 1: 'id' must be"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_a_listing_that_is_not_hooks_is_a_validation_error(
    kind: str, body: Any, message: str
) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/hooks").respond(json=body)
        with pytest.raises(wisepops.APIResponseValidationError, match=message):
            call(kind, lambda c: c.v2.hooks.list())


def test_api1_has_no_listing_to_call() -> None:
    client = wisepops.Client("key")
    assert not hasattr(client.hooks, "list")
    assert not hasattr(client.hooks, "ensure")
    assert isinstance(client.v2.hooks, wisepops.resources.Hooks)  # create and delete too


# --- ensure --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_creates_a_missing_hook_then_finds_it(kind: str) -> None:
    fake = FakeWisepops()
    first = call(kind, lambda c: c.v2.hooks.ensure(URL, event="phone", wisepop_id=3), fake=fake)
    again = call(kind, lambda c: c.v2.hooks.ensure(URL, event="phone", wisepop_id=3), fake=fake)
    assert first == again == wisepops.Hook(id=1, target_url=URL, event="phone", wisepop_id=3)
    assert fake.hooks == [first]
    assert paths(fake) == ["GET /api2/hooks", "POST /api2/hooks", "GET /api2/hooks"]


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_matches_url_event_and_popup_all_three(kind: str) -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        client.v2.hooks.create(URL, event="phone")  # another event
        client.v2.hooks.create(URL, wisepop_id=3)  # one pop-up only
        client.v2.hooks.create(URL + "/", event="email")  # another URL
    hook = call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake)
    assert (hook.id, hook.event, hook.wisepop_id) == (4, "email", None)
    assert len(fake.hooks) == 4


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_after_a_lost_answer_finds_the_hook_instead_of_creating_another(
    kind: str,
) -> None:
    fake = FakeWisepops()
    # The POST (the second request to /api2/hooks) creates the hook, then its answer is lost.
    fake.disconnect_next(after_processing=True, path="/api2/hooks", after=1)
    hook = call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake)
    assert fake.hooks == [hook]
    assert paths(fake) == ["GET /api2/hooks", "POST /api2/hooks", "GET /api2/hooks"]


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_with_no_retries_still_finds_a_hook_whose_answer_was_lost(kind: str) -> None:
    fake = FakeWisepops()
    fake.disconnect_next(after_processing=True, path="/api2/hooks", after=1)
    hook = call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake, max_retries=0)
    assert fake.hooks == [hook]


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_creates_again_when_the_lost_create_had_not_worked(kind: str) -> None:
    fake = FakeWisepops()
    fake.disconnect_next(path="/api2/hooks", after=1)  # dropped before it was acted on
    hook = call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake)
    assert fake.hooks == [hook]
    assert paths(fake) == ["GET /api2/hooks", "POST /api2/hooks"] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_creates_at_most_max_retries_more_times_then_raises(kind: str) -> None:
    fake = FakeWisepops()
    fake.fail_next(500, path="/api2/hooks", after=1)  # the first POST
    fake.fail_next(500, path="/api2/hooks", after=1)  # the second, after the GET between
    with pytest.raises(wisepops.InternalServerError):
        call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake, max_retries=1)
    assert fake.hooks == []
    assert paths(fake) == ["GET /api2/hooks", "POST /api2/hooks"] * 2 + ["GET /api2/hooks"]


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_after_an_unreadable_answer_finds_what_was_created(kind: str) -> None:
    fake = FakeWisepops()
    fake.truncate_next(path="/api2/hooks", after=1)  # created; half an answer arrives
    hook = call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake)
    assert fake.hooks == [hook]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
@pytest.mark.parametrize("kind", KINDS)
def test_ensure_does_not_try_again_after_a_refusal(kind: str, status: int) -> None:
    fake = FakeWisepops()
    fake.fail_next(status, path="/api2/hooks", after=1)
    with pytest.raises(wisepops.APIStatusError) as caught:
        call(kind, lambda c: c.v2.hooks.ensure(URL), fake=fake)
    assert caught.value.status_code == status
    assert paths(fake) == ["GET /api2/hooks", "POST /api2/hooks"]


@pytest.mark.parametrize(
    ("args", "error"),
    [(("/relative",), ValueError), ((URL, "sms"), ValueError), ((URL, "email", 0), ValueError)],
)
@pytest.mark.parametrize("kind", KINDS)
def test_ensure_refuses_bad_arguments_and_sends_nothing(
    kind: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    fake = FakeWisepops()
    with pytest.raises(error):
        call(kind, lambda c: c.v2.hooks.ensure(*args), fake=fake)
    assert fake.requests == []


@pytest.mark.parametrize("kind", KINDS)
def test_ensure_against_a_listing_that_wraps_its_array(kind: str) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        mock.get("/api2/hooks").respond(json={"hooks": [HOOK]})
        created = mock.post("/api2/hooks").respond(json={"id": 9})
        hook = call(kind, lambda c: c.v2.hooks.ensure(URL))
    assert hook.id == 4
    assert not created.called


def test_ensure_raises_the_lost_create_s_error_when_the_hook_is_not_there() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/hooks").respond(json=[])
        mock.post("/api2/hooks").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(wisepops.APITimeoutError, match="POST /api2/hooks"):
            call("sync", lambda c: c.v2.hooks.ensure(URL), max_retries=0)
