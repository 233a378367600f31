"""A TCP server that misbehaves below HTTP: it resets connections on purpose."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from types import TracebackType
from typing import Optional


class ResettingServer:
    """Accept on loopback and reset each connection with a TCP RST.

    ``after_request=False`` resets as soon as the connection is accepted, before the
    client's request can be read; ``True`` reads the request first, so the server
    could have acted on it.
    """

    def __init__(self, after_request: bool) -> None:
        self.after_request = after_request
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
                if self.after_request:
                    connection.settimeout(2)
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
