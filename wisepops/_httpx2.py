"""A user's ``httpx2`` client behind an httpx transport, so the SDK itself sees only httpx.

httpx2 is httpx's maintained successor: the same API under a new import name. The SDK
depends on httpx alone; this module is imported only when a user passes an
``httpx2.Client`` or ``httpx2.AsyncClient``, so httpx2 is then installed.

The SDK builds each request with an httpx client whose transport is one of these: it
rebuilds the request on the user's client (so that client's headers, event hooks,
proxies and connection pool apply), sends it, and hands back httpx's twin of the answer:
the response with its decoded body, or the httpx error of the same name.
"""

from __future__ import annotations

from typing import Union

import httpx
import httpx2

_DECODED = (b"content-encoding", b"content-length")  # the body httpx gets is decoded


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
        try:
            response = self._client.send(_outgoing(self._client, request), auth=None)
        except httpx2.RequestError as exc:
            error = _error(exc, request)
        else:
            return _incoming(response)
        raise error  # out of the except block: no __context__ whose request has the key


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, client: httpx2.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._client.send(_outgoing(self._client, request), auth=None)
        except httpx2.RequestError as exc:
            error = _error(exc, request)
        else:
            return _incoming(response)
        raise error


def _outgoing(
    client: Union[httpx2.Client, httpx2.AsyncClient], request: httpx.Request
) -> httpx2.Request:
    timeout = request.extensions.get("timeout")
    return client.build_request(
        request.method,
        str(request.url),
        headers=request.headers.raw,
        content=request.content,
        timeout=httpx2.Timeout(**timeout) if timeout else client.timeout,
    )


def _incoming(response: httpx2.Response) -> httpx.Response:
    headers = [
        (name, value) for name, value in response.headers.raw if name.lower() not in _DECODED
    ]
    extensions = {
        key: response.extensions[key]
        for key in ("http_version", "reason_phrase")
        if key in response.extensions
    }
    return httpx.Response(
        response.status_code, headers=headers, content=response.content, extensions=extensions
    )


def _error(error: httpx2.RequestError, request: httpx.Request) -> httpx.RequestError:
    """httpx's exception of the same name (``ConnectError``, ``ReadTimeout``...)."""
    for cls in type(error).__mro__:
        twin = getattr(httpx, cls.__name__, None)
        if isinstance(twin, type) and issubclass(twin, httpx.RequestError):
            return twin(str(error), request=request)
    return httpx.RequestError(str(error), request=request)  # not reached: RequestError has one
