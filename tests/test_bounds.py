"""Bounded in time, memory and type, against a misbehaving server on loopback.

Every case goes through the public API only: a call ends within about
``(max_retries + 1) * timeout`` whatever the server does, a response is read up to
``max_response_bytes`` (decoded) and an error's body only as far as its excerpt needs,
memory stays bounded (measured in a subprocess), redirects end in typed errors, and
the key never reaches another origin. Times are bounds with generous slack, never speeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime
import gzip
import inspect
import logging
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, Callable, Optional

import httpx
import httpx2
import pytest
import trio

import wisepops
from wisepops import _operations as ops
from wisepops._attempt import Attempt, TooLarge, _Pieces, attempt_seconds
from wisepops._config import DEFAULT_MAX_RESPONSE_BYTES, resolve_config
from wisepops._core import RequestSpec, exchange

from . import hostile_server as hostile
from .clients import KINDS_AND_TRIO
from .hostile_server import Behaviour, HostileServer, Request

# trio warns of every async generator collected unfinished, and httpx's and httpcore's
# body iterators nest several: stopping at a cap or a deadline leaves them so (the SDK
# then closes the response, and trio closes them). Harmless, and only on those paths.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Async generator '(httpx|httpcore)2?[.]"
    ".*' was garbage collected before it had been exhausted:ResourceWarning"
)

KEY = "bounds-test-key-0123456789abcdef"
HTTP_MODULES = {"httpx": httpx, "httpx2": httpx2}
SLACK = 3.0  # seconds: a deadline is correctness, so its bound is generous
DRIP = 0.05  # seconds between two bytes: far below any read timeout here
REPO = Path(__file__).resolve().parent.parent


def run(
    kind: str,
    action: Callable[[Any], Any],
    *,
    http: Optional[str] = None,
    http_options: Optional[dict[str, Any]] = None,
    **options: Any,
) -> Any:
    """``action(client)`` on a new client of ``kind`` ("sync", "async" or "trio"), over
    the SDK's own HTTP client or a user's ``http`` ("httpx" or "httpx2") one."""
    options.setdefault("api_key", KEY)
    module = HTTP_MODULES[http] if http else None
    if kind == "sync":
        with contextlib.ExitStack() as stack:
            if module is not None:
                options["http_client"] = stack.enter_context(module.Client(**(http_options or {})))
            client = stack.enter_context(wisepops.Client(**options))
            result = action(client)
            return list(result) if isinstance(result, Iterator) else result

    async def main() -> Any:
        async with contextlib.AsyncExitStack() as stack:
            if module is not None:
                user_client = module.AsyncClient(**(http_options or {}))
                options["http_client"] = await stack.enter_async_context(user_client)
            client = await stack.enter_async_context(wisepops.AsyncClient(**options))
            result = action(client)
            if inspect.isawaitable(result):
                return await result
            if isinstance(result, AsyncIterator):
                return [item async for item in result]
            return result

    return trio.run(main) if kind == "trio" else asyncio.run(main())


def always(behaviour: Behaviour) -> Callable[[Request], Behaviour]:
    return lambda request: behaviour


def timed(call: Callable[[], Any]) -> tuple[BaseException, float]:
    """The exception ``call()`` raised, and how long it took to."""
    started = time.monotonic()
    with pytest.raises(Exception) as caught:  # noqa: PT011 - the tests check the type
        call()
    return caught.value, time.monotonic() - started


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# --- time: timeout bounds each attempt as a whole ----------------------------------------

STALLS: dict[str, Callable[[], Behaviour]] = {
    "status line and headers dripped": lambda: hostile.drip_head(DRIP),
    "body dripped": lambda: hostile.drip_body(DRIP),
    "silence after the request": hostile.stall,
}


@pytest.mark.parametrize("stall", STALLS, ids=str)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_a_call_ends_within_its_attempts_whatever_the_server_drips(
    kind: str, stall: str, sleeps: list[float]
) -> None:
    with HostileServer(always(STALLS[stall]())) as server:
        error, elapsed = timed(
            lambda: run(
                kind,
                lambda c: c.v2.contacts.list(),
                base_url=server.url,
                timeout=0.5,
                max_retries=1,
            )
        )
        assert isinstance(error, wisepops.APITimeoutError)
        assert len(server.requests) == 2  # retried once, as any timeout is
        assert len(sleeps) == 1  # the backoff, logged and (in tests) not slept
        assert elapsed < 2 * 0.5 + SLACK
        # Nothing is left reading: each attempt's connection is closed.
        assert wait_until(lambda: not server._connections)


@pytest.mark.parametrize("stall", ["status line and headers dripped", "body dripped"])
@pytest.mark.parametrize("http", HTTP_MODULES)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_the_bound_holds_on_a_users_httpx_or_httpx2_client(
    kind: str, http: str, stall: str
) -> None:
    with HostileServer(always(STALLS[stall]())) as server:
        error, elapsed = timed(
            lambda: run(
                kind,
                lambda c: c.emails.list(),
                http=http,
                base_url=server.url,
                timeout=0.5,
                max_retries=0,
            )
        )
    assert isinstance(error, wisepops.APITimeoutError)
    assert elapsed < 0.5 + SLACK


@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_the_bound_holds_on_a_connection_reused_from_the_pool(kind: str) -> None:
    """Page 1 is answered on a kept-alive connection; page 2 drips on that same one."""

    drip = hostile.drip_head(DRIP)

    def script(request: Request) -> Behaviour:
        return hostile.respond(body=hostile.records(2)) if request.number == 0 else drip

    lengths: list[int] = []

    def two_calls(client: Any) -> Any:
        if isinstance(client, wisepops.Client):
            lengths.append(len(client.v2.contacts.list()))
            return client.v2.contacts.list()

        async def both() -> Any:
            lengths.append(len(await client.v2.contacts.list()))
            return await client.v2.contacts.list()

        return both()

    with HostileServer(script) as server:
        error, elapsed = timed(
            lambda: run(kind, two_calls, base_url=server.url, timeout=0.5, max_retries=0)
        )
    assert lengths == [2]
    assert isinstance(error, wisepops.APITimeoutError)
    assert elapsed < 0.5 + SLACK


def test_a_number_bounds_the_attempt_and_an_httpx_timeout_its_largest_value() -> None:
    with HostileServer(always(hostile.drip_body(DRIP))) as server:
        patient = httpx.Timeout(0.3, read=1.2)  # each read within 0.3 s... but 1.2 s in all
        error, elapsed = timed(
            lambda: run(
                "sync",
                lambda c: c.emails.list(),
                base_url=server.url,
                timeout=patient,
                max_retries=0,
            )
        )
    assert isinstance(error, wisepops.APITimeoutError)
    assert 1.2 <= elapsed < 1.2 + SLACK


def test_calls_timed_out_on_kept_alive_connections_leave_no_thread_behind() -> None:
    """Each connection answers once, then drips the headers of its second request: half
    the calls time out on a connection reused from the pool, where no socket is seen
    before the headers come. Each one ends on time and takes its thread and socket along."""
    answered: weakref.WeakSet[socket.socket] = weakref.WeakSet()
    page, drip = hostile.respond(body=hostile.records(1)), hostile.drip_head(DRIP)

    def behave(connection: socket.socket, request: Request) -> bool:
        if connection in answered:
            return drip(connection, request)
        answered.add(connection)
        return page(connection, request)

    with HostileServer(always(behave)) as server:
        before = threading.active_count()
        client = wisepops.Client(KEY, base_url=server.url, timeout=0.5, max_retries=0)
        outcomes = []
        for _ in range(24):
            started = time.monotonic()
            try:
                outcomes.append(len(client.v2.contacts.list()))
            except wisepops.APITimeoutError:
                outcomes.append(-1)
            assert time.monotonic() - started < 0.5 + SLACK
        time.sleep(1.0)
        assert threading.active_count() <= before + 2
        client.close()
        assert wait_until(lambda: threading.active_count() <= before)
        assert wait_until(lambda: not server._connections)
    assert outcomes == [1, -1] * 12


def test_client_sends_from_a_reused_worker_thread_with_the_callers_context() -> None:
    request_id = contextvars.ContextVar("request_id", default="unset")
    seen: list[tuple[str, int, str]] = []

    def hook(request: httpx.Request) -> None:
        seen.append((threading.current_thread().name, threading.get_ident(), request_id.get()))

    request_id.set("req-42")
    hooks = {"request": [hook]}
    with (
        HostileServer(always(hostile.respond())) as server,
        httpx.Client(event_hooks=hooks) as http,
    ):
        client = wisepops.Client(KEY, base_url=server.url, http_client=http)
        client.v2.popups.list()
        client.v2.popups.list()
    assert [(name, value) for name, _, value in seen] == [("wisepops-attempt", "req-42")] * 2
    assert seen[0][1] == seen[1][1] != threading.get_ident()  # one thread, reused
    ident = seen[0][1]
    seen.clear()
    with (
        HostileServer(always(hostile.respond())) as server,
        httpx.Client(event_hooks=hooks) as http,
    ):
        unbounded = httpx.Timeout(None)  # no deadline: sent from the caller's thread
        wisepops.Client(
            KEY, base_url=server.url, http_client=http, timeout=unbounded
        ).v2.popups.list()
    assert [thread for _, thread, _ in seen] == [threading.get_ident()]
    assert ident != threading.get_ident()


# --- memory: a response is read up to a cap, decoded -------------------------------------

TOO_LARGE: dict[str, Callable[[], Behaviour]] = {
    "gzip bomb": lambda: hostile.gzip_bomb(64 * 2**20),
    "endless chunked body": hostile.endless,
    "endless page of records": hostile.endless_page,
}


@pytest.mark.parametrize("fault", TOO_LARGE, ids=str)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_a_body_over_the_cap_is_refused_saying_how_to_raise_it(kind: str, fault: str) -> None:
    with HostileServer(always(TOO_LARGE[fault]())) as server:
        error, _ = timed(lambda: run(kind, lambda c: c.v2.contacts.list(), base_url=server.url))
        assert len(server.requests) == 1  # not retried: it would only be as large again
    assert isinstance(error, wisepops.APIResponseValidationError)
    assert "max_response_bytes=16,777,216 (16 MiB)" in str(error)
    assert "with_options(max_response_bytes=...)" in str(error)
    assert error.response is not None
    assert len(error.response.content) <= 64 * 1024  # what it began with, for a look


@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_the_cap_counts_decoded_bytes_and_lets_exactly_its_size_through(kind: str) -> None:
    body = hostile.records(40)
    gzipped = hostile.gzip_of_spaces(0)  # "[]" as gzip, to check decoded bytes are counted
    behaviours = {
        "/exact": hostile.respond(body=body),
        "/over": hostile.respond(body=body + b" "),
        "/gzip": hostile.respond(body=gzipped, headers={"Content-Encoding": "gzip"}),
    }
    with HostileServer(lambda request: behaviours[request.target]) as server:

        def calls(client: Any) -> Any:
            capped = client.with_options(max_response_bytes=len(body))
            tight = client.with_options(max_response_bytes=1)
            if isinstance(client, wisepops.Client):
                with pytest.raises(wisepops.APIResponseValidationError):
                    capped.request("GET", "/over")
                with pytest.raises(wisepops.APIResponseValidationError):
                    tight.request("GET", "/gzip")  # 2 bytes decoded, more compressed
                return capped.request("GET", "/exact")

            async def each() -> Any:
                with pytest.raises(wisepops.APIResponseValidationError):
                    await capped.request("GET", "/over")
                with pytest.raises(wisepops.APIResponseValidationError):
                    await tight.request("GET", "/gzip")
                return await capped.request("GET", "/exact")

            return each()

        response = run(kind, calls, base_url=server.url, max_retries=0)
    assert response.content == body
    assert len(response.json()) == 40


def test_the_cap_is_an_option_of_both_clients_and_of_with_options() -> None:
    client = wisepops.Client(KEY)
    assert client.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 16 * 2**20
    assert client.with_options(max_response_bytes=2**30).max_response_bytes == 2**30
    assert client.with_options(timeout=3).max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES
    assert wisepops.AsyncClient(KEY, max_response_bytes=10).max_response_bytes == 10
    with pytest.raises(ValueError, match="1 or more"):
        wisepops.Client(KEY, max_response_bytes=0)
    with pytest.raises(TypeError, match="must be an int"):
        wisepops.Client(KEY, max_response_bytes=1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be an int"):
        client.with_options(max_response_bytes=True)


@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_an_error_body_is_read_only_as_far_as_its_excerpt_needs(kind: str) -> None:
    with HostileServer(always(hostile.giant_error(500, 200 * 2**20))) as server:
        error, _ = timed(lambda: run(kind, lambda c: c.emails.list(), base_url=server.url))
        assert len(server.requests) == 3  # retried as any 500 is
    assert isinstance(error, wisepops.InternalServerError)
    assert str(error).startswith(
        "GET /api1/emails returned 500 Whatever: Internal Server Error Server is having a bad"
    )
    assert isinstance(error.body, str)
    assert len(error.response.content) == 64 * 1024


def test_an_error_body_of_angle_brackets_makes_a_quick_excerpt() -> None:
    """``<`` after ``<`` without a ``>``: the tag pattern must stay linear."""
    with HostileServer(always(hostile.respond(500, body=b"<" * 65536))) as server:
        error, elapsed = timed(
            lambda: run("sync", lambda c: c.emails.list(), base_url=server.url, max_retries=0)
        )
    assert isinstance(error, wisepops.InternalServerError)
    assert elapsed < SLACK


# --- memory, measured: a subprocess's peak resident set ----------------------------------

PEAK = textwrap.dedent(
    """
    import asyncio, resource, sys
    import wisepops

    url, kind = sys.argv[1], sys.argv[2]

    async def main():
        async with wisepops.AsyncClient("k" * 32, base_url=url, max_retries=0) as client:
            return await client.v2.contacts.list()

    try:
        if kind == "sync":
            with wisepops.Client("k" * 32, base_url=url, max_retries=0) as client:
                client.v2.contacts.list()
        elif kind == "trio":
            import trio
            trio.run(main)
        else:
            asyncio.run(main())
        outcome = "ok"
    except wisepops.WisepopsError as exc:
        outcome = type(exc).__name__
    print(outcome, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def peak(url: str, kind: str) -> tuple[str, int]:
    """What one ``contacts.list()`` ends in, and the peak MiB of its process."""
    done = subprocess.run(
        [sys.executable, "-c", PEAK, url, kind],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    outcome, mib = done.stdout.split()
    return outcome, int(mib)


HOSTILE_PAGES: dict[str, Callable[[], Behaviour]] = {
    "gzip bomb of 256 MiB": lambda: hostile.gzip_bomb(256 * 2**20),
    "endless chunked body": hostile.endless,
    "endless page of records": hostile.endless_page,
    "500 with a 200 MiB body": lambda: hostile.giant_error(500, 200 * 2**20),
}


@pytest.fixture(scope="module")
def baseline_mib() -> int:
    """The peak of the same call answered with an empty page."""
    with HostileServer(always(hostile.respond())) as server:
        outcome, mib = peak(server.url, "sync")
    assert outcome == "ok"
    return mib


@pytest.mark.parametrize("page", HOSTILE_PAGES, ids=str)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_memory_stays_bounded_against_a_hostile_page(
    kind: str, page: str, baseline_mib: int
) -> None:
    with HostileServer(always(HOSTILE_PAGES[page]())) as server:
        outcome, mib = peak(server.url, kind)
    expected = "InternalServerError" if page.startswith("500") else "APIResponseValidationError"
    assert outcome == expected
    # At most the cap's 16 MiB read, plus one decoded piece of a compressed body (8 MiB
    # at most): far from the gigabytes these pages took before.
    assert mib - baseline_mib < 32, f"{mib} MiB at peak, {baseline_mib} MiB for an empty page"


WRAPPED = textwrap.dedent(
    """
    import resource, subprocess, sys
    done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
    print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)
    print(done.stderr, end="")
    """
)


def test_emails_export_keeps_its_constant_memory_against_an_endless_page(tmp_path: Path) -> None:
    output = tmp_path / "leads.jsonl"
    with HostileServer(always(hostile.endless_page())) as server:
        done = subprocess.run(
            [sys.executable, "-c", WRAPPED, sys.executable, "-m", "wisepops", "emails", "export",
             "--base-url", server.url, "--output", str(output)],
            capture_output=True, text=True, timeout=120, check=True,
            env={**os.environ, "PYTHONPATH": str(REPO), "WISEPOPS_API_KEY": KEY},
        )  # fmt: skip
    status, mib = map(int, done.stdout.split("\n")[0].split())
    message = done.stdout.split("\n", 1)[1].strip()
    assert status != 0
    assert message.startswith("wisepops: ")
    assert "max_response_bytes=16,777,216" in message
    assert len(message.splitlines()) == 1
    assert output.read_bytes() == b""
    assert mib < 100, f"{mib} MiB at peak"


# --- types: redirects end in the SDK's errors, and the key stays home --------------------

REDIRECTS = (301, 302, 303, 307, 308)


@pytest.mark.parametrize("origin", ["same origin", "other origin"])
@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_a_redirect_ends_in_a_typed_error_or_a_response_without_the_key_leaving(
    kind: str, status: int, origin: str
) -> None:
    def elsewhere(request: Request) -> Behaviour:
        if request.target.endswith("/wisepops"):
            return hostile.respond(body=b'[{"id": 7}]')
        return hostile.respond(404, body=b'{"message": "no such thing"}')

    with HostileServer(elsewhere) as other:
        target = other.url if origin == "other origin" else ""

        def home(request: Request) -> Behaviour:
            if request.target.startswith("/moved"):
                return elsewhere(request)
            where = "/moved/wisepops" if "wisepops" in request.target else "/moved/hooks"
            return hostile.redirect(status, f"{target}{where}")

        with HostileServer(home) as server:

            def calls(client: Any) -> Any:
                if isinstance(client, wisepops.Client):
                    with pytest.raises(wisepops.NotFoundError) as caught:
                        client.v2.hooks.delete(5)
                    return caught.value, client.request("GET", "/api2/wisepops")

                async def both() -> Any:
                    with pytest.raises(wisepops.NotFoundError) as caught:
                        await client.v2.hooks.delete(5)
                    return caught.value, await client.request("GET", "/api2/wisepops")

                return both()

            error, response = run(
                kind,
                calls,
                http="httpx",
                http_options={"follow_redirects": True},
                base_url=server.url,
                max_retries=0,
            )
            sent_home = [r.headers.get("authorization") for r in server.requests]
        sent_away = [r.headers.get("authorization") for r in other.requests]
    assert error.body == {"message": "no such thing"}
    assert response.json() == [{"id": 7}]
    assert [hop.status_code for hop in response.history] == [status]
    for hop in (error.response, *error.response.history, response, *response.history):
        assert KEY not in hop.request.headers.get("Authorization", "")
    assert sent_home == [f'WISEPOPS-API key="{KEY}"'] * len(sent_home)
    if origin == "other origin":
        assert len(sent_away) == 2
        assert sent_away == [None, None]  # the key never reached the other origin
    else:
        assert len(sent_home) == 4


@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_without_follow_redirects_a_redirect_is_a_status_error(kind: str) -> None:
    with HostileServer(always(hostile.redirect(302, "/elsewhere"))) as server:
        error, _ = timed(lambda: run(kind, lambda c: c.emails.list(), base_url=server.url))
    assert type(error) is wisepops.APIStatusError
    assert error.status_code == 302


@pytest.mark.parametrize("http", HTTP_MODULES)
@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_a_redirects_body_is_never_read(kind: str, http: str) -> None:
    """A redirect announcing a gigabyte that never comes: following it must not wait."""

    def script(request: Request) -> Behaviour:
        if request.target == "/moved":
            return hostile.respond(body=hostile.records(1))

        def behave(connection: Any, request: Request) -> bool:
            head = {"Location": "/moved", "Content-Length": str(2**30)}
            connection.sendall(hostile._head(302, head) + b"[")
            time.sleep(30)
            return False

        return behave

    with HostileServer(script) as server:
        response, elapsed = None, 0.0
        started = time.monotonic()
        response = run(
            kind,
            lambda c: c.request("GET", "/start"),
            http=http,
            http_options={"follow_redirects": True},
            base_url=server.url,
            timeout=5,
        )
        elapsed = time.monotonic() - started
    assert len(response.json()) == 1
    assert elapsed < 5  # well within the one attempt's 5 s


@pytest.mark.parametrize("http", HTTP_MODULES)
@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_redirect_loop_is_a_typed_error_after_the_clients_max_redirects(
    kind: str, http: str
) -> None:
    with HostileServer(always(hostile.redirect(307, "/again"))) as server:
        error, _ = timed(
            lambda: run(
                kind,
                lambda c: c.emails.list(),
                http=http,
                http_options={"follow_redirects": True, "max_redirects": 3},
                base_url=server.url,
            )
        )
        assert len(server.requests) == 4  # the request, then 3 redirects followed
    assert isinstance(error, wisepops.APIConnectionError)
    assert "TooManyRedirects" in str(error)
    assert KEY not in str(error)


@pytest.mark.parametrize("kind", KINDS_AND_TRIO)
def test_an_httpx2_client_follows_redirects_without_sending_the_key_away(kind: str) -> None:
    with HostileServer(always(hostile.respond(body=hostile.records(1)))) as other:
        with HostileServer(always(hostile.redirect(308, f"{other.url}/x"))) as server:
            page = run(
                kind,
                lambda c: c.v2.contacts.list(),
                http="httpx2",
                http_options={"follow_redirects": True},
                base_url=server.url,
            )
        assert [r.headers.get("authorization") for r in other.requests] == [None]
    assert len(page) == 1


# --- the same, without I/O: the attempt and the core -------------------------------------

URL = "https://app.wisepops.com/api2/contacts"


def answer(status: int = 200, body: bytes = b"", **headers: str) -> httpx.Response:
    return httpx.Response(status, headers=headers, content=body, request=httpx.Request("GET", URL))


def attempt(max_bytes: int = 10, **options: Any) -> Attempt:
    return Attempt(httpx.Request("GET", URL), max_bytes, **options)


def read(attempt: Attempt, response: httpx.Response, chunks: list[bytes]) -> Any:
    """Drive ``attempt`` as the clients do: is it the answer, feed it, the outcome."""
    assert attempt.is_answer(response)
    fed = 0
    for chunk in chunks:
        fed += 1
        if not attempt.feed(chunk):
            break
    response.close()
    return fed, attempt.outcome()


TIMEOUTS = [
    (7, 7.0),  # a number: itself (its connect part is min(7, 5))
    (0.25, 0.25),
    (httpx.Timeout(30.0, connect=5.0), 30.0),  # the default
    (httpx.Timeout(1.0, connect=9.0), 9.0),
    (httpx.Timeout(1.0, read=9.0), 9.0),
    (httpx.Timeout(1.0, write=9.0), 9.0),
    (httpx.Timeout(1.0, pool=9.0), 9.0),
    (httpx.Timeout(None), None),  # no timeout at all, asked for explicitly
    (httpx.Timeout(None, connect=5.0), None),  # reads unbounded: the whole cannot be
    (httpx.Timeout(5.0, pool=None), None),
]


@pytest.mark.parametrize(("timeout", "seconds"), TIMEOUTS, ids=repr)
def test_each_attempt_is_bounded_by_the_largest_timeout_value(
    timeout: Any, seconds: Optional[float]
) -> None:
    config = resolve_config(KEY, None, timeout, 0)
    spec = next(exchange(config, ops.list_popups()))
    assert isinstance(spec, RequestSpec)
    assert spec.deadline == seconds
    assert attempt_seconds(config.timeout) == seconds
    if seconds is not None:
        late = spec.attempt(httpx.Client(), None, traced=False).timed_out()
        assert isinstance(late, httpx.ReadTimeout)
        assert str(late) == f"no complete response within {seconds:g} s, the timeout of one attempt"


def test_a_body_of_exactly_the_cap_is_kept_and_one_byte_more_is_too_large() -> None:
    fed, exact = read(attempt(10), answer(), [b"12345", b"67890"])
    assert (fed, exact.content) == (2, b"1234567890")
    fed, over = read(attempt(10), answer(), [b"12345", b"67890", b"1", b"never fed"])
    assert fed == 3  # reading stops at the first byte past the cap
    assert isinstance(over, TooLarge)
    assert (over.limit, over.response.content) == (10, b"1234567890")
    fed, empty = read(attempt(10), answer(), [b"", b"1234567890", b""])
    assert (fed, empty.content) == (3, b"1234567890")


def test_a_too_large_body_keeps_only_its_first_64_kib_for_a_look() -> None:
    chunks = [b"a" * 40_000, b"b" * 40_000, b"c" * 40_000, b"d"]
    _, over = read(attempt(120_000), answer(), chunks)
    assert isinstance(over, TooLarge)
    assert over.response.content == b"a" * 40_000 + b"b" * (65_536 - 40_000)


@pytest.mark.parametrize(("max_bytes", "kept"), [(10, 10), (100_000, 65_536), (65_536, 65_536)])
def test_an_error_body_is_read_up_to_64_kib_or_the_cap_and_is_no_error_itself(
    max_bytes: int, kept: int
) -> None:
    fed, cut = read(attempt(max_bytes), answer(500), [b"x" * 65_536, b"y" * 65_536, b"z"])
    assert isinstance(cut, httpx.Response)  # its status decides, not its size
    assert cut.status_code == 500
    assert cut.content == (b"x" * 65_536)[:kept]
    assert fed == (1 if kept < 65_536 else 2)


def test_the_answer_keeps_headers_history_and_timing_but_not_its_encoding() -> None:
    redirect = answer(302, Location="/moved")
    redirect.next_request = httpx.Request("GET", URL + "/moved")
    attempted = attempt(100, follow_redirects=True)
    assert not attempted.is_answer(redirect)
    assert attempted.request is redirect.next_request
    final = httpx.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Length": "33", "X-Page": "1"},
        stream=httpx.ByteStream(gzip.compress(b"[1, 2]")),
        request=attempted.request,
        extensions={"http_version": b"HTTP/1.1"},
        default_encoding="latin-1",
    )
    final.elapsed = datetime.timedelta(seconds=2)
    _, kept = read(attempted, final, list(final.iter_bytes()))
    assert kept.content == b"[1, 2]"
    assert "Content-Encoding" not in kept.headers  # the body kept is decoded
    assert kept.headers["Content-Length"] == "6"
    assert kept.headers["X-Page"] == "1"
    assert kept.history == [redirect]
    assert kept.elapsed == datetime.timedelta(seconds=2)
    assert kept.http_version == "HTTP/1.1"
    assert kept.default_encoding == "latin-1"
    assert kept.request is attempted.request


def test_redirects_are_followed_up_to_the_clients_max_and_only_when_it_says() -> None:
    def redirect() -> httpx.Response:
        response = answer(307, Location="/again")
        response.next_request = httpx.Request("GET", URL + "/again")
        return response

    following = attempt(follow_redirects=True, max_redirects=2)
    assert not following.is_answer(redirect())
    assert not following.is_answer(redirect())
    with pytest.raises(httpx.TooManyRedirects, match="Exceeded maximum allowed redirects"):
        following.is_answer(redirect())
    assert attempt(follow_redirects=False).is_answer(redirect())
    assert attempt().is_answer(redirect())  # not following, unless told
    assert attempt(follow_redirects=True).is_answer(answer(304))  # no Location: the answer


def test_the_redirect_settings_are_read_from_the_users_client() -> None:
    spec = next(exchange(resolve_config(KEY, None, 5, 0), ops.list_popups()))
    assert isinstance(spec, RequestSpec)
    with httpx.Client(follow_redirects=True, max_redirects=1) as users:
        following = spec.attempt(users, users, traced=True)
        assert following.request.extensions["trace"] == following.trace
        assert not following.is_answer(_redirected(following.request))
        with pytest.raises(httpx.TooManyRedirects):
            following.is_answer(_redirected(following.request))
        plain = spec.attempt(users, object(), traced=False)  # a client that does not say
        assert "trace" not in plain.request.extensions
        assert plain.is_answer(_redirected(plain.request))


def _redirected(request: httpx.Request) -> httpx.Response:
    response = httpx.Response(302, headers={"Location": "/x"}, request=request)
    response.next_request = httpx.Request("GET", URL + "/x")
    return response


@pytest.mark.parametrize("size", [0, 1, 8191, 8192, 8193, 20_000])
def test_a_compressed_body_is_decoded_in_pieces_of_8_kib(size: int) -> None:
    raw = bytes(range(256)) * (size // 256 + 1)
    raw = raw[:size]
    pieces = list(_Pieces(httpx.ByteStream(raw)))
    assert b"".join(pieces) == raw
    assert [len(p) for p in pieces] == [min(8192, size - start) for start in range(0, size, 8192)]

    async def collect() -> list[bytes]:
        return [piece async for piece in _Pieces(httpx.ByteStream(raw))]

    assert asyncio.run(collect()) == pieces


def test_only_an_encoded_body_is_cut_into_pieces() -> None:
    for encoding, pieced in ((None, False), ("gzip", True), ("br", True), (" Identity ", False)):
        headers = {} if encoding is None else {"Content-Encoding": encoding}
        response = httpx.Response(
            200, headers=headers, stream=httpx.ByteStream(b"[]"), request=httpx.Request("GET", URL)
        )
        attempt(10).is_answer(response)
        assert isinstance(response.stream, _Pieces) is pieced, encoding


def test_cancel_stops_the_reading_and_shuts_the_connection_it_saw() -> None:
    ours, theirs = socket.socketpair()

    class Stream:
        def get_extra_info(self, name: str) -> Any:
            return ours if name == "socket" else None

    attempted = attempt(100)
    attempted.trace("connection.connect_tcp.started", {})
    attempted.trace("http11.receive_response_headers.complete", {"return_value": (1, 2)})
    attempted.cancel()  # nothing seen yet: only no more reading
    attempted.trace("connection.connect_tcp.complete", {"return_value": Stream()})
    assert attempted.is_answer(answer())
    assert attempted.feed(b"x") is False  # cancelled: read no more
    theirs.settimeout(5)
    attempted.cancel()
    assert theirs.recv(1) == b""  # shut: the peer sees the end at once
    ours.close()
    theirs.close()


def test_cancel_shuts_the_stream_of_the_response_when_it_has_one() -> None:
    ours, theirs = socket.socketpair()
    stream = type("Stream", (), {"get_extra_info": lambda self, name: ours})()
    attempted = attempt(100)
    response = answer()
    response.extensions = {"network_stream": stream}
    attempted.is_answer(response)
    attempted.cancel()
    theirs.settimeout(5)
    assert theirs.recv(1) == b""
    ours.close()
    theirs.close()


def test_outcome_before_the_answer_is_a_driver_bug() -> None:
    with pytest.raises(RuntimeError, match="before is_answer"):
        attempt().outcome()


def test_the_core_turns_a_too_large_body_into_a_validation_error_without_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="wisepops")
    config = resolve_config(KEY, None, 5, 2, max_response_bytes=3 * 2**20)
    steps = exchange(config, ops.list_popups())
    spec = next(steps)
    assert isinstance(spec, RequestSpec)
    assert spec.max_bytes == 3 * 2**20
    request = httpx.Request("GET", URL, headers={"Authorization": f'WISEPOPS-API key="{KEY}"'})
    first = httpx.Response(200, content=b"[", request=request)
    with pytest.raises(wisepops.APIResponseValidationError) as caught:
        steps.send(TooLarge(first, 3 * 2**20))  # at once: never retried
    assert str(caught.value) == (
        "GET /api2/wisepops returned 200 with a body over max_response_bytes=3,145,728 "
        "(3 MiB); if it is genuine, raise the limit: wisepops.Client(max_response_bytes=...) "
        "or client.with_options(max_response_bytes=...)"
    )
    response = caught.value.response
    assert response is not None
    assert response.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'
    assert [r.getMessage().split(" in ")[0] for r in caplog.records] == [
        "GET /api2/wisepops -> HTTP 200, over max_response_bytes"
    ]


def test_a_redirected_response_handed_over_carries_no_key_in_any_hop() -> None:
    headers = {"Authorization": f'WISEPOPS-API key="{KEY}"'}
    first = httpx.Request("GET", URL, headers=headers)
    hop = httpx.Response(301, headers={"Location": "/x"}, request=first)
    # a redirect's request as httpx builds it: its body handed on as a stream, unread
    moved = httpx.Request("POST", URL + "/x", headers=headers, stream=httpx.ByteStream(b"{}"))
    final = httpx.Response(200, content=b"{}", request=moved, history=[hop])
    steps = exchange(resolve_config(KEY, None, 5, 0), ops.raw_request("GET", "/x", None, None))
    next(steps)
    with pytest.raises(StopIteration) as done:
        steps.send(final)
    handed = done.value.value
    assert handed is final
    for response in (handed, *handed.history):
        assert response.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'
    assert handed.request.content == b"{}"
    assert handed.request.method == "POST"


@pytest.mark.parametrize(
    ("sizes", "kept"),
    [([65_535, 3], 65_536), ([65_536, 3], 65_536), ([10, 65_536], 65_536), ([1, 2], 2)],
)
def test_what_a_too_large_body_keeps_ends_exactly_at_64_kib(sizes: list[int], kept: int) -> None:
    chunks = [bytes([65 + n]) * size for n, size in enumerate(sizes)]
    _, over = read(attempt(sum(sizes) - 1), answer(), chunks)
    assert isinstance(over, TooLarge)
    assert over.response.content == b"".join(chunks)[:kept]


class Closing(httpx.SyncByteStream):
    closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield b"sync"

    def close(self) -> None:
        self.closed = True


class AsyncClosing(httpx.AsyncByteStream):
    closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield b"async"

    async def aclose(self) -> None:
        self.closed = True


def test_pieces_read_and_close_the_stream_of_their_own_kind_only() -> None:
    sync, asynchronous = Closing(), AsyncClosing()
    with pytest.raises(TypeError, match=r"^a sync read of an async body$"):
        list(_Pieces(asynchronous))
    with pytest.raises(TypeError, match=r"^an async read of a sync body$"):
        _Pieces(sync).__aiter__()
    assert list(_Pieces(sync)) == [b"sync"]

    async def read_async() -> list[bytes]:
        return [piece async for piece in _Pieces(asynchronous)]

    assert asyncio.run(read_async()) == [b"async"]
    _Pieces(asynchronous).close()  # nothing to close the sync way
    asyncio.run(_Pieces(sync).aclose())  # nor the async way
    assert not sync.closed
    assert not asynchronous.closed
    _Pieces(sync).close()
    asyncio.run(_Pieces(asynchronous).aclose())
    assert sync.closed
    assert asynchronous.closed


def failure(status: int, body: bytes) -> wisepops.APIStatusError:
    """The error ``exchange`` raises for a final ``status`` answered with ``body``."""
    steps = exchange(resolve_config(KEY, None, 5, 0), ops.list_popups())
    next(steps)
    with pytest.raises(wisepops.APIStatusError) as caught:
        steps.send(httpx.Response(status, content=body, request=httpx.Request("GET", URL)))
    return caught.value


WHERE = "GET /api2/wisepops returned"
EXCERPTS = [
    (b"", f"{WHERE} 503 Service Unavailable"),  # nothing to add, not even ": null"
    (b"null", f"{WHERE} 503 Service Unavailable"),
    (b'{"message": "m", "error": "e", "detail": "d"}', f"{WHERE} 503 Service Unavailable: m"),
    (b'{"error": "e", "detail": "d"}', f"{WHERE} 503 Service Unavailable: e"),
    (b'{"detail": "d", "code": 7}', f"{WHERE} 503 Service Unavailable: d"),
    (b'{"message": 7, "error": "e"}', f"{WHERE} 503 Service Unavailable: e"),
    (b'{"code": 7}', f'{WHERE} 503 Service Unavailable: {{"code": 7}}'),
    (b"[1, 2]", f"{WHERE} 503 Service Unavailable: [1, 2]"),
    (b"<h1>Bad\n\n gateway</h1> <<p>>", f"{WHERE} 503 Service Unavailable: Bad gateway < >"),
    (b"x" * 200, f"{WHERE} 503 Service Unavailable: {'x' * 200}"),
    (b"x" * 201, f"{WHERE} 503 Service Unavailable: {'x' * 199}…"),
]


@pytest.mark.parametrize(("body", "message"), EXCERPTS, ids=repr)
def test_an_error_says_its_status_and_a_one_line_excerpt_of_200_characters(
    body: bytes, message: str
) -> None:
    assert str(failure(503, body)) == message


def test_a_connection_error_keeps_its_httpx_cause_with_the_key_redacted() -> None:
    steps = exchange(resolve_config(KEY, None, 5, 0), ops.list_popups())
    spec = next(steps)
    assert isinstance(spec, RequestSpec)
    request = spec.build(httpx.Client())
    with pytest.raises(wisepops.APIConnectionError) as caught:
        steps.send(httpx.ConnectError("refused", request=request))
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ConnectError)
    assert cause.request.url == request.url
    assert cause.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'


def test_a_late_attempt_is_a_timeout_of_its_own_request() -> None:
    config = resolve_config(KEY, None, 2.5, 0)
    steps = exchange(config, ops.list_popups())
    spec = next(steps)
    assert isinstance(spec, RequestSpec)
    late = spec.attempt(httpx.Client(), None, traced=False).timed_out()
    assert late.request.url == "https://app.wisepops.com/api2/wisepops"
    with pytest.raises(wisepops.APITimeoutError) as caught:
        steps.send(late)
    assert str(caught.value) == (
        "GET /api2/wisepops failed: ReadTimeout: no complete response within 2.5 s, the "
        "timeout of one attempt"
    )
    cause = caught.value.__cause__
    assert isinstance(cause, httpx.ReadTimeout)
    assert cause.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'


def test_cancel_after_the_connection_is_gone_is_quiet() -> None:
    ours, theirs = socket.socketpair()
    stream = type("Stream", (), {"get_extra_info": lambda self, name: ours})()
    attempted = attempt(100)
    attempted.trace("connection.connect_tcp.complete", {"return_value": stream})
    theirs.close()
    ours.close()  # shutting a closed socket raises OSError: cancel() must not
    attempted.cancel()
