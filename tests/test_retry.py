"""wisepops/_retry.py: the retry decision as plain functions, with no network and no clock;
then the sequences both clients act out from it: attempts, waits, the POST rule."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, formatdate

import httpx
import pytest
import respx

import wisepops
from wisepops._retry import RetryPolicy, is_retryable, parse_retry_after

from .clients import KINDS, call
from .conftest import BASE_URL, fail_then_succeed, records

NOW = 1_700_000_000.0
POLICY = RetryPolicy(max_retries=10)


def response(status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_idempotent_methods_retry_these_statuses(method: str, status: int) -> None:
    assert is_retryable(method, response(status))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422, 302])
@pytest.mark.parametrize("method", ["GET", "DELETE", "POST"])
def test_client_errors_are_never_retried(method: str, status: int) -> None:
    assert not is_retryable(method, response(status))


@pytest.mark.parametrize(
    ("status", "retried"),
    [(429, True), (503, True), (500, False), (502, False), (504, False), (408, False)],
)
def test_post_is_retried_only_where_the_server_did_not_act(status: int, retried: bool) -> None:
    assert is_retryable("POST", response(status)) is retried


REQUEST = httpx.Request("GET", "https://app.wisepops.com/")


@pytest.mark.parametrize(("method", "status"), [("PATCH", 500), ("PATCH", 408), ("POST", 502)])
def test_non_idempotent_methods_are_not_retried_where_the_server_may_have_acted(
    method: str, status: int
) -> None:
    """client.request() can send any method: PATCH is treated like POST."""
    assert not is_retryable(method, response(status))
    assert is_retryable(method, response(503))
    assert not is_retryable(method, httpx.ReadError("reset", request=REQUEST))


@pytest.mark.parametrize("method", ["PUT", "HEAD", "OPTIONS"])
def test_other_idempotent_methods_are_retried_like_get(method: str) -> None:
    assert is_retryable(method, response(500))
    assert is_retryable(method, httpx.ReadError("reset", request=REQUEST))


@pytest.mark.parametrize(
    ("error", "get", "post"),
    [
        (httpx.ConnectError("refused", request=REQUEST), True, True),
        (httpx.ConnectTimeout("slow", request=REQUEST), True, True),
        (httpx.PoolTimeout("busy", request=REQUEST), True, True),
        (httpx.ReadTimeout("slow", request=REQUEST), True, False),
        (httpx.WriteTimeout("slow", request=REQUEST), True, False),
        (httpx.ReadError("reset", request=REQUEST), True, False),
        (httpx.RemoteProtocolError("closed", request=REQUEST), True, False),
        (httpx.DecodingError("bad gzip", request=REQUEST), False, False),
        (httpx.TooManyRedirects("loop", request=REQUEST), False, False),
    ],
)
def test_transport_errors(error: httpx.RequestError, get: bool, post: bool) -> None:
    assert is_retryable("GET", error) is get
    assert is_retryable("DELETE", error) is get
    assert is_retryable("POST", error) is post


def test_backoff_doubles_from_half_a_second_with_jitter_and_a_cap() -> None:
    assert [POLICY.backoff(n, 0.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert POLICY.backoff(0, 0.999) == pytest.approx(0.375, abs=0.001)
    assert 0.375 < POLICY.backoff(0, 0.5) < 0.5


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("5", 5.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        (format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc), usegmt=True), 30.0),
        (format_datetime(datetime.fromtimestamp(NOW - 30, timezone.utc), usegmt=True), 0.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 0.0),
        ("soon", None),
        ("-5", None),
        ("1e9", None),
        ("", None),
        ("Mon, 99 Foo 2015 99:99:99 GMT", None),
        (None, None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, NOW) == seconds


def test_delay_prefers_a_short_retry_after_over_backoff() -> None:
    assert POLICY.delay("GET", response(429, **{"Retry-After": "7"}), 0, jitter=0, now=NOW) == 7
    assert POLICY.delay("GET", response(503), 2, jitter=0, now=NOW) == 2.0


def test_delay_gives_up_on_a_retry_after_beyond_a_minute() -> None:
    assert POLICY.delay("GET", response(429, **{"Retry-After": "60"}), 0, jitter=0, now=NOW) == 60
    assert POLICY.delay("GET", response(429, **{"Retry-After": "61"}), 0, jitter=0, now=NOW) is None
    assert (
        POLICY.delay("GET", response(429, **{"Retry-After": "3600"}), 0, jitter=0, now=NOW) is None
    )


def test_delay_uses_backoff_when_retry_after_is_garbage() -> None:
    assert POLICY.delay("GET", response(429, **{"Retry-After": "x"}), 1, jitter=0, now=NOW) == 1.0


def test_delay_gives_up_when_retries_are_spent() -> None:
    policy = RetryPolicy(max_retries=2)
    assert policy.delay("GET", response(503), 1, jitter=0, now=NOW) == 1.0
    assert policy.delay("GET", response(503), 2, jitter=0, now=NOW) is None
    assert RetryPolicy(max_retries=0).delay("GET", response(503), 0, jitter=0, now=NOW) is None


def test_an_absurdly_long_number_of_seconds_is_garbage() -> None:
    assert parse_retry_after("9" * 400, NOW) is None  # float() says inf


def test_a_date_with_an_offset_counts_from_that_offset() -> None:
    in_30_s = datetime.fromtimestamp(NOW + 30, timezone(timedelta(hours=2)))
    assert parse_retry_after(format_datetime(in_30_s), NOW) == 30.0


def test_a_date_in_minus_0000_is_utc_whatever_the_local_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    in_30_s = format_datetime(datetime.fromtimestamp(NOW + 30, timezone.utc)).replace(
        "+0000", "-0000"
    )
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert parse_retry_after(in_30_s, NOW) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


# --- sequences through both clients ------------------------------------------------------


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
def test_iteration_retries_a_failed_page_without_gaps_or_duplicates(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails", params={"collected_after": "2024-01-01T00:01:39.122Z"}).mock(
            side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json=records(99, 4))]
        )
        mock.get("/api1/emails").respond(json=records(0, 100))
        contacts = call(kind, lambda c: c.emails.iter())
    assert [c.email for c in contacts] == [f"user{n}@example.com" for n in range(103)]
