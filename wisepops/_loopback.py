"""A small threaded HTTP server on loopback that answers with an httpx-style handler.

Used by ``FakeWisepops.serve()``, ``wisepops webhook listen`` and ``wisepops demo``:
the standard library's server, so nothing beyond the SDK's own dependencies is needed.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Callable, Optional

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
"""Answers a request; may raise the faults below instead, to act them out."""


class Hang(Exception):
    """Give no answer until the client times out."""


class Disconnect(Exception):
    """Close the connection without an answer."""


class Truncate(Exception):
    """Send the answer's head and only part of its body, then close."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__("truncated")
        self.response = response


_HANG_LIMIT = 60.0  # seconds a "timeout" fault holds a connection at most
_DRAIN_LIMIT = 10.0  # seconds close() waits for the answers being written
MAX_BODY_BYTES = 1024 * 1024  # as the example receivers: deliveries are a few KB
_HEX = re.compile(rb"[0-9A-Fa-f]{1,8}")


class _Refused(Exception):
    """A request body that is not read: answer ``status`` with ``reason``, then close."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops bursts of connections for a second


class LoopbackServer:
    """Serve ``handler`` on ``host:port`` (0 picks a free port) in a background thread.

    Use it as a context manager, or call :meth:`close`.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self._closing = threading.Event()
        self._in_flight = _Counter()
        self._server = _Server(
            (host, port), _request_handler(handler, self._closing, self._in_flight)
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long close() may wait for the loop
            name="wisepops-loopback",
            daemon=True,
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The server's root, like ``http://127.0.0.1:54321``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        """Stop serving and free the port, once the answers being written are sent.

        Without the wait, a process that exits right after (``webhook listen --count``)
        would cut the last answer short, and its sender would see a dropped connection.
        """
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._in_flight.wait_for_zero(_DRAIN_LIMIT)

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class _Counter:
    """How many requests are being answered: idle keep-alive connections do not count."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def add(self, step: int) -> None:
        with self._changed:
            self._count += step
            self._changed.notify_all()

    def wait_for_zero(self, timeout: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._count == 0, timeout)


def _request_handler(
    handler: Handler, closing: threading.Event, in_flight: _Counter
) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def _handle(self) -> None:
            in_flight.add(1)
            try:
                self._answer()
            finally:
                in_flight.add(-1)

        def _answer(self) -> None:
            try:
                content = self._body()
            except _Refused as refused:
                self.close_connection = True  # what is left of the body is not read
                self._write(httpx.Response(refused.status, json={"error": str(refused)}))
                return
            host = self.headers.get("Host", "127.0.0.1")
            request = httpx.Request(
                self.command,
                f"http://{host}{self.path}",
                headers=list(self.headers.items()),
                content=content,
            )
            try:
                response = handler(request)
            except Hang:
                closing.wait(_HANG_LIMIT)
                self.close_connection = True
                return
            except Disconnect:
                self.close_connection = True
                return
            except Truncate as cut:
                self._write(cut.response, cut_body=True)
                return
            self._write(response)

        def _body(self) -> bytes:
            """The request body, chunked or not, up to ``MAX_BODY_BYTES``."""
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._chunked_body()
            length = self.headers.get("Content-Length") or "0"
            if not length.isdigit():
                raise _Refused(400, "bad Content-Length")
            if int(length) > MAX_BODY_BYTES:
                raise _Refused(413, "payload too large")
            return self.rfile.read(int(length))

        def _chunked_body(self) -> bytes:
            body = bytearray()
            while True:
                size_line = self.rfile.readline(100).split(b";")[0].strip()
                if not _HEX.fullmatch(size_line):
                    raise _Refused(400, "bad chunked encoding")
                size = int(size_line, 16)
                if size == 0:
                    while self.rfile.readline(1000).strip():  # trailers, if any
                        pass
                    return bytes(body)
                if len(body) + size > MAX_BODY_BYTES:
                    raise _Refused(413, "payload too large")
                body += self.rfile.read(size)
                self.rfile.readline(3)  # the CRLF after the chunk

        def _write(self, response: httpx.Response, cut_body: bool = False) -> None:
            body = response.content
            self.send_response(response.status_code, response.reason_phrase)
            for name, value in response.headers.items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            if cut_body:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(body[: len(body) // 2] if cut_body else body)

        do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the callers print what matters."""

    return RequestHandler
