"""wisepops.testing.FakeWisepops: what users test their integrations against."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .receivers import TABLES, load_receiver, rows

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


def filled(count: int, **kwargs: Any) -> FakeWisepops:
    fake = FakeWisepops()
    for n in range(count):
        fake.collect(
            email=f"u{n}@example.com",
            wisepop_id=1 + n % 2,
            fields={"City": "Paris"},
            collected_at=T0 + timedelta(seconds=n),
            **kwargs,
        )
    return fake


@pytest.mark.parametrize("kind", KINDS)
def test_api1_listing_pages_by_100_oldest_first(kind: str) -> None:
    fake = filled(250)
    contacts = call(kind, lambda c: c.emails.iter(), fake=fake)
    assert [c.email for c in contacts] == [f"u{n}@example.com" for n in range(250)]
    assert [r.url.params.get("collected_after") for r in fake.requests] == [
        None,
        "2024-01-01T00:01:38.999Z",  # a millisecond before record 99 (one a second)
        "2024-01-01T00:03:17.999Z",  # and before record 198
    ]
    assert contacts[0].fields == {"City": "Paris"}


@pytest.mark.parametrize("kind", KINDS)
def test_filters_collected_after_strictly_and_wisepop_id(kind: str) -> None:
    fake = filled(10)
    after = T0 + timedelta(seconds=3)
    contacts = call(
        kind, lambda c: c.v2.contacts.list(collected_after=after, wisepop_id=2), fake=fake
    )
    assert [c.email for c in contacts] == ["u5@example.com", "u7@example.com", "u9@example.com"]


@pytest.mark.parametrize("kind", KINDS)
def test_api2_pages_by_page_size_and_puts_the_email_in_fields(kind: str) -> None:
    fake = filled(25)
    page = call(kind, lambda c: c.v2.contacts.list(page_size=10, page=3), fake=fake)
    assert [c.email for c in page] == [f"u{n}@example.com" for n in range(20, 25)]
    assert page.items[0].fields == {"City": "Paris", "email": "u20@example.com"}
    assert not page.has_next


def test_the_contact_collect_returns_is_the_one_the_api_lists() -> None:
    fake = FakeWisepops()
    contact = fake.collect(email="a@example.com", fields={"x": "1"}, form_session="s1")
    with fake.client() as client:
        (listed,) = client.v2.contacts.list()
    assert listed.dedupe_key == contact.dedupe_key
    assert listed.collected_at == contact.collected_at
    assert contact.collected_at.microsecond % 1000 == 0


def test_collected_at_defaults_to_now_and_stays_in_order() -> None:
    fake = FakeWisepops()
    first = fake.collect(email="a@example.com")
    second = fake.collect(email="b@example.com")
    assert second.collected_at > first.collected_at
    assert abs(datetime.now(timezone.utc) - first.collected_at) < timedelta(seconds=5)


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_key_gets_401(kind: str) -> None:
    fake = filled(1)
    with pytest.raises(wisepops.AuthenticationError):
        call(kind, lambda c: c.emails.list(), fake=fake, api_key="wrong-key")


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api2/contacts?page_size=5000", 400),
        ("/api2/contacts?page=0", 400),
        ("/api1/emails?collected_after=yesterday", 400),
        ("/api1/emails?wisepop_id=abc", 400),
        ("/api1/hooks?hook_id=1", 405),
        ("/api9/nothing", 404),
    ],
)
def test_invalid_parameters_get_400(url: str, status: int) -> None:
    fake = FakeWisepops()
    with httpx.Client(transport=fake.transport(), base_url="https://fake.test") as http:
        response = http.get(url, headers={"Authorization": 'WISEPOPS-API key="test_key"'})
    assert response.status_code == status
    assert "message" in response.json()


@pytest.mark.parametrize("kind", KINDS)
def test_hooks_are_created_and_deleted(kind: str) -> None:
    fake = FakeWisepops()

    def create_two(client: Any) -> Any:
        if isinstance(client, wisepops.Client):
            return [
                client.hooks.create("https://a.example/h"),
                client.v2.hooks.create("https://b.example/h", event="phone", wisepop_id=2),
            ]

        async def both() -> Any:
            return [
                await client.hooks.create("https://a.example/h"),
                await client.v2.hooks.create("https://b.example/h", event="phone", wisepop_id=2),
            ]

        return both()

    first, second = call(kind, create_two, fake=fake)
    assert fake.hooks == [first, second]
    call(kind, lambda c: c.hooks.delete(first.id), fake=fake)
    assert fake.hooks == [second]
    with pytest.raises(wisepops.NotFoundError):
        call(kind, lambda c: c.hooks.delete(first.id), fake=fake)


def test_collect_queues_a_delivery_signed_like_wisepops_for_each_matching_hook() -> None:
    fake = FakeWisepops(api_key="site-key")
    with fake.client() as client:
        api1 = client.hooks.create("https://a.example/h")
        api2 = client.v2.hooks.create("https://b.example/h", wisepop_id=7)
        client.v2.hooks.create("https://c.example/phone", event="phone")
    fake.collect(email="jane@example.com", wisepop_id=7, fields={"Site": "https://x.example/"})
    fake.collect(email="other@example.com", wisepop_id=8)
    deliveries = fake.deliveries
    assert [(d.hook_id, d.target_url) for d in deliveries] == [
        (api1.id, "https://a.example/h"),
        (api2.id, "https://b.example/h"),
        (api1.id, "https://a.example/h"),
    ]
    for delivery in deliveries:
        signature = delivery.headers[wisepops.SIGNATURE_HEADER]
        assert wisepops.verify_signature(delivery.body, signature, "site-key")
    assert b"https:\\/\\/x.example\\/" in deliveries[0].body  # PHP escapes slashes
    (api1_record,) = json.loads(deliveries[0].body)
    (api2_record,) = json.loads(deliveries[1].body)
    assert api1_record["email"] == "jane@example.com"
    assert "other_fields" in api1_record
    assert api2_record["fields"]["email"] == "jane@example.com"
    assert wisepops.parse_payload(deliveries[1].body)[0].email == "jane@example.com"


def test_phone_and_survey_records_go_to_their_hooks() -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        phone = client.v2.hooks.create("https://a.example/phone", event="phone")
        survey = client.v2.hooks.create("https://a.example/survey", event="survey")
    fake.collect(fields={"phone": "+33612345678"})
    fake.collect(fields={"Q1": "yes"})
    assert [d.hook_id for d in fake.deliveries] == [phone.id, survey.id]


def test_an_empty_fields_object_is_sent_as_php_does() -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("https://a.example/h")
    fake.collect(email="a@example.com")
    assert b'"other_fields":[]' in fake.deliveries[0].body


def test_deliver_in_process_to_a_wsgi_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = tmp_path / "leads.sqlite3"
    receiver = load_receiver("flask", monkeypatch, database, "test_key")
    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("http://localhost/wisepops/webhook")
    fake.collect(email="a@example.com")
    fake.collect(email="b@example.com")
    results = fake.deliver(receiver.app)
    assert [r.status_code for r in results] == [200, 200]
    assert all(r.ok for r in results)
    assert fake.deliveries == []
    assert [row["email"] for row in rows(database, TABLES["flask"])] == [
        "a@example.com",
        "b@example.com",
    ]


def test_deliver_in_process_to_an_asgi_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    database = tmp_path / "leads.sqlite3"
    receiver = load_receiver("fastapi", monkeypatch, database, "test_key")
    fake = FakeWisepops()
    with fake.client() as client:
        client.v2.hooks.create("http://localhost/wisepops/webhook")
    fake.collect(email="a@example.com")
    (result,) = fake.deliver(receiver.app)
    assert result.status_code == 200
    assert len(rows(database, TABLES["fastapi"])) == 1


def test_refused_deliveries_stay_queued_for_a_retry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    receiver = load_receiver("flask", monkeypatch, tmp_path / "leads.sqlite3", "other-key")
    fake = FakeWisepops()  # signs with "test_key": the receiver expects another key
    with fake.client() as client:
        client.hooks.create("http://localhost/wisepops/webhook")
    fake.collect(email="a@example.com")
    (result,) = fake.deliver(receiver.app)
    assert result.status_code == 401
    assert result.text is not None
    assert json.loads(result.text) == {"error": "invalid or missing signature"}  # and why
    assert not result.ok
    assert len(fake.deliveries) == 1
    monkeypatch.setattr(receiver, "WEBSITES", {"default": "test_key"})
    assert [r.status_code for r in fake.deliver(receiver.app)] == [200]
    assert fake.deliveries == []


def test_deliver_over_the_network_reports_errors() -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("http://127.0.0.1:9/unreachable")
    fake.collect(email="a@example.com")
    (result,) = fake.deliver()
    assert result.status_code is None
    assert result.error is not None
    assert "ConnectError" in result.error
    assert len(fake.deliveries) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_fail_next_with_retry_after(kind: str, sleeps: list[float]) -> None:
    fake = filled(3)
    fake.fail_next(429, retry_after=7)
    assert len(call(kind, lambda c: c.emails.list(), fake=fake)) == 3
    assert fake.waits == [7.0]  # recorded, not slept
    assert sleeps == []
    assert len(fake.requests) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_fail_next_times_exhausts_retries(kind: str) -> None:
    fake = filled(3)
    fake.fail_next(502, times=3, body="<html>Bad gateway</html>")
    with pytest.raises(wisepops.InternalServerError) as caught:
        call(kind, lambda c: c.emails.list(), fake=fake)
    assert caught.value.body == "<html>Bad gateway</html>"
    assert len(call(kind, lambda c: c.emails.list(), fake=fake)) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_faults_can_target_a_path_and_skip_requests(kind: str) -> None:
    fake = filled(250)
    fake.fail_next(500, times=3, path="/api1/emails", after=1)
    with pytest.raises(wisepops.InternalServerError):
        call(kind, lambda c: c.emails.iter(), fake=fake)
    first, *retried = [r.url.params.get("collected_after") for r in fake.requests]
    assert first is None
    assert retried == ["2024-01-01T00:01:38.999Z"] * 3


@pytest.mark.parametrize("kind", KINDS)
def test_time_out_next(kind: str) -> None:
    fake = filled(1)
    fake.time_out_next(times=3)
    with pytest.raises(wisepops.APITimeoutError):
        call(kind, lambda c: c.emails.list(), fake=fake)


@pytest.mark.parametrize("kind", KINDS)
def test_a_post_whose_answer_is_lost_creates_exactly_one_hook(kind: str) -> None:
    fake = FakeWisepops()
    fake.disconnect_next(after_processing=True)
    with pytest.raises(wisepops.APIConnectionError):
        call(kind, lambda c: c.hooks.create("https://a.example/h"), fake=fake)
    assert len(fake.hooks) == 1
    assert len(fake.requests) == 1


def test_fault_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="times"):
        FakeWisepops().fail_next(times=0)


@pytest.mark.parametrize("kind", KINDS)
def test_popups_count_the_emails_collected(kind: str) -> None:
    fake = filled(5)
    welcome = fake.add_popup("Welcome", popup_id=1, display_count=100, click_count=10)
    assert welcome.email_count == 3
    fake.add_popup("Exit", popup_id=2)
    popups = call(kind, lambda c: c.v2.popups.list(), fake=fake)
    assert [(p.label, p.display_count, p.email_count) for p in popups] == [
        ("Welcome", 100, 3),
        ("Exit", 0, 2),
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_data_privacy_deletes_by_email_or_phone(kind: str) -> None:
    fake = filled(3)
    fake.collect(fields={"phone": "+33612345678"})
    deleted = call(
        kind,
        lambda c: c.v2.data_privacy.delete(email="u1@example.com", phone="+33612345678"),
        fake=fake,
    )
    assert deleted == 2
    assert [c.email for c in fake.contacts] == ["u0@example.com", "u2@example.com"]


@pytest.mark.parametrize("kind", KINDS)
def test_serve_over_real_http(kind: str) -> None:
    fake = filled(120)
    with fake.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        contacts = call(kind, lambda c: c.emails.iter(), api_key="test_key", base_url=url)
    assert len(contacts) == 120


def test_serve_acts_out_faults_on_the_wire() -> None:
    fake = filled(1)
    options: dict[str, Any] = {"timeout": 0.5, "max_retries": 3}
    with fake.serve() as url, wisepops.Client("test_key", base_url=url, **options) as client:
        fake.time_out_next()
        fake.disconnect_next()
        fake.truncate_next()
        assert len(client.emails.list()) == 1  # three failures, then success
        fake.truncate_next(times=4)
        with pytest.raises(wisepops.APIConnectionError, match="complete message body"):
            client.emails.list()
    assert len(fake.requests) == 8


def test_deliver_with_your_own_http_client() -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("https://receiver.example/hook")
    fake.collect(email="a@example.com")
    seen: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with httpx.Client(transport=httpx.MockTransport(receive)) as http:
        (result,) = fake.deliver(http_client=http)
    assert result.status_code == 204
    assert str(seen[0].url) == "https://receiver.example/hook"
    assert wisepops.verify_signature(
        seen[0].content, seen[0].headers[wisepops.SIGNATURE_HEADER], "test_key"
    )
    assert fake.deliveries == []


AUTH = {"Authorization": 'WISEPOPS-API key="test_key"'}


@pytest.mark.parametrize(
    ("method", "url", "body", "message"),
    [
        ("POST", "/api1/hooks", b"not json", "the body must be JSON"),
        ("POST", "/api1/hooks", b"[]", "the body must be a JSON object"),
        ("POST", "/api1/hooks", b'{"event": "email", "target_url": "/x"}',
         "target_url must be an absolute URL"),
        ("POST", "/api1/hooks", b'{"event": "phone", "target_url": "https://x.example/"}',
         "event must be one of email"),
        ("POST", "/api2/hooks",
         b'{"event": "survey", "target_url": "https://x.example/", "wisepop_id": "7"}',
         "wisepop_id must be an integer"),
        ("DELETE", "/api2/hooks", b"", "hook_id is required"),
        ("DELETE", "/api2/data-privacy", b"{}", "email or phone is required"),
    ],
)  # fmt: skip
def test_the_fake_answers_400_to_what_wisepops_would_refuse(
    method: str, url: str, body: bytes, message: str
) -> None:
    fake = FakeWisepops()
    with httpx.Client(transport=fake.transport(), base_url="https://fake.test") as http:
        response = http.request(method, url, content=body, headers=AUTH)
    assert (response.status_code, response.json()) == (400, {"message": message})
    assert fake.hooks == []


def test_collected_at_is_kept_in_utc_and_to_the_millisecond() -> None:
    fake = FakeWisepops()
    naive = fake.collect(email="a@example.com", collected_at=datetime(2024, 1, 1, 12, 0, 0, 123456))
    paris = timezone(timedelta(hours=1))
    aware = fake.collect(
        email="b@example.com", collected_at=datetime(2024, 1, 1, 13, 0, tzinfo=paris)
    )
    assert naive.collected_at == datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=timezone.utc)
    assert aware.collected_at == datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert [c.email for c in fake.contacts] == ["b@example.com", "a@example.com"]


def test_adeliver_with_your_own_async_client() -> None:
    import asyncio

    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("https://receiver.example/hook")
    fake.collect(email="a@example.com")

    async def main() -> list[int | None]:
        transport = httpx.MockTransport(lambda request: httpx.Response(202))
        async with httpx.AsyncClient(transport=transport) as http:
            return [r.status_code for r in await fake.adeliver(http_client=http)]

    assert asyncio.run(main()) == [202]
    assert fake.deliveries == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_truncated_answer_in_process_is_a_protocol_error(kind: str) -> None:
    fake = filled(1)
    fake.truncate_next(times=3)
    with pytest.raises(wisepops.APIConnectionError, match="complete message body"):
        call(kind, lambda c: c.emails.list(), fake=fake)
    assert len(fake.requests) == 3


def test_adeliver_reports_transport_errors() -> None:
    import asyncio

    fake = FakeWisepops()
    with fake.client() as client:
        client.hooks.create("http://127.0.0.1:9/unreachable")
    fake.collect(email="a@example.com")
    (result,) = asyncio.run(fake.adeliver())
    assert result.status_code is None
    assert result.error is not None
    assert result.error.startswith("ConnectError")
    assert len(fake.deliveries) == 1


def test_a_fault_body_that_is_not_text_is_refused_when_planned() -> None:
    fake = FakeWisepops()
    with pytest.raises(TypeError, match="body must be a str"):
        fake.fail_next(400, body={"error": "x"})  # type: ignore[arg-type]
    with fake.client() as client:
        assert len(client.emails.list()) == 0  # no fault was left planned


def slept(seconds: float) -> None:
    pytest.fail(f"a client of the fake slept {seconds} s for real")


async def slept_async(seconds: float) -> None:
    slept(seconds)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_fakes_clients_record_their_waits_instead_of_sleeping(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user's test after fail_next(503, times=2) took 1.4 s of real sleep."""
    monkeypatch.setattr(wisepops._client, "_sleep", slept)
    monkeypatch.setattr(wisepops._client, "_async_sleep", slept_async)
    fake = FakeWisepops()
    fake.collect(email="a@example.com")
    fake.fail_next(503, times=2)
    if kind == "sync":
        with fake.client() as client:
            assert len(client.emails.list()) == 1
    else:

        async def listed() -> int:
            async with fake.async_client() as client:
                return len(await client.emails.list())

        assert asyncio.run(listed()) == 1
    assert len(fake.waits) == 2
    assert all(seconds > 0 for seconds in fake.waits)
