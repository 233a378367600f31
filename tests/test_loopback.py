"""The loopback server behind `webhook listen`, the demo and `FakeWisepops.serve()`."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import httpx
import pytest

import wisepops
from wisepops._cli.webhook import receiver
from wisepops._loopback import LoopbackServer

KEY = "loopback-key-0123456789"

# A server whose process ends as soon as it is closed, while an answer is still on its way:
# what `wisepops webhook listen --count N` does after the N-th delivery.
CLOSE_THEN_EXIT = textwrap.dedent(
    """
    import threading, time
    import httpx
    from wisepops._loopback import LoopbackServer

    entered = threading.Event()

    def handler(request):
        entered.set()
        time.sleep(0.3)
        return httpx.Response(200, text="answered")

    with LoopbackServer(handler) as server:
        print(server.url, flush=True)
        entered.wait()
    """
)


def test_closing_waits_for_the_answers_in_flight() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", CLOSE_THEN_EXIT], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with httpx.Client(trust_env=False) as client:
            response = client.post(url + "/hook", content=b"[]", timeout=10)
        assert (response.status_code, response.text) == (200, "answered")
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.communicate()


def chunks(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """``body`` as an iterator, which httpx sends chunked, without a Content-Length."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.fixture
def listener() -> Iterator[str]:
    """What ``wisepops webhook listen`` serves: it verifies, parses, and says why it refuses."""
    handler = receiver(KEY, lambda contacts: None, lambda status, why: None)
    with LoopbackServer(handler) as server:
        yield server.url


BODY = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@example.com"}]'


@pytest.mark.parametrize("chunked", [False, True])
def test_a_signed_delivery_is_read_whether_chunked_or_not(listener: str, chunked: bool) -> None:
    headers = {wisepops.SIGNATURE_HEADER: wisepops.sign(BODY, KEY)}
    content = chunks(BODY, 10) if chunked else BODY
    with httpx.Client(trust_env=False) as client:
        response = client.post(listener + "/hook", content=content, headers=headers)
    assert (response.status_code, response.json()) == (200, {"received": 1})


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_cap_is_refused_413_not_read(listener: str, chunked: bool) -> None:
    big = b"[" + b" " * (2 * 1024 * 1024) + b"]"
    headers = {wisepops.SIGNATURE_HEADER: wisepops.sign(big, KEY)}
    with httpx.Client(trust_env=False) as client:
        response = client.post(
            listener + "/hook", content=chunks(big) if chunked else big, headers=headers
        )
    assert response.status_code == 413


@pytest.mark.parametrize("size", [b"zz", b"-5", b"0x10", b"+5", b"1" * 12])
def test_a_broken_chunked_body_is_a_400(listener: str, size: bytes) -> None:
    head = b"POST /hook HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(("127.0.0.1", int(listener.rsplit(":", 1)[1]))) as sock:
        sock.settimeout(5)
        sock.sendall(head + size + b"\r\nab")
        answer = sock.recv(1024)
    assert answer.startswith(b"HTTP/1.1 400")
