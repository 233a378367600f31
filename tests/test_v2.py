"""api2 behind client.v2: contacts, hooks for three events, pop-ups, data privacy."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import BASE_URL


def api2_record(n: int) -> dict[str, Any]:
    return {
        "collected_at": f"2024-05-01T08:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "wisepop_id": 98765,
        "ip": "203.0.113.7",
        "country_code": "FR",
        "form_session": f"session-{n}",
        "fields": {"email": f"c{n}@example.fr", "phone": "+33612345678"},
    }


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


@pytest.mark.parametrize("kind", KINDS)
def test_v2_shares_the_retry_core(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/wisepops").mock(
            side_effect=[httpx.Response(502), httpx.Response(200, json=[])]
        )
        assert call(kind, lambda c: c.v2.popups.list()) == []
    assert route.call_count == 2
