"""The deadline of ``Client``'s attempts, enforced in the network stream its transport reads.

A blocked socket read cannot be interrupted from its own thread, but it can be given no
more time than the attempt has left: :func:`own_http` makes the SDK's httpx client, whose
connections read and write through :class:`_Stream`, and each read, write, connect and
TLS handshake waits at most what is left of the attempt :func:`bounded` runs (a host's
name is resolved in a worker thread, as ``getaddrinfo`` cannot be bounded). The attempt
then runs in the caller's thread, and a connection that missed its deadline is closed by
httpcore at once, as after any timeout: no thread and no socket is left behind.

A user's own client reads through its own streams; ``Client`` runs its attempts in a
worker thread instead (see :mod:`._worker`), unless its transport is a
``httpx.MockTransport``, whose handler runs in the caller's process and waits on no
network.
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
import socket
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Callable, Optional, TypeVar
from urllib.request import getproxies

import httpx

from ._attempt import late_message

if TYPE_CHECKING:
    import ssl

    import httpcore

T = TypeVar("T")

_deadline: contextvars.ContextVar[Optional[tuple[float, float]]] = contextvars.ContextVar(
    "wisepops_deadline", default=None
)
"""The attempt under way in this context: (its end on the monotonic clock, its seconds)."""


@contextlib.contextmanager
def bounded(seconds: Optional[float]) -> Iterator[None]:
    """Give the network I/O of the SDK's own client, within the block, ``seconds`` in all."""
    token = _deadline.set(None if seconds is None else (time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def _within(
    call: Callable[[Optional[float]], T], timeout: Optional[float], error: type[Exception]
) -> T:
    """``call(timeout)``, its timeout cut to what is left of the attempt; ``error`` if none is."""
    import httpcore  # noqa: PLC0415 - as httpx does: imported by the first request

    deadline = _deadline.get()
    if deadline is None:
        return call(timeout)
    end, seconds = deadline
    left = end - time.monotonic()
    if left <= 0:
        raise error(late_message(seconds))
    try:
        return call(left if timeout is None else min(timeout, left))
    except httpcore.TimeoutException:
        if time.monotonic() < end:
            raise  # the read's own timeout
        raise error(late_message(seconds)) from None  # the attempt's


class _Stream:
    """An httpcore network stream whose waits end with the attempt's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: Optional[float] = None) -> bytes:
        import httpcore  # noqa: PLC0415

        return _within(lambda t: self._stream.read(max_bytes, t), timeout, httpcore.ReadTimeout)

    def write(self, buffer: bytes, timeout: Optional[float] = None) -> None:
        import httpcore  # noqa: PLC0415

        _within(lambda t: self._stream.write(buffer, t), timeout, httpcore.WriteTimeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> _Stream:
        import httpcore  # noqa: PLC0415

        def handshake(t: Optional[float]) -> httpcore.NetworkStream:
            return self._stream.start_tls(ssl_context, server_hostname, t)

        return _Stream(_within(handshake, timeout, httpcore.ConnectTimeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _Backend:
    """httpcore's network backend, its streams made :class:`_Stream`\\ s, and a host's
    name resolved within the attempt's time too."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: Optional[float] = None,
        local_address: Optional[str] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _Stream:
        import httpcore  # noqa: PLC0415

        failure: Optional[Exception] = None
        for address in _addresses(host, port):  # each in turn, as socket.create_connection

            def connect(t: Optional[float], address: str = address) -> httpcore.NetworkStream:
                return self._backend.connect_tcp(address, port, t, local_address, socket_options)

            try:
                return _Stream(_within(connect, timeout, httpcore.ConnectTimeout))
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self,
        path: str,
        timeout: Optional[float] = None,
        socket_options: Optional[Iterable[Any]] = None,
    ) -> _Stream:
        import httpcore  # noqa: PLC0415

        def connect(t: Optional[float]) -> httpcore.NetworkStream:
            return self._backend.connect_unix_socket(path, t, socket_options)

        return _Stream(_within(connect, timeout, httpcore.ConnectTimeout))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host``, found within what is left of the attempt.

    ``getaddrinfo`` cannot be interrupted and waits as long as the system resolver does,
    so a name (never an address) is resolved in a worker thread; one that outlives the
    attempt ends with the resolver's own timeout.
    """
    import httpcore  # noqa: PLC0415

    from ._worker import within  # noqa: PLC0415

    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return [host]
    deadline = _deadline.get()
    seconds = None if deadline is None else max(deadline[0] - time.monotonic(), 0.0)
    try:
        found = within(
            seconds, lambda: socket.getaddrinfo(host, port, type=socket.SOCK_STREAM), lambda: None
        )
    except OSError as exc:
        raise httpcore.ConnectError(str(exc)) from None
    if found is None:
        raise httpcore.ConnectTimeout(late_message(deadline[1] if deadline else 0))
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class _Transport(httpx.HTTPTransport):
    """httpx's own transport, with httpx's defaults, reading through :class:`_Backend`."""

    def __init__(self) -> None:
        super().__init__()
        pool = self._pool  # httpx has no public way to give it a network backend
        pool._network_backend = _Backend(pool._network_backend)  # type: ignore[assignment]


def own_http() -> httpx.Client:
    """The SDK's own httpx client: its attempts' deadlines are in its streams.

    With a proxy in the environment, which httpx ignores when given a transport, httpx's
    plain client: its attempts then run in a worker thread.
    """
    if {"http", "https", "all"} & getproxies().keys():
        return httpx.Client()
    return httpx.Client(transport=_Transport())


def in_place(http: object) -> bool:
    """Whether attempts on ``http`` may run in the caller's thread: its only transport is
    the SDK's own, or an ``httpx.MockTransport``."""
    transport = getattr(http, "_transport", None)  # httpx's, the same from 0.18 to 0.29
    in_place = isinstance(transport, (_Transport, httpx.MockTransport))
    return in_place and not getattr(http, "_mounts", True)
