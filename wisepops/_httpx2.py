"""A user's ``httpx2`` client behind an httpx transport, so the SDK itself sees only httpx.

httpx2 is httpx's maintained successor: the same API under a new import name. The SDK
depends on httpx alone; this module is imported only when a user passes an
``httpx2.Client`` or ``httpx2.AsyncClient``, so httpx2 is then installed.

The SDK builds each request with an httpx client whose transport is one of these: it
rebuilds the request on the user's client (so that client's headers, event hooks,
proxies and connection pool apply), sends it without following redirects (the SDK
follows them, as that client says, without reading their bodies), and hands back
httpx's twin of the answer: the response with its raw body streamed as it comes, or
the httpx error of the same name. Like any transport's, the body is still encoded:
httpx decodes it, in bounded pieces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Union

import httpx
import httpx2

_DECODED = (b"content-encoding", b"content-length")  # gone from a body read and decoded


def wrap(
    client: Union[httpx2.Client, httpx2.AsyncClient],
) -> Union[httpx.Client, httpx.AsyncClient]:
    """An httpx client of the same kind that sends through ``client``.

    Closing it leaves ``client`` open: that one is the user's to close.
    """
    wrapper: Union[httpx.Client, httpx.AsyncClient]
    if isinstance(client, httpx2.AsyncClient):
        wrapper = httpx.AsyncClient(transport=_AsyncTransport(client), trust_env=False)
    else:
        wrapper = httpx.Client(transport=_Transport(client), trust_env=False)
    wrapper.headers.clear()  # httpx's defaults would hide those of the user's client
    return wrapper


class _Transport(httpx.BaseTransport):
    def __init__(self, client: httpx2.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # a redirect's request comes with its body unread
        try:
            response = self._client.send(
                _outgoing(self._client, request), auth=None, stream=True, follow_redirects=False
            )
        except httpx2.RequestError as exc:
            error = _error(exc, request)
        else:
            return _incoming(response, _Body(response, request))
        raise error  # out of the except block: no __context__ whose request has the key


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, client: httpx2.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        try:
            response = await self._client.send(
                _outgoing(self._client, request), auth=None, stream=True, follow_redirects=False
            )
        except httpx2.RequestError as exc:
            error = _error(exc, request)
        else:
            return _incoming(response, _AsyncBody(response, request))
        raise error


class _Body(httpx.SyncByteStream):
    """The raw body of an httpx2 response, its errors turned into httpx's."""

    def __init__(self, response: httpx2.Response, request: httpx.Request) -> None:
        self._response, self._request = response, request

    def __iter__(self) -> Iterator[bytes]:
        chunks = self._response.iter_raw()
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except httpx2.RequestError as exc:
                error = _error(exc, self._request)
            else:
                yield chunk
                continue
            raise error

    def close(self) -> None:
        self._response.close()


class _AsyncBody(httpx.AsyncByteStream):
    """:class:`_Body`, for an ``httpx2.AsyncClient``: an iterator, not an async
    generator, which trio would warn of when the SDK stops reading at its cap."""

    def __init__(self, response: httpx2.Response, request: httpx.Request) -> None:
        self._response, self._request = response, request
        self._chunks: AsyncIterator[bytes] = response.aiter_raw()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self._chunks.__anext__()
        except httpx2.RequestError as exc:
            error = _error(exc, self._request)
        raise error

    async def aclose(self) -> None:
        await self._response.aclose()


def _outgoing(
    client: Union[httpx2.Client, httpx2.AsyncClient], request: httpx.Request
) -> httpx2.Request:
    timeout = request.extensions.get("timeout")
    outgoing = client.build_request(
        request.method,
        str(request.url),
        headers=request.headers.raw,
        content=request.content,
        timeout=httpx2.Timeout(**timeout) if timeout else client.timeout,
    )
    if "trace" in request.extensions:  # the SDK notes connections, to shut a late one
        outgoing.extensions["trace"] = request.extensions["trace"]
    return outgoing


def _incoming(
    response: httpx2.Response, body: Union[httpx.SyncByteStream, httpx.AsyncByteStream]
) -> httpx.Response:
    extensions = {
        key: response.extensions[key]
        for key in ("http_version", "reason_phrase", "network_stream")
        if key in response.extensions
    }
    if response.is_stream_consumed:  # read already, as a mock transport's is: decoded
        headers = [(k, v) for k, v in response.headers.raw if k.lower() not in _DECODED]
        return httpx.Response(
            response.status_code, headers=headers, content=response.content, extensions=extensions
        )
    return httpx.Response(
        response.status_code, headers=response.headers.raw, stream=body, extensions=extensions
    )


def _error(error: httpx2.RequestError, request: httpx.Request) -> httpx.RequestError:
    """httpx's exception of the same name (``ConnectError``, ``ReadTimeout``...).

    The nearest class of ``error`` that httpx also has: ``RequestError`` at worst.
    """
    twins = (getattr(httpx, cls.__name__, None) for cls in type(error).__mro__)
    twin = next(t for t in twins if isinstance(t, type) and issubclass(t, httpx.RequestError))
    return twin(str(error), request=request)
