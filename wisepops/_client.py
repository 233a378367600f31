"""``Client`` and ``AsyncClient``: they send, sleep and close; :mod:`._core` does the rest."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from types import TracebackType
from typing import Generic, Optional, TypeVar

import httpx

from ._config import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, TimeoutTypes, resolve_config
from ._core import Command, RequestSpec, exchange
from ._operations import Operation
from ._pagination import KeysetWalk
from ._records import Contact
from ._retry import Outcome
from .resources import V2, AsyncEmails, AsyncHooks, AsyncV2, Emails, Hooks

T = TypeVar("T")

_sleep = time.sleep  # module attributes, so that tests can skip the waits


async def _async_sleep(seconds: float) -> None:
    import asyncio  # noqa: PLC0415 - on first use: it costs more than the rest of the SDK

    await asyncio.sleep(seconds)


HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)


class _BaseClient(Generic[HttpT]):
    """Settings and the httpx client: what ``Client`` and ``AsyncClient`` share."""

    _http_type: type[HttpT]

    def __init__(
        self,
        api_key: Optional[str],
        base_url: Optional[str],
        timeout: TimeoutTypes,
        max_retries: int,
        http_client: Optional[HttpT],
    ) -> None:
        self._config = resolve_config(api_key, base_url, timeout, max_retries)
        if http_client is not None and not isinstance(http_client, self._http_type):
            raise TypeError(
                f"http_client must be an httpx.{self._http_type.__name__}, "
                f"got {type(http_client).__name__}"
            )
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._http_type()

    @property
    def base_url(self) -> str:
        """The API's root, like ``https://app.wisepops.com``."""
        return self._config.base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeout of every request."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """How many times a failed request may be sent again."""
        return self._config.max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class Client(_BaseClient[httpx.Client]):
    """The synchronous client.

    Args:
        api_key: the website's API key; ``None`` reads ``WISEPOPS_API_KEY``.
        base_url: ``None`` reads ``WISEPOPS_BASE_URL``, else ``https://app.wisepops.com``.
        timeout: seconds (connect: at most 5 s) or an ``httpx.Timeout``; applies to every
            request, also on an ``http_client`` you pass.
        max_retries: how many times a failed request may be sent again; 0 disables.
        http_client: an ``httpx.Client`` to send with (proxies, transports, event hooks);
            the SDK uses it and leaves closing it to you.

    Example::

        with wisepops.Client() as client:
            for contact in client.emails.iter():
                print(contact.email)
    """

    _http_type = httpx.Client
    emails: Emails
    """api1's collected emails: ``list()`` and ``iter()``."""
    hooks: Hooks
    """api1's webhooks: ``create()`` and ``delete()``."""
    v2: V2
    """The current API: ``contacts``, ``hooks``, ``popups`` and ``data_privacy``."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: Optional[httpx.Client] = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, http_client)
        self.emails = Emails(self)
        self.hooks = Hooks(self)
        self.v2 = V2(self)

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

    def _perform(self, command: Command) -> Optional[Outcome]:
        if not isinstance(command, RequestSpec):
            _sleep(command.seconds)
            return None
        try:
            return self._http.send(command.build(self._http), auth=None)
        except httpx.RequestError as exc:
            return exc

    def _iterate(self, walk: KeysetWalk) -> Iterator[Contact]:
        while (operation := walk.next_operation()) is not None:
            yield from walk.accept(self._run(operation))


class AsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asynchronous client: :class:`Client`'s names, awaited.

    ``iter()`` methods return async iterators. ``http_client`` is an
    ``httpx.AsyncClient``.

    Example::

        async with wisepops.AsyncClient() as client:
            async for contact in client.emails.iter():
                print(contact.email)
    """

    _http_type = httpx.AsyncClient
    emails: AsyncEmails
    """api1's collected emails: ``await list()`` and ``async for ... in iter()``."""
    hooks: AsyncHooks
    """api1's webhooks: ``await create()`` and ``await delete()``."""
    v2: AsyncV2
    """The current API: ``contacts``, ``hooks``, ``popups`` and ``data_privacy``."""

    def __init__(
        self,
        api_key: Optional[str] = None,
        *,
        base_url: Optional[str] = None,
        timeout: TimeoutTypes = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        http_client: Optional[httpx.AsyncClient] = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries, http_client)
        self.emails = AsyncEmails(self)
        self.hooks = AsyncHooks(self)
        self.v2 = AsyncV2(self)

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

    async def _perform(self, command: Command) -> Optional[Outcome]:
        if not isinstance(command, RequestSpec):
            await _async_sleep(command.seconds)
            return None
        try:
            return await self._http.send(command.build(self._http), auth=None)
        except httpx.RequestError as exc:
            return exc

    async def _iterate(self, walk: KeysetWalk) -> AsyncIterator[Contact]:
        while (operation := walk.next_operation()) is not None:
            for item in walk.accept(await self._run(operation)):
                yield item
