"""Run the same call on ``Client`` and ``AsyncClient``, so every test covers both."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable, Optional

import wisepops
from wisepops.testing import FakeWisepops

from .conftest import API_KEY

KINDS = ("sync", "async")
KINDS_AND_TRIO = (*KINDS, "trio")  # "trio": AsyncClient under trio instead of asyncio


def call(
    kind: str, action: Callable[[Any], Any], fake: Optional[FakeWisepops] = None, **options: Any
) -> Any:
    """``action(client)`` on a fresh client of ``kind``; iterators are drained to lists.

    ``action`` gets a :class:`wisepops.Client` or :class:`wisepops.AsyncClient`: the
    same expression works on both, since they share their names. With ``fake``, the
    client is one of ``fake.client()`` / ``fake.async_client()``. Kind ``"trio"`` runs
    the ``AsyncClient`` under trio.
    """
    if fake is None:
        options.setdefault("api_key", API_KEY)
    if kind == "sync":
        sync_client = fake.client(**options) if fake else wisepops.Client(**options)
        with sync_client as client:
            result = action(client)
            return list(result) if isinstance(result, Iterator) else result

    async def main() -> Any:
        async_client = fake.async_client(**options) if fake else wisepops.AsyncClient(**options)
        async with async_client as client:
            result = action(client)
            if inspect.isawaitable(result):
                return await result
            if isinstance(result, AsyncIterator):
                return [item async for item in result]
            return result

    if kind == "trio":
        import trio

        return trio.run(main)
    return asyncio.run(main())
