"""client.v2.hooks.list() and ensure(), sync and async, against the fake and odd answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import BASE_URL

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
