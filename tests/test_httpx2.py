"""A user's httpx2 client: the same requests, retries, timeouts and errors as with httpx."""

from __future__ import annotations

import asyncio
import gzip
import inspect
import traceback
from collections.abc import AsyncIterator, Iterator
from typing import Any, Callable

import httpx
import httpx2
import pytest

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS
from .conftest import API_KEY, SDK_AGENT
from .rawserver import refused_url


def call(
    kind: str,
    action: Callable[[Any], Any],
    *,
    http_options: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[Any, list[httpx2.Request]]:
    """``action(client)`` on a wisepops client over a new httpx2 client of ``kind``.

    Returns the result (iterators drained) and the requests the httpx2 client sent, seen
    by its own event hook; checks that the SDK left the httpx2 client open.
    """
    seen: list[httpx2.Request] = []
    options.setdefault("api_key", API_KEY)
    if kind == "sync":
        with httpx2.Client(event_hooks={"request": [seen.append]}, **(http_options or {})) as http:
            with wisepops.Client(http_client=http, **options) as client:
                result = action(client)
                result = list(result) if isinstance(result, Iterator) else result
            assert not http.is_closed
        return result, seen

    async def record(request: httpx2.Request) -> None:
        seen.append(request)

    async def main() -> Any:
        hooks = {"request": [record]}
        async with httpx2.AsyncClient(event_hooks=hooks, **(http_options or {})) as http:
            async with wisepops.AsyncClient(http_client=http, **options) as client:
                result = action(client)
                if inspect.isawaitable(result):
                    result = await result
                elif isinstance(result, AsyncIterator):
                    result = [item async for item in result]
            assert not http.is_closed
            return result

    return asyncio.run(main()), seen


def filled(fake: FakeWisepops) -> FakeWisepops:
    """``fake`` with three contacts, u0@ to u2@example.com."""
    for n in range(3):
        fake.collect(email=f"u{n}@example.com")
    return fake


@pytest.mark.parametrize("kind", KINDS)
def test_a_success_through_httpx2(kind: str, fake: FakeWisepops) -> None:
    with filled(fake).serve() as url:
        contacts, seen = call(kind, lambda c: c.v2.contacts.iter(page_size=2), base_url=url)
    assert [c.email for c in contacts] == ["u0@example.com", "u1@example.com", "u2@example.com"]
    assert len(seen) == 3  # every page sent by the user's httpx2 client (each after the
    # first starts again at the record the one before ended on, so 3 records take 3)
    assert seen[0].headers.get_list("Authorization") == [f'WISEPOPS-API key="{API_KEY}"']
    assert seen[0].headers["User-Agent"] == SDK_AGENT  # not httpx2's default one
    assert seen[0].extensions["timeout"] == {"connect": 5.0, "read": 30.0, "write": 30.0,
                                             "pool": 30.0}  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_a_404_through_httpx2_is_a_not_found_error(kind: str, fake: FakeWisepops) -> None:
    with fake.serve() as url, pytest.raises(wisepops.NotFoundError) as caught:
        call(kind, lambda c: c.v2.hooks.delete(999), base_url=url)
    error = caught.value
    assert error.status_code == 404
    assert isinstance(error.response, httpx.Response)
    assert error.body == {"message": "no hook 999"}
    assert error.response.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_connection_through_httpx2_is_retried_then_an_api_connection_error(
    kind: str, sleeps: list[float]
) -> None:
    with pytest.raises(wisepops.APIConnectionError) as caught:
        call(kind, lambda c: c.emails.list(), base_url=refused_url())
    error = caught.value
    assert type(error) is wisepops.APIConnectionError
    assert len(sleeps) == 2  # connection errors are retried, as with httpx
    assert isinstance(error.__cause__, httpx.ConnectError)  # httpx's twin, as documented
    assert "ConnectError" in str(error)
    # The httpx2 error (its request holds the key) is neither cause nor context.
    assert error.__cause__.__cause__ is None
    assert error.__cause__.__context__ is None
    assert error.__cause__.request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'
    assert API_KEY not in "".join(traceback.format_exception(type(error), error, None))


@pytest.mark.parametrize("kind", KINDS)
def test_a_timeout_through_httpx2_is_an_api_timeout_error(kind: str, fake: FakeWisepops) -> None:
    fake.time_out_next()
    with fake.serve() as url, pytest.raises(wisepops.APITimeoutError):
        call(kind, lambda c: c.emails.list(), base_url=url, timeout=0.3, max_retries=0)


@pytest.mark.parametrize("kind", KINDS)
def test_a_503_through_httpx2_is_retried(kind: str, fake: FakeWisepops) -> None:
    fake.fail_next(503)
    with filled(fake).serve() as url:
        page, seen = call(kind, lambda c: c.emails.list(), base_url=url)
    assert len(page) == 3
    assert len(seen) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_the_httpx2_clients_user_agent_is_kept_and_its_auth_never_sent(
    kind: str, fake: FakeWisepops
) -> None:
    headers = {"User-Agent": "acme-sync/1.4", "X-Trace": "abc"}
    with filled(fake).serve() as url:
        page, seen = call(
            kind,
            lambda c: c.with_options(max_retries=0).emails.list(),
            base_url=url,
            http_options={"headers": headers, "auth": ("user", "pass")},
        )
    assert len(page) == 3  # the fake accepts exactly one Authorization: the SDK's
    assert seen[0].headers["User-Agent"] == f"acme-sync/1.4 {SDK_AGENT}"
    assert seen[0].headers["X-Trace"] == "abc"


@pytest.mark.parametrize("kind", KINDS)
def test_a_compressed_body_arrives_decoded_through_httpx2(kind: str) -> None:
    body = gzip.compress(b'[{"id": 1, "label": "Newsletter"}]')

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=body)

    transport = httpx2.MockTransport(handler)
    (popup,), _ = call(kind, lambda c: c.v2.popups.list(), http_options={"transport": transport})
    assert (popup.id, popup.label) == (1, "Newsletter")


def test_the_wrong_kind_of_httpx2_client_is_refused() -> None:
    with pytest.raises(TypeError, match=r"httpx2\.Client"):
        wisepops.Client(API_KEY, http_client=httpx2.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"httpx2\.AsyncClient"):
        wisepops.AsyncClient(API_KEY, http_client=httpx2.Client())  # type: ignore[arg-type]
