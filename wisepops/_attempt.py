"""One attempt at a request, bounded in time and memory, without I/O.

Both clients drive an :class:`Attempt` with their own I/O: send :attr:`Attempt.request`
streamed, with httpx's own redirect following off; hand each response to
:meth:`Attempt.is_answer`, which follows redirects as the user's client would without
reading their bodies; feed the answer's decoded body to :meth:`Attempt.feed` until it
says stop; then take :meth:`Attempt.outcome`. ``Client``'s own connections wait at most
what is left of :func:`attempt_seconds` (:mod:`._deadline`); on a user's client it waits
for the attempt in a worker thread and then :meth:`Attempt.cancel`\\ s it; ``AsyncClient``
runs it in a cancel scope. Either way, an attempt past its time is :meth:`Attempt.timed_out`.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Optional, Union

import attrs
import httpx

ERROR_BODY_BYTES = 64 * 1024
"""How much of an error response's body is read: its excerpt and ``body`` come from it."""

RAW_PIECE_BYTES = 8 * 1024
"""A compressed body is decompressed this much at a time: gzip inflates it to 8 MiB at most."""

DEFAULT_MAX_REDIRECTS = 20  # httpx's, for a client that does not say


def attempt_seconds(timeout: httpx.Timeout) -> Optional[float]:
    """How long one attempt may take in all: the largest of ``timeout``'s four values.

    ``None`` in any of them (``httpx.Timeout(None)``) means no bound: a phase the caller
    left unlimited would make any bound on the whole a lie.
    """
    limits = [
        limit
        for limit in (timeout.connect, timeout.read, timeout.write, timeout.pool)
        if limit is not None
    ]
    return max(limits) if len(limits) == 4 else None


def late_message(seconds: float) -> str:
    """What an attempt still unfinished after ``seconds`` says."""
    return f"no complete response within {seconds:g} s, the timeout of one attempt"


@attrs.frozen
class TooLarge:
    """The outcome of a 2xx whose body passed ``limit``: ``response`` holds its first bytes."""

    response: httpx.Response
    limit: int


Attempted = Union[httpx.Response, httpx.RequestError, TooLarge]
"""What one attempt ends in: a response read within its limit, a transport error, or
a 2xx too large to keep."""

_DECODED = frozenset({b"content-encoding", b"content-length"})  # the body kept is decoded


class Attempt:
    """The state of one attempt: the request to send next and the body read so far.

    Args:
        request: the first request; :meth:`is_answer` replaces it with each redirect's.
        max_bytes: the most a 2xx body may hold, decoded; an error's is read up to
            :data:`ERROR_BODY_BYTES` of it.
        seconds: how long the attempt may take, for :meth:`timed_out`.
        follow_redirects: whether to follow redirects, as the user's client says.
        max_redirects: how many, as the user's client says.
    """

    def __init__(
        self,
        request: httpx.Request,
        max_bytes: int,
        *,
        seconds: Optional[float] = None,
        follow_redirects: bool = False,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> None:
        self.request = request
        self._max_bytes = max_bytes
        self._seconds = seconds
        self._follow = follow_redirects
        self._max_redirects = max_redirects
        self._hops: list[httpx.Response] = []
        self._answer: Optional[httpx.Response] = None
        self._limit = 0
        self._chunks: list[bytes] = []
        self._size = 0
        self._cut = False
        self._cancelled = False
        self._stream: Any = None  # the connection's network stream, once known

    def is_answer(self, response: httpx.Response) -> bool:
        """Whether ``response`` answers the attempt; ``False``: send :attr:`request` next.

        A redirect is followed without reading its body; more than ``max_redirects`` of
        them raise ``httpx.TooManyRedirects``, as httpx does.
        """
        self._stream = response.extensions.get("network_stream", self._stream)
        follow = response.next_request if self._follow else None
        if follow is not None:
            if len(self._hops) >= self._max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=follow)
            self._hops.append(response)
            self.request = follow
            return False
        self._answer = response
        self._limit = self._max_bytes
        if not response.is_success:
            self._limit = min(self._max_bytes, ERROR_BODY_BYTES)
        if response.headers.get("Content-Encoding", "identity").strip().lower() != "identity":
            response.stream = _Pieces(response.stream)
        return True

    def feed(self, chunk: bytes) -> bool:
        """Keep ``chunk`` of the answer's decoded body; ``False`` when reading should stop."""
        room = self._limit - self._size
        if len(chunk) > room:
            chunk, self._cut = chunk[:room], True
        self._chunks.append(chunk)
        self._size += len(chunk)
        return not (self._cut or self._cancelled)

    def outcome(self) -> Union[httpx.Response, TooLarge]:
        """The answer with the body kept (decoded), once its response is closed."""
        answer = self._answer
        if answer is None:
            raise RuntimeError("outcome() before is_answer() found the answer")
        too_large = self._cut and answer.is_success
        chunks, self._chunks = self._chunks, []
        if too_large:  # kept: its beginning, for a look, and never a copy of the rest
            chunks = _prefix(chunks, ERROR_BODY_BYTES)
        content = b"".join(chunks)
        response = httpx.Response(
            answer.status_code,
            headers=[(k, v) for k, v in answer.headers.raw if k.lower() not in _DECODED],
            content=content,
            request=answer.request,
            extensions=answer.extensions,
            history=self._hops,
            default_encoding=answer.default_encoding,
        )
        with contextlib.suppress(RuntimeError):  # set when the response was closed
            response.elapsed = answer.elapsed
        return TooLarge(response, self._limit) if too_large else response

    def timed_out(self) -> httpx.ReadTimeout:
        """The outcome of an attempt still unfinished when its time was up."""
        return httpx.ReadTimeout(late_message(self._seconds or 0), request=self.request)

    def trace(self, name: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` extension: notes each new connection, for :meth:`cancel`."""
        stream = info.get("return_value")
        if hasattr(stream, "get_extra_info"):  # connect_tcp, start_tls and the like
            self._stream = stream

    def cancel(self) -> None:
        """Stop the attempt from another thread: read no more, and shut its connection.

        Shutting the socket wakes a read blocked on it; a connection never seen (one
        reused from the pool, before its headers came) is left to its read timeout.
        """
        self._cancelled = True
        get_extra_info = getattr(self._stream, "get_extra_info", None)
        sock = None if get_extra_info is None else get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A raw body in pieces of at most :data:`RAW_PIECE_BYTES`, so that the decoder
    httpx runs on each piece never inflates one into more than a few MiB."""

    def __init__(self, stream: Union[httpx.SyncByteStream, httpx.AsyncByteStream]) -> None:
        self._stream = stream
        self._chunks: AsyncIterator[bytes]  # set by __aiter__
        self._pieces: Iterator[bytes] = iter(())  # what is left of the chunk being split

    def __iter__(self) -> Iterator[bytes]:
        if not isinstance(self._stream, httpx.SyncByteStream):
            raise TypeError("a sync read of an async body")
        for chunk in self._stream:
            yield from _split(chunk)

    def __aiter__(self) -> AsyncIterator[bytes]:
        # An iterator, not an async generator: trio warns of one left unfinished, as
        # this one is when reading stops at the cap.
        if not isinstance(self._stream, httpx.AsyncByteStream):
            raise TypeError("an async read of a sync body")
        self._chunks = self._stream.__aiter__()
        return self

    async def __anext__(self) -> bytes:
        piece = next(self._pieces, None)
        while piece is None:
            self._pieces = _split(await self._chunks.__anext__())
            piece = next(self._pieces, None)
        return piece

    def close(self) -> None:
        if isinstance(self._stream, httpx.SyncByteStream):
            self._stream.close()

    async def aclose(self) -> None:
        if isinstance(self._stream, httpx.AsyncByteStream):
            await self._stream.aclose()


def _prefix(chunks: list[bytes], size: int) -> list[bytes]:
    """The first ``size`` bytes of ``chunks``, as chunks."""
    kept: list[bytes] = []
    for chunk in chunks:
        kept.append(chunk[:size])
        size -= len(chunk)
        if size <= 0:
            break
    return kept


def _split(chunk: bytes) -> Iterator[bytes]:
    for start in range(0, len(chunk), RAW_PIECE_BYTES):
        yield chunk[start : start + RAW_PIECE_BYTES]
