"""A WisePops that misbehaves on purpose, over real HTTP on loopback.

It drips its status line or its body a byte at a time, sends gzip bombs, endless
chunked bodies and pages, giant error pages and redirect chains. Each behaviour is a
function that writes one response on a socket; :class:`HostileServer` reads requests
(keeping connections alive) and answers each with the behaviour its ``script`` picks.

Run one from a shell, for trying the SDK and the command against it by hand::

    python -m tests.hostile_server drip-body --port 8123
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import itertools
import json
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO, Callable, NamedTuple, Optional

RECORD = {
    "collected_at": "2024-01-01T00:00:00.000Z",
    "wisepop_id": 1,
    "ip": "127.0.0.1",
    "country_code": "US",
    "fields": {"email": "jane@example.com", "City": "Paris"},
}


class Request(NamedTuple):
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    number: int  # 0 for the server's first request, across connections


Behaviour = Callable[[socket.socket, Request], bool]
"""Writes one response; ``True`` when the connection may serve another request."""


class HostileServer:
    """Serve on loopback, answering request ``n`` with ``script(request)``'s behaviour."""

    def __init__(self, script: Callable[[Request], Behaviour], port: int = 0) -> None:
        self.script = script
        self.requests: list[Request] = []
        self._socket = socket.create_server(("127.0.0.1", port))
        self._socket.settimeout(0.1)
        self._stop = threading.Event()
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._socket.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:  # TimeoutError only from Python 3.10
                continue
            with self._lock:
                self._connections.add(connection)
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()

    def _handle(self, connection: socket.socket) -> None:
        reader = connection.makefile("rb")
        try:
            while not self._stop.is_set():
                request = self._read(reader)
                if request is None or not self.script(request)(connection, request):
                    break
        except OSError:  # the client hung up, or the server is stopping
            pass
        finally:
            with self._lock:
                self._connections.discard(connection)
            reader.close()
            connection.close()

    def _read(self, reader: BinaryIO) -> Optional[Request]:
        lines: list[str] = []
        while True:
            raw = reader.readline(65537)
            if not raw:
                return None
            if raw in (b"\r\n", b"\n"):
                break
            lines.append(raw.decode("latin-1").rstrip("\r\n"))
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = reader.read(int(headers.get("content-length", 0)))
        with self._lock:
            request = Request(method, target, headers, body, len(self.requests))
            self.requests.append(request)
        return request

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


# --- behaviours --------------------------------------------------------------------------


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Whatever"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    status: int = 200, body: bytes = b"[]", headers: Optional[dict[str, str]] = None
) -> Behaviour:
    """A well-formed answer, the connection kept alive."""

    def behave(connection: socket.socket, request: Request) -> bool:
        head = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        connection.sendall(_head(status, {**head, **(headers or {})}) + body)
        return True

    return behave


def records(count: int) -> bytes:
    return json.dumps([RECORD] * count).encode()


def drip_head(interval: float) -> Behaviour:
    """A status line, then a header that never ends, one byte every ``interval``."""

    def behave(connection: socket.socket, request: Request) -> bool:
        for byte in itertools.chain(b"HTTP/1.1 200 OK\r\nX-Drip: ", itertools.repeat(0x61)):
            connection.sendall(bytes([byte]))
            time.sleep(interval)
        return False  # not reached: the client hangs up

    return behave


def drip_body(interval: float) -> Behaviour:
    """Headers announcing a page, then its body one byte every ``interval``."""

    def behave(connection: socket.socket, request: Request) -> bool:
        connection.sendall(_head(200, {"Content-Length": str(10**9)}))
        for byte in itertools.chain(b"[", itertools.repeat(0x20)):
            connection.sendall(bytes([byte]))
            time.sleep(interval)
        return False

    return behave


def stall() -> Behaviour:
    """Read the request, then say nothing at all, until the client hangs up."""

    def behave(connection: socket.socket, request: Request) -> bool:
        while connection.recv(1):
            pass
        return False

    return behave


@functools.cache
def gzip_of_spaces(inflated: int) -> bytes:
    """``[]`` padded with ``inflated`` bytes of spaces, gzipped: about a thousandth of it."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * 2**20
    parts = [compressor.compress(b"[")]
    parts += [compressor.compress(block) for _ in range(inflated // len(block))]
    parts += [compressor.compress(b"]"), compressor.flush()]
    return b"".join(parts)


def gzip_bomb(inflated: int) -> Behaviour:
    """A small gzip body that inflates to ``inflated`` bytes: an empty page, padded."""
    return respond(body=gzip_of_spaces(inflated), headers={"Content-Encoding": "gzip"})


def _chunked(connection: socket.socket, status: int, parts: Iterator[bytes]) -> bool:
    connection.sendall(_head(status, {"Transfer-Encoding": "chunked"}))
    for part in parts:
        connection.sendall(b"%x\r\n%s\r\n" % (len(part), part))
    connection.sendall(b"0\r\n\r\n")
    return True


def endless(status: int = 200) -> Behaviour:
    """A chunked body of spaces that never ends, as fast as the client reads."""
    return lambda connection, request: _chunked(connection, status, itertools.repeat(b" " * 65536))


def endless_page(count: Optional[int] = None) -> Behaviour:
    """A page of records that never ends (or ends after ``count`` of them), chunked."""
    record = json.dumps(RECORD).encode()
    batch = b"".join(b"," + record for _ in range(512))

    def parts() -> Iterator[bytes]:
        yield b"[" + record
        if count is None:
            yield from itertools.repeat(batch)
            return
        yield from itertools.repeat(batch, (count - 1) // 512)
        yield b"".join(b"," + record for _ in range((count - 1) % 512)) + b"]"

    return lambda connection, request: _chunked(connection, 200, parts())


def giant_error(status: int, size: int) -> Behaviour:
    """An HTML error page of ``size`` bytes, announced with its length."""
    page = b"<html><body><h1>Internal Server Error</h1>\n"
    block = (b"<p>" + b"Server is having a bad day. " * 36 + b"</p>\n") * 64

    def behave(connection: socket.socket, request: Request) -> bool:
        head = _head(status, {"Content-Type": "text/html", "Content-Length": str(size)})
        connection.sendall(head + page)
        sent = len(page)
        while sent < size:
            part = block[: size - sent]
            connection.sendall(part)
            sent += len(part)
        return True

    return behave


def redirect(status: int, location: str, body: bytes = b"") -> Behaviour:
    """A redirect to ``location``, with ``body`` (what httpx would read when following)."""
    return respond(status, body=body, headers={"Location": location})


# --- by hand -----------------------------------------------------------------------------

BEHAVIOURS: dict[str, Callable[[], Behaviour]] = {
    "drip-head": lambda: drip_head(1.0),
    "drip-body": lambda: drip_body(1.0),
    "stall": stall,
    "gzip-bomb": lambda: gzip_bomb(2**30),
    "endless": endless,
    "endless-page": endless_page,
    "million-page": lambda: endless_page(10**6),
    "giant-500": lambda: giant_error(500, 200 * 2**20),
    "gzip-content": lambda: respond(
        body=gzip.compress(records(3)), headers={"Content-Encoding": "gzip"}
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("behaviour", choices=sorted(BEHAVIOURS))
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    behaviour = BEHAVIOURS[args.behaviour]()
    server = HostileServer(lambda request: behaviour, port=args.port)
    print(server.url, flush=True)
    with server, contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()


if __name__ == "__main__":
    main()
