"""Retry sequences through both clients: attempts, waits, the POST rule."""

from __future__ import annotations

import logging
import re

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL


def fail_then_succeed(*failures: httpx.Response | Exception) -> list[httpx.Response | Exception]:
    return [*failures, httpx.Response(200, json=[])]


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("kind", KINDS)
def test_get_is_retried_then_succeeds(kind: str, status: int, sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").mock(
            side_effect=fail_then_succeed(httpx.Response(status), httpx.Response(status))
        )
        page = call(kind, lambda c: c.emails.list())
    assert len(page) == 0
    assert route.call_count == 3
    assert len(sleeps) == 2
    assert 0.375 <= sleeps[0] <= 0.5
    assert 0.75 <= sleeps[1] <= 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_retries_stop_after_max_retries(kind: str, sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(503)
        with pytest.raises(wisepops.InternalServerError):
            call(kind, lambda c: c.emails.list(), max_retries=3)
    assert route.call_count == 4
    assert len(sleeps) == 3


@pytest.mark.parametrize("kind", KINDS)
def test_max_retries_zero_sends_once(kind: str, sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(503)
        with pytest.raises(wisepops.InternalServerError):
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize(
    "error", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.ReadError("reset")]
)
@pytest.mark.parametrize("kind", KINDS)
def test_get_is_retried_on_transport_errors(kind: str, error: Exception) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").mock(side_effect=fail_then_succeed(error))
        call(kind, lambda c: c.emails.list())
    assert route.call_count == 2


@pytest.mark.parametrize("kind", KINDS)
def test_delete_is_retried(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.delete("/api1/hooks").mock(
            side_effect=[httpx.ReadTimeout("slow"), httpx.Response(500), httpx.Response(200)]
        )
        call(kind, lambda c: c.hooks.delete(42))
    assert route.call_count == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadTimeout("slow"),
        httpx.ReadError("reset"),
        httpx.Response(500),
        httpx.Response(502),
        httpx.Response(504),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_post_is_not_retried_where_the_server_may_have_acted(
    kind: str, failure: httpx.Response | Exception
) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api1/hooks").mock(
            side_effect=[failure, httpx.Response(200, json={"id": 1})]
        )
        with pytest.raises(wisepops.APIError):
            call(kind, lambda c: c.hooks.create("https://example.com/hook"))
    assert route.call_count == 1  # a second call could create a second hook


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.Response(429),
        httpx.Response(503),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_post_is_retried_where_the_server_cannot_have_acted(
    kind: str, failure: httpx.Response | Exception
) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api1/hooks").mock(
            side_effect=[failure, httpx.Response(200, json={"id": 9})]
        )
        hook = call(kind, lambda c: c.hooks.create("https://example.com/hook"))
    assert hook.id == 9
    assert route.call_count == 2


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_seconds_is_waited(kind: str, sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(
            side_effect=fail_then_succeed(httpx.Response(429, headers={"Retry-After": "12"}))
        )
        call(kind, lambda c: c.emails.list())
    assert sleeps == [12.0]


@pytest.mark.parametrize("kind", KINDS)
def test_retry_after_as_an_http_date_is_waited(kind: str, sleeps: list[float]) -> None:
    import time
    from email.utils import formatdate

    in_20_s = formatdate(time.time() + 20, usegmt=True)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(
            side_effect=fail_then_succeed(httpx.Response(503, headers={"Retry-After": in_20_s}))
        )
        call(kind, lambda c: c.emails.list())
    assert len(sleeps) == 1
    assert 17 <= sleeps[0] <= 20


@pytest.mark.parametrize("kind", KINDS)
def test_a_long_retry_after_is_not_waited_out(kind: str, sleeps: list[float]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(429, headers={"Retry-After": "3600"})
        with pytest.raises(wisepops.RateLimitError) as caught:
            call(kind, lambda c: c.emails.list())
    assert caught.value.retry_after == 3600.0
    assert route.call_count == 1
    assert sleeps == []


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limit_after_retries_carries_retry_after(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(429, headers={"Retry-After": "2"})
        with pytest.raises(wisepops.RateLimitError) as caught:
            call(kind, lambda c: c.emails.list())
    assert caught.value.retry_after == 2.0


@pytest.mark.parametrize("kind", KINDS)
def test_rate_limit_without_retry_after(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(429)
        with pytest.raises(wisepops.RateLimitError) as caught:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert caught.value.retry_after is None


@pytest.mark.parametrize("kind", KINDS)
def test_each_attempt_is_logged_at_debug_and_each_retry_at_info_without_the_key(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wisepops")
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=fail_then_succeed(httpx.Response(503)))
        call(kind, lambda c: c.emails.list(collected_after="2024-01-01"))
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "wisepops"]
    assert [level for level, _ in logged] == [logging.DEBUG, logging.INFO, logging.DEBUG]
    assert re.fullmatch(r"GET /api1/emails -> HTTP 503 in \d+ ms \(attempt 1 of 3\)", logged[0][1])
    assert re.fullmatch(
        r"Retrying GET /api1/emails in 0\.\d\d s \(retry 1 of 2\) after HTTP 503", logged[1][1]
    )
    assert re.fullmatch(r"GET /api1/emails -> HTTP 200 in \d+ ms \(attempt 2 of 3\)", logged[2][1])
    assert "2024" not in caplog.text  # the query may hold personal data: never logged
    assert API_KEY not in caplog.text


def test_the_library_is_silent_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=fail_then_succeed(httpx.Response(503)))
        call("sync", lambda c: c.emails.list())
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("kind", KINDS)
def test_iteration_retries_a_failed_page_without_gaps_or_duplicates(kind: str) -> None:
    from .conftest import records

    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails", params={"collected_after": "2024-01-01T00:01:39.122Z"}).mock(
            side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=records(99, 4))]
        )
        mock.get("/api1/emails").respond(json=records(0, 100))
        contacts = call(kind, lambda c: c.emails.iter())
    assert [c.email for c in contacts] == [f"user{n}@example.com" for n in range(103)]


@pytest.mark.parametrize("kind", KINDS)
def test_the_real_waits_are_used_outside_the_tests(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clients' own sleep functions (patched everywhere else) really wait."""
    import time

    import wisepops._client

    from .conftest import REAL_SLEEPS

    monkeypatch.setattr(wisepops._client, "_sleep", REAL_SLEEPS[0])
    monkeypatch.setattr(wisepops._client, "_async_sleep", REAL_SLEEPS[1])
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(
            side_effect=fail_then_succeed(httpx.Response(503, headers={"Retry-After": "0.2"}))
        )
        started = time.monotonic()
        call(kind, lambda c: c.emails.list())
    assert time.monotonic() - started >= 0.2
