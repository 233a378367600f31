"""The fault matrix: every failure, over real loopback HTTP, on both clients.

Each row states the outcome a user gets (the records, or which typed error), how many
attempts were made, and for POST that no hook was created twice.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email.utils import formatdate
from typing import Any, Callable, NamedTuple, Optional

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import BASE_URL
from .rawserver import ResettingServer, refused_url

KEY = "fault-matrix-key-0123456789"
HTML = "<html><body><h1>{status}</h1>nginx</body></html>"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


class Row(NamedTuple):
    name: str
    inject: Callable[[FakeWisepops], None]
    outcome: Optional[type[Exception]]  # None: the call succeeds
    attempts: int


def status(
    code: int, times: int = 1, retry_after: Optional[str] = None
) -> Callable[[FakeWisepops], None]:
    def inject(fake: FakeWisepops) -> None:
        fake.fail_next(code, times=times, retry_after=retry_after, body=HTML.format(status=code))

    return inject


def retry_at_date(fake: FakeWisepops) -> None:
    """The date is taken when the row runs, not when the module is imported."""
    status(503, retry_after=formatdate(time.time() + 3, usegmt=True))(fake)


GET_ROWS = [
    Row("read timeout, then success", lambda f: f.time_out_next(), None, 2),
    Row(
        "read timeout, every attempt",
        lambda f: f.time_out_next(times=3),
        wisepops.APITimeoutError,
        3,
    ),
    Row("reset after the request, then success", lambda f: f.disconnect_next(), None, 2),
    Row("truncated body, then success", lambda f: f.truncate_next(), None, 2),
    Row(
        "truncated body, every attempt",
        lambda f: f.truncate_next(times=3),
        wisepops.APIConnectionError,
        3,
    ),
    *[
        Row(f"{code} HTML page, then success", status(code), None, 2)
        for code in (408, 429, 500, 502, 503, 504)
    ],
    *[
        Row(
            f"{code} HTML page, every attempt",
            status(code, times=3),
            wisepops.RateLimitError
            if code == 429
            else wisepops.InternalServerError
            if code >= 500
            else wisepops.APIStatusError,
            3,
        )
        for code in (408, 429, 500, 502, 503, 504)
    ],
    Row("429 Retry-After: 2 (seconds)", status(429, retry_after="2"), None, 2),
    Row("503 Retry-After: an HTTP date 3 s ahead", retry_at_date, None, 2),
    Row("429 Retry-After: garbage (backoff instead)", status(429, retry_after="soon"), None, 2),
    Row(
        "429 Retry-After: 2 hours (not waited out)",
        status(429, retry_after="7200"),
        wisepops.RateLimitError,
        1,
    ),
    Row("400, never retried", status(400), wisepops.BadRequestError, 1),
    Row(
        "2xx HTML page",
        lambda f: f.fail_next(200, body="<html>Maintenance</html>"),
        wisepops.APIResponseValidationError,
        1,
    ),
]


@pytest.mark.parametrize("row", GET_ROWS, ids=lambda row: row.name)
@pytest.mark.parametrize("kind", KINDS)
def test_get_over_loopback(kind: str, row: Row, sleeps: list[float]) -> None:
    fake = FakeWisepops(api_key=KEY)
    fake.collect(email="a@example.com")
    row.inject(fake)
    with fake.serve() as url:
        action = lambda c: c.emails.list()  # noqa: E731
        if row.outcome is None:
            page = call(kind, action, api_key=KEY, base_url=url, timeout=0.5)
            assert [c.email for c in page] == ["a@example.com"]
        else:
            with pytest.raises(row.outcome):
                call(kind, action, api_key=KEY, base_url=url, timeout=0.5)
    assert len(fake.requests) == row.attempts
    if "Retry-After: 2 (seconds)" in row.name:
        assert sleeps == [2.0]
    if "HTTP date" in row.name:
        assert 1.0 <= sleeps[0] <= 3.0


POST_ROWS = [
    Row(
        "read timeout: the server may have acted",
        lambda f: f.time_out_next(),
        wisepops.APITimeoutError,
        1,
    ),
    Row(
        "reset after the request was processed",
        lambda f: f.disconnect_next(after_processing=True),
        wisepops.APIConnectionError,
        1,
    ),
    Row("truncated answer", lambda f: f.truncate_next(), wisepops.APIConnectionError, 1),
    Row("500 HTML page", status(500), wisepops.InternalServerError, 1),
    Row("502 HTML page", status(502), wisepops.InternalServerError, 1),
    Row("504 HTML page", status(504), wisepops.InternalServerError, 1),
    Row("408", status(408), wisepops.APIStatusError, 1),
    Row("429, then success", status(429), None, 2),
    Row("503, then success", status(503), None, 2),
    Row("429 Retry-After: 2 hours", status(429, retry_after="7200"), wisepops.RateLimitError, 1),
]


@pytest.mark.parametrize("row", POST_ROWS, ids=lambda row: row.name)
@pytest.mark.parametrize("kind", KINDS)
def test_post_over_loopback_never_creates_a_hook_twice(kind: str, row: Row) -> None:
    fake = FakeWisepops(api_key=KEY)
    row.inject(fake)
    with fake.serve() as url:
        action = lambda c: c.hooks.create("https://example.com/hook")  # noqa: E731
        if row.outcome is None:
            hook = call(kind, action, api_key=KEY, base_url=url, timeout=0.5)
            assert fake.hooks == [hook]
        else:
            with pytest.raises(row.outcome):
                call(kind, action, api_key=KEY, base_url=url, timeout=0.5)
    assert len(fake.requests) == row.attempts
    assert len(fake.hooks) <= 1


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused(kind: str) -> None:
    url = refused_url()
    with pytest.raises(wisepops.APIConnectionError) as get_error:
        call(kind, lambda c: c.emails.list(), api_key=KEY, base_url=url)
    assert isinstance(get_error.value.__cause__, httpx.ConnectError)
    with pytest.raises(wisepops.APIConnectionError):
        call(kind, lambda c: c.hooks.create("https://example.com/h"), api_key=KEY, base_url=url)


@pytest.mark.parametrize(
    "read_request", [False, True], ids=["reset, request unread", "reset, request read"]
)
@pytest.mark.parametrize("kind", KINDS)
def test_reset_connections(kind: str, read_request: bool) -> None:
    with ResettingServer(read_request=read_request) as server:
        with pytest.raises(wisepops.APIConnectionError):
            call(kind, lambda c: c.emails.list(), api_key=KEY, base_url=server.url)
        gets = server.connections
        with pytest.raises(wisepops.APIConnectionError):
            call(
                kind,
                lambda c: c.hooks.create("https://example.com/h"),
                api_key=KEY,
                base_url=server.url,
            )
        posts = server.connections - gets
    assert gets == 3  # GET: retried twice
    assert posts == 1  # POST: the request went out; whether it was read, the client cannot tell


@pytest.mark.parametrize("kind", KINDS)
def test_connection_refused_post_is_retried(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api1/hooks").mock(
            side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json={"id": 3})]
        )
        assert call(kind, lambda c: c.hooks.create("https://example.com/h")).id == 3
    assert route.call_count == 2


# --- iteration under faults: every record exactly once, or an error ---------------------


def filled(count: int) -> FakeWisepops:
    fake = FakeWisepops(api_key=KEY)
    for n in range(count):
        fake.collect(email=f"u{n}@example.com", collected_at=T0 + timedelta(seconds=n))
    return fake


ITERATION_FAULTS = [
    ("503 on page 2, then success", lambda f: f.fail_next(503, after=1), None),
    ("timeout on page 2, then success", lambda f: f.time_out_next(after=1), None),
    ("reset on page 2, then success", lambda f: f.disconnect_next(after=1), None),
    ("truncated page 2, then success", lambda f: f.truncate_next(after=1), None),
    (
        "page 3 fails for good",
        lambda f: f.fail_next(500, times=3, after=2),
        wisepops.InternalServerError,
    ),
    (
        "HTML 200 for page 2",
        lambda f: f.fail_next(200, body="<html></html>", after=1),
        wisepops.APIResponseValidationError,
    ),
]


@pytest.mark.parametrize(
    ("name", "inject", "error"), ITERATION_FAULTS, ids=[f[0] for f in ITERATION_FAULTS]
)
@pytest.mark.parametrize("kind", KINDS)
def test_iteration_yields_each_record_once_or_raises(
    kind: str, name: str, inject: Callable[[FakeWisepops], None], error: Optional[type[Exception]]
) -> None:
    fake = filled(250)
    inject(fake)
    yielded: list[str] = []

    def consume(client: Any) -> Any:
        if isinstance(client, wisepops.Client):
            yielded.extend(str(c.email) for c in client.v2.contacts.iter(page_size=100))
            return None

        async def drain() -> None:
            async for contact in client.v2.contacts.iter(page_size=100):
                yielded.append(str(contact.email))

        return drain()

    with fake.serve() as url:
        if error is None:
            call(kind, consume, api_key=KEY, base_url=url, timeout=0.5)
        else:
            with pytest.raises(error):
                call(kind, consume, api_key=KEY, base_url=url, timeout=0.5)
    everything = [f"u{n}@example.com" for n in range(250)]
    assert yielded == everything[: len(yielded)]  # in order, no gap, no duplicate
    assert len(yielded) == (250 if error is None else len(yielded))
    if error is not None:  # only what the pages before the failing one held
        assert len(yielded) in (100, 199)  # each page after the first repeats its boundary
