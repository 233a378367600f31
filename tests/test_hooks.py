"""api1 hooks: the JSON body, the query string, argument checks."""

from __future__ import annotations

import json
from typing import Any

import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import BASE_URL


@pytest.mark.parametrize("kind", KINDS)
def test_create_posts_json_and_returns_the_hook(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api1/hooks").respond(json={"id": 42})
        hook = call(kind, lambda c: c.hooks.create("https://example.com/hook", wisepop_id=7))
    request = route.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "event": "email",
        "target_url": "https://example.com/hook",
        "wisepop_id": 7,
    }
    assert hook == wisepops.Hook(
        id=42, target_url="https://example.com/hook", event="email", wisepop_id=7
    )


@pytest.mark.parametrize("kind", KINDS)
def test_create_omits_wisepop_id_when_none(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api1/hooks").respond(json={"id": 1})
        call(kind, lambda c: c.hooks.create("http://example.com/hook"))
    assert json.loads(route.calls.last.request.content) == {
        "event": "email",
        "target_url": "http://example.com/hook",
    }


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("/relative/path",), ValueError),
        (("example.com/hook",), ValueError),
        (("ftp://example.com/hook",), ValueError),
        (("https://",), ValueError),
        ((" https://example.com/hook",), ValueError),
        ((b"https://example.com/hook",), TypeError),
        (("https://example.com/hook", "phone"), ValueError),  # api1 knows only "email"
        (("https://example.com/hook", "email", 0), ValueError),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_create_refuses_bad_arguments_and_sends_nothing(
    kind: str, args: tuple[Any, ...], error: type[Exception]
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.post("/api1/hooks").respond(json={"id": 1})
        with pytest.raises(error):
            call(kind, lambda c: c.hooks.create(*args))
    assert route.call_count == 0


@pytest.mark.parametrize("body", [{}, {"id": "42"}, [42], {"id": None}])
@pytest.mark.parametrize("kind", KINDS)
def test_create_with_an_unexpected_answer_is_a_validation_error(kind: str, body: Any) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.post("/api1/hooks").respond(json=body)
        with pytest.raises(wisepops.APIResponseValidationError, match=r"'id'|JSON object"):
            call(kind, lambda c: c.hooks.create("https://example.com/hook"))


@pytest.mark.parametrize("kind", KINDS)
def test_delete_sends_the_id_in_the_query_string(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.delete("/api1/hooks").respond(200, text="OK, not JSON")
        result = call(kind, lambda c: c.hooks.delete(42))
    assert result is None
    assert dict(route.calls.last.request.url.params) == {"hook_id": "42"}
    assert route.calls.last.request.content == b""


@pytest.mark.parametrize("kind", KINDS)
def test_delete_of_an_unknown_hook_raises_not_found(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.delete("/api1/hooks").respond(404, json={"message": "hook not found"})
        with pytest.raises(wisepops.NotFoundError, match="hook not found"):
            call(kind, lambda c: c.hooks.delete(41))


@pytest.mark.parametrize("hook_id", [0, -1, "42", True])
def test_delete_refuses_a_bad_id(hook_id: Any) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.delete("/api1/hooks").respond(200)
        with pytest.raises((TypeError, ValueError)):
            call("sync", lambda c: c.hooks.delete(hook_id))
    assert route.call_count == 0
