"""wisepops/_operations.py: what each endpoint sends, how its answer is read, and which
arguments it refuses before sending anything; through both clients."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL, api2_record, record, records

# --- api1: emails ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_list_returns_a_page_of_contacts(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json=records(0, 3))
        page = call(kind, lambda c: c.emails.list())
    assert isinstance(page, wisepops.Page)
    assert [contact.email for contact in page] == [f"user{n}@example.com" for n in range(3)]
    assert (page.page, page.page_size, page.has_next) == (1, 100, False)


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


# --- api2: contacts ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_contacts_list_sends_filters_and_page_size(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/contacts").respond(json=[api2_record(0), api2_record(1)])
        page = call(
            kind,
            lambda c: c.v2.contacts.list(
                collected_after=datetime(2024, 5, 1, tzinfo=timezone.utc),
                wisepop_id=98765,
                page_size=2,
                page=3,
            ),
        )
    assert dict(route.calls.last.request.url.params) == {
        "collected_after": "2024-05-01T00:00:00Z",
        "wisepop_id": "98765",
        "page_size": "2",
        "page": "3",
    }
    assert [c.email for c in page] == ["c0@example.fr", "c1@example.fr"]
    assert page.items[0].form_session == "session-0"
    assert (page.page, page.page_size, page.has_next) == (3, 2, True)


@pytest.mark.parametrize("kind", KINDS)
def test_contacts_list_defaults(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/contacts").respond(json=[])
        call(kind, lambda c: c.v2.contacts.list())
    assert dict(route.calls.last.request.url.params) == {"page": "1", "page_size": "100"}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"page_size": 0}, ValueError),
        ({"page_size": 1001}, ValueError),
        ({"page_size": 5000}, ValueError),
        ({"page": 0}, ValueError),
        ({"page_size": 10.0}, TypeError),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_contacts_list_refuses_bad_paging_and_sends_nothing(
    kind: str, kwargs: dict[str, Any], error: type[Exception]
) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.get("/api2/contacts").respond(json=[])
        with pytest.raises(error, match="page"):
            call(kind, lambda c: c.v2.contacts.list(**kwargs))
    assert route.call_count == 0


@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_contacts_iter_checks_page_size_when_called(cls: type[wisepops.Client]) -> None:
    with pytest.raises(ValueError, match="page_size"):
        cls("k" * 32).v2.contacts.iter(page_size=1001)


# --- hooks: api1's (client.hooks), then api2's (client.v2.hooks) -------------------------


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


@pytest.mark.parametrize("event", ["email", "phone", "survey"])
@pytest.mark.parametrize("kind", KINDS)
def test_v2_hooks_create_for_each_event(kind: str, event: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api2/hooks").respond(json={"id": 7})
        hook = call(kind, lambda c: c.v2.hooks.create("https://example.com/h", event=event))
    assert json.loads(route.calls.last.request.content) == {
        "event": event,
        "target_url": "https://example.com/h",
    }
    assert hook == wisepops.Hook(id=7, target_url="https://example.com/h", event=event)


@pytest.mark.parametrize("args", [("https://example.com/h", "sms"), ("relative/h", "email")])
@pytest.mark.parametrize("kind", KINDS)
def test_v2_hooks_create_refuses_bad_arguments(kind: str, args: tuple[str, str]) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.post("/api2/hooks").respond(json={"id": 7})
        with pytest.raises(ValueError, match=r"event|target_url"):
            call(kind, lambda c: c.v2.hooks.create(*args))
    assert route.call_count == 0


@pytest.mark.parametrize("kind", KINDS)
def test_v2_hooks_delete(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.delete("/api2/hooks").respond(200)
        call(kind, lambda c: c.v2.hooks.delete(7))
    assert dict(route.calls.last.request.url.params) == {"hook_id": "7"}


# --- pop-ups -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_popups_list(kind: str) -> None:
    body = [
        {
            "id": 1,
            "label": "Welcome",
            "created_at": "2024-01-01T00:00:00Z",
            "activated": True,
            "display_count": 1000,
            "click_count": 50,
            "email_count": 20,
            "new_metric": 1,
        },
        {"id": 2, "label": "Exit intent"},
    ]
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/wisepops").respond(json=body)
        popups = call(kind, lambda c: c.v2.popups.list())
    assert route.calls.last.request.url.params == httpx.QueryParams()
    assert popups == [
        wisepops.Popup(
            id=1,
            label="Welcome",
            created_at=datetime(2024, 1, 1, tzinfo=timezone.utc),
            activated=True,
            display_count=1000,
            click_count=50,
            email_count=20,
            extra={"new_metric": 1},
        ),
        wisepops.Popup(id=2, label="Exit intent"),
    ]


@pytest.mark.parametrize("body", [{"id": 1}, [{"label": "no id"}], [{"id": True}], [{"id": -1}]])
@pytest.mark.parametrize("kind", KINDS)
def test_popups_list_with_a_wrong_shape(kind: str, body: Any) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/wisepops").respond(json=body)
        with pytest.raises(wisepops.APIResponseValidationError):
            call(kind, lambda c: c.v2.popups.list())


# --- data privacy ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "sent"),
    [
        ({"email": "jane@example.com"}, {"email": "jane@example.com"}),
        ({"phone": "+14155552671"}, {"phone": "+14155552671"}),
        (
            {"email": "jane@example.com", "phone": "+33612345678"},
            {"email": "jane@example.com", "phone": "+33612345678"},
        ),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_data_privacy_delete(kind: str, kwargs: dict[str, str], sent: dict[str, str]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.delete("/api2/data-privacy").respond(json={"deleted": 3})
        deleted = call(kind, lambda c: c.v2.data_privacy.delete(**kwargs))
    request = route.calls.last.request
    assert deleted == 3
    assert json.loads(request.content) == sent
    assert request.headers["Content-Type"] == "application/json"
    assert request.url.params == httpx.QueryParams()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"email": None, "phone": None},
        {"phone": "+1 415 555 2671"},
        {"phone": "14155552671"},
        {"phone": "+0123456"},
        {"phone": "+1-415-555-2671"},
        {"email": "not-an-email"},
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_data_privacy_delete_refuses_bad_arguments(kind: str, kwargs: dict[str, Any]) -> None:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as mock:
        route = mock.delete("/api2/data-privacy").respond(json={"deleted": 0})
        with pytest.raises(ValueError, match=r"email|phone"):
            call(kind, lambda c: c.v2.data_privacy.delete(**kwargs))
    assert route.call_count == 0


@pytest.mark.parametrize("body", [b"", b"{}", b'{"deleted": "3"}', b"[3]", b"<p>Done</p>"])
@pytest.mark.parametrize("kind", KINDS)
def test_data_privacy_delete_without_a_count_is_done_not_an_error(kind: str, body: bytes) -> None:
    # The erasure cannot be undone: an error would only invite sending it again.
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.delete("/api2/data-privacy").respond(200, content=body)
        assert call(kind, lambda c: c.v2.data_privacy.delete(email="a@example.com")) is None
    assert route.call_count == 1
