"""Where ``Client``'s attempts run: the caller's thread when the deadline can be kept there."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest

import wisepops
from wisepops._deadline import in_place

from .hostile_server import HostileServer, respond

KEY = "deadline-test-key-0123456789abcdef"


def test_the_sdks_own_client_sends_from_the_callers_thread() -> None:
    """No worker thread: the deadline is in the streams its connections read through."""
    threads: list[int] = []
    with (
        HostileServer(lambda request: respond()) as server,
        wisepops.Client(KEY, base_url=server.url) as client,
    ):
        client._http.event_hooks["request"].append(
            lambda request: threads.append(threading.get_ident())
        )
        client.v2.popups.list()
        assert in_place(client._http)
        assert in_place(client.with_options(timeout=2)._http)  # the same pool
    assert threads == [threading.get_ident()]


def test_with_a_proxy_in_the_environment_httpx_reads_it_and_a_worker_keeps_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """httpx ignores the environment's proxies when given a transport: the SDK does not."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    with wisepops.Client(KEY) as client:
        assert not in_place(client._http)


def test_a_mock_transport_runs_in_the_callers_thread_and_a_late_answer_times_out() -> None:
    threads: list[int] = []

    def slow(request: httpx.Request) -> httpx.Response:
        threads.append(threading.get_ident())
        time.sleep(0.3)
        return httpx.Response(200, json=[])

    http = httpx.Client(transport=httpx.MockTransport(slow))
    client = wisepops.Client(KEY, http_client=http, timeout=0.1, max_retries=0)
    with pytest.raises(wisepops.APITimeoutError, match=r"within 0\.1 s"):
        client.v2.popups.list()
    assert threads == [threading.get_ident()]
    assert wisepops.Client(KEY, http_client=http, timeout=1).v2.popups.list() == []


def test_a_users_network_client_is_not_in_place() -> None:
    with httpx.Client() as http:
        assert not in_place(http)
        assert not in_place(wisepops.Client(KEY, http_client=http)._http)


def test_a_name_is_resolved_within_the_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """``getaddrinfo`` cannot be interrupted: a resolver that hangs still ends the call."""
    resolve = socket.getaddrinfo

    def slow(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "slow.test":
            time.sleep(2)
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    client = wisepops.Client(KEY, base_url="http://slow.test:9", timeout=0.5, max_retries=0)
    started = time.monotonic()
    with pytest.raises(wisepops.APITimeoutError, match=r"within 0\.5 s"):
        client.v2.popups.list()
    assert time.monotonic() - started < 1.5


def test_a_name_that_does_not_resolve_is_a_connection_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unknown(host: str, *args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unknown)
    client = wisepops.Client(KEY, base_url="http://nowhere.test", max_retries=0)
    with pytest.raises(wisepops.APIConnectionError, match="Name or service not known"):
        client.v2.popups.list()


def test_each_address_of_a_name_is_tried_in_turn() -> None:
    """``localhost`` may be ``::1`` first, where the server (on 127.0.0.1) is not."""
    with (
        HostileServer(lambda request: respond()) as server,
        wisepops.Client(
            KEY, base_url=server.url.replace("127.0.0.1", "localhost"), timeout=5
        ) as client,
    ):
        assert client.v2.popups.list() == []
