"""``Client`` and ``AsyncClient``: they send, sleep and close; :mod:`._core` does the rest."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncGenerator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Optional, TypeVar, Union, cast

import httpx

from . import _operations as ops
from ._attempt import Attempt, Attempted
from ._config import (
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    TimeoutTypes,
    merge_headers,
    resolve_config,
)
from ._core import Command, RequestSpec, exchange
from ._deadline import bounded, in_place, own_http
from ._errors import APIError, WisepopsError
from ._operations import Operation, Plan
from .resources import V2, AsyncEmails, AsyncHooks, AsyncV2, Emails, Hooks

if TYPE_CHECKING:  # httpx2 is optional: without it, these annotations are Any to mypy
    import httpx2

T = TypeVar("T")

_sleep = time.sleep  # module attributes, so that tests can skip the waits


async def _async_sleep(seconds: float) -> None:
    # anyio, which httpx brings, so that AsyncClient runs on asyncio and on trio. Imported
    # on first use: its asyncio backend costs more than the rest of the SDK.
    import anyio  # noqa: PLC0415

    await anyio.sleep(seconds)


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)
ClientT = TypeVar("ClientT", bound="_BaseClient[Any]")


class _BaseClient(Generic[HttpT]):
    """Settings and the httpx client: what ``Client`` and ``AsyncClient`` share."""

    _http_type: type[HttpT]

    def __init__(  # noqa: PLR0917 - the subclasses' keyword arguments, passed on
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: TimeoutTypes,
        max_retries: int,
        max_response_bytes: int,
        default_headers: Optional[Mapping[str, str]],
        http_client: Any,
    ) -> None:
        http = None if http_client is None else self._adopt(http_client)
        self._config = resolve_config(
            api_key,
            base_url,
            timeout,
            max_retries,
            max_response_bytes=max_response_bytes,
            default_headers=default_headers,
            client_user_agent=None if http is None else http_client.headers.get("User-Agent"),
        )
        # Ours to close: a client we made, or our httpx wrapper around a user's httpx2 one.
        self._owns_http = http is None or http is not http_client
        self._http: HttpT = self._new_http() if http is None else http
        # What with_options() builds on: the user's own client, or ours.
        self._shared: object = self._http if http_client is None else http_client

    def _new_http(self) -> HttpT:
        return self._http_type()

    def _adopt(self, http_client: Any) -> HttpT:
        """The user's client, or for an httpx2 one, an httpx client sending through it."""
        if isinstance(http_client, self._http_type):
            return http_client
        httpx2 = sys.modules.get("httpx2")  # imported already if the user made a client of it
        kind = self._http_type.__name__
        is_httpx2 = httpx2 is not None and isinstance(http_client, getattr(httpx2, kind, ()))
        if is_httpx2:
            from ._httpx2 import wrap  # noqa: PLC0415 - only for httpx2 users

            wrapper = wrap(http_client)
            if isinstance(wrapper, self._http_type):
                return wrapper
        raise TypeError(
            f"http_client must be an httpx.{kind} (or an httpx2.{kind}), "
            f"got {type(http_client).__name__}"
        )

    def with_options(
        self: ClientT,
        *,
        api_key: Optional[str] = None,
        timeout: Optional[TimeoutTypes] = None,
        max_retries: Optional[int] = None,
        max_response_bytes: Optional[int] = None,
        default_headers: Optional[Mapping[str, str]] = None,
    ) -> ClientT:
        """A client like this one but for the options given, on the same connection pool.

        ``api_key``: another website's key (WisePops has one key per website), checked as
        the constructor checks it, but never read from the environment: an empty key is
        refused rather than replaced by ``WISEPOPS_API_KEY``, another website's.
        ``default_headers`` are added to this client's (a name given again replaces it).
        This client is unchanged. The new one borrows the pool and never closes it: close
        this client when done with both (a pool that was yours stays yours to close).

        Example::

            quick = client.with_options(timeout=5, max_retries=0)
            quick.v2.popups.list()
            shop_b = client.with_options(api_key=keys["shop-b"])
        """
        config = self._config
        if api_key is not None and not api_key:
            raise WisepopsError("with_options(api_key=...) was given an empty key")
        return type(self)(
            config.api_key if api_key is None else api_key,
            base_url=config.base_url,
            timeout=config.timeout if timeout is None else timeout,
            max_retries=config.max_retries if max_retries is None else max_retries,
            max_response_bytes=(
                config.max_response_bytes if max_response_bytes is None else max_response_bytes
            ),
            default_headers=merge_headers(config.default_headers, default_headers or {}),
            http_client=self._shared,
        )

    @property
    def base_url(self) -> str:
        """The API's root, like ``https://app.wisepops.com``."""
        return self._config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of every attempt: its largest value bounds each attempt as a whole."""
        return self._config.timeout

    @property
    def max_response_bytes(self) -> int:
        """The most one response body may hold, decoded; a larger one is refused unread."""
        return self._config.max_response_bytes

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be sent again."""
        return self._config.max_retries

    @property
    def default_headers(self) -> Mapping[str, str]:
        """The headers you asked to send with every request (a copy).

        Example: ``client.with_options(default_headers={"X-Job": "nightly"}).default_headers``
        """
        return dict(self._config.default_headers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_BaseClient[httpx.Client]):
    """The synchronous client.

    Args:
        api_key: the website's API key; ``None`` reads ``WISEPOPS_API_KEY``.
        base_url: ``None`` reads ``WISEPOPS_BASE_URL``, else ``https://app.wisepops.com``.
        timeout: seconds (connect: at most 5 s) or an ``httpx.Timeout``; bounds each
            attempt as a whole, from connecting to the body's last byte (an
            ``httpx.Timeout``: its largest value; ``None`` in it, no bound), also on an
            ``http_client`` you pass. A late attempt is an ``APITimeoutError``, retried.
        max_response_bytes: the most one response body may hold, decoded (16 MiB by
            default); a larger one is ``APIResponseValidationError``, read no further.
        max_retries: how many times a failed request may be sent again; 0 disables.
        default_headers: headers sent with every request. A ``User-Agent`` here (or set on
            your ``http_client``) is kept, with the SDK's token appended; the SDK's
            ``Authorization`` always wins.
        http_client: an ``httpx.Client`` or ``httpx2.Client`` to send with (proxies,
            transports, event hooks); the SDK uses it and leaves closing it to you.

    Example::

        with wisepops.Client() as client:
            for contact in client.emails.iter():
                print(contact.email)
    """

    _http_type = httpx.Client
    emails: Emails
    """api1's collected emails: ``list()`` and ``iter()``."""
    hooks: Hooks
    """api1's webhooks: ``create()`` and ``delete()``. api1 documents no listing: keep the
    ids, or use ``v2.hooks``, which also has ``list()`` and ``ensure()``."""
    v2: V2
    """The current API: ``contacts``, ``hooks``, ``popups`` and ``data_privacy``."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        default_headers: Optional[Mapping[str, str]] = None,
        http_client: Union[httpx.Client, httpx2.Client, None] = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            max_response_bytes,
            default_headers,
            http_client,
        )
        self._in_place = in_place(self._http)  # else in a worker thread, to end on time
        self.emails = Emails(self)
        self.hooks = Hooks(self, ops.API1_HOOKS)
        self.v2 = V2(self)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> httpx.Response:
        """Call an endpoint the SDK does not wrap, with its auth, retries and typed errors.

        ``path`` is relative to ``base_url``; a query in it is kept beside ``params``. A 2xx
        returns the response (its request without the key); anything else raises as every
        call does. Retried as its method is: GET, PUT and DELETE on any transient failure,
        POST and PATCH only where the server cannot have acted.

        Example::

            hooks = client.request("GET", "/api2/hooks").json()
        """
        return self._run(ops.raw_request(method, path, params, json))

    def close(self) -> None:
        """Close the connections, unless the ``httpx.Client`` was yours.

        Example: ``client.close()``, or ``with wisepops.Client() as client: ...``
        """
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def _run(self, operation: Operation[T]) -> T:
        steps = exchange(self._config, operation)
        command: Command = next(steps)
        while True:
            try:
                command = steps.send(self._perform(command))
            except StopIteration as done:
                result: T = done.value
                return result

    def _perform(self, command: Command) -> Optional[Attempted]:
        if not isinstance(command, RequestSpec):
            _sleep(command.seconds)
            return None
        attempt = command.attempt(self._http, self._shared, traced=not self._in_place)
        if not self._in_place:
            from ._worker import within  # noqa: PLC0415 - only for a user's network client

            outcome = within(command.deadline, lambda: self._attempt(attempt), attempt.cancel)
            return attempt.timed_out() if outcome is None else outcome
        started = time.monotonic()
        with bounded(command.deadline):
            answer = self._attempt(attempt)
        late = command.deadline is not None and time.monotonic() - started > command.deadline
        return attempt.timed_out() if late else answer

    def _new_http(self) -> httpx.Client:
        return own_http()

    def _attempt(self, attempt: Attempt) -> Attempted:
        try:
            while True:
                response = self._http.send(
                    attempt.request, stream=True, auth=None, follow_redirects=False
                )
                try:
                    if not attempt.is_answer(response):
                        continue  # a redirect, to follow
                    for chunk in response.iter_bytes():
                        if not attempt.feed(chunk):
                            break
                finally:
                    response.close()
                return attempt.outcome()
        except httpx.RequestError as exc:
            return exc

    def _follow(self, plan: Plan[T]) -> T:
        try:
            operation = next(plan)
            while True:
                try:
                    result = self._run(operation)
                except APIError as error:
                    operation = plan.throw(error)
                else:
                    operation = plan.send(result)
        except StopIteration as done:
            value: T = done.value
            return value


class AsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asynchronous client: :class:`Client`'s names, awaited.

    ``iter()`` methods return async iterators. ``http_client`` is an
    ``httpx.AsyncClient`` or ``httpx2.AsyncClient``. Runs on asyncio and on trio.

    Example::

        async with wisepops.AsyncClient() as client:
            async for contact in client.emails.iter():
                print(contact.email)
    """

    _http_type = httpx.AsyncClient
    emails: AsyncEmails
    """api1's collected emails: ``await list()`` and ``async for ... in iter()``."""
    hooks: AsyncHooks
    """api1's webhooks: ``await create()`` and ``await delete()``. api1 documents no
    listing: keep the ids, or use ``v2.hooks``, which also has ``list()`` and ``ensure()``."""
    v2: AsyncV2
    """The current API: ``contacts``, ``hooks``, ``popups`` and ``data_privacy``."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        default_headers: Optional[Mapping[str, str]] = None,
        http_client: Union[httpx.AsyncClient, httpx2.AsyncClient, None] = None,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            max_response_bytes,
            default_headers,
            http_client,
        )
        self.emails = AsyncEmails(self)
        self.hooks = AsyncHooks(self, ops.API1_HOOKS)
        self.v2 = AsyncV2(self)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
    ) -> httpx.Response:
        """Like :meth:`Client.request`, awaited.

        Example: ``hooks = (await client.request("GET", "/api2/hooks")).json()``
        """
        return await self._run(ops.raw_request(method, path, params, json))

    async def aclose(self) -> None:
        """Close the connections, unless the ``httpx.AsyncClient`` was yours.

        Example: ``await client.aclose()``, or ``async with wisepops.AsyncClient() as client: ...``
        """
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.aclose()

    async def _run(self, operation: Operation[T]) -> T:
        steps = exchange(self._config, operation)
        command: Command = next(steps)
        while True:
            try:
                command = steps.send(await self._perform(command))
            except StopIteration as done:
                result: T = done.value
                return result

    async def _perform(self, command: Command) -> Optional[Attempted]:
        if not isinstance(command, RequestSpec):
            await _async_sleep(command.seconds)
            return None
        import anyio  # noqa: PLC0415 - see _async_sleep

        attempt = command.attempt(self._http, self._shared, traced=False)
        with anyio.move_on_after(command.deadline):
            return await self._attempt(attempt)
        return attempt.timed_out()

    async def _attempt(self, attempt: Attempt) -> Attempted:
        try:
            while True:
                response = await self._http.send(
                    attempt.request, stream=True, auth=None, follow_redirects=False
                )
                chunks = cast("AsyncGenerator[bytes, None]", response.aiter_bytes())
                try:
                    if not attempt.is_answer(response):
                        continue  # a redirect, to follow
                    async for chunk in chunks:
                        if not attempt.feed(chunk):
                            break
                finally:
                    await chunks.aclose()  # at once: trio warns of one left to the collector
                    await response.aclose()
                return attempt.outcome()
        except httpx.RequestError as exc:
            return exc

    async def _follow(self, plan: Plan[T]) -> T:
        try:
            operation = next(plan)
            while True:
                try:
                    result = await self._run(operation)
                except APIError as error:
                    operation = plan.throw(error)
                else:
                    operation = plan.send(result)
        except StopIteration as done:
            value: T = done.value
            return value
