"""A TCP server that misbehaves below HTTP: it resets connections on purpose."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from types import TracebackType
from typing import Optional


class ResettingServer:
    """Accept on loopback and reset each connection with a TCP RST once a request arrives.

    With ``read_request=False`` the request is left unread, so the server cannot have
    acted on it; with ``True`` it is read first, so it could have. Waiting for the
    request makes the reset land after the client's connection is set up, every time:
    resetting on accept would race with it (and httpx would then report a ConnectError
    on some runs and a ReadError on others).
    """

    def __init__(self, read_request: bool) -> None:
        self.read_request = read_request
        self.connections = 0
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self._stop = threading.Event()
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
            self.connections += 1
            with connection:
                readable, _, _ = select.select([connection], [], [], 5)
                if readable and self.read_request:
                    with contextlib.suppress(OSError):
                        connection.recv(65536)
                # SO_LINGER with a zero timeout turns close() into a reset.
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def __enter__(self) -> ResettingServer:
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


def refused_url() -> str:
    """A loopback URL where nothing listens: the connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
