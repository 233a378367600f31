"""Client configuration: key, base URL, timeouts, retries, user clients, headers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL


def recording_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    return httpx.MockTransport(handle)


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        wisepops.Client().emails.list()
    assert route.calls.last.request.headers["Authorization"] == f'WISEPOPS-API key="{API_KEY}"'


@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_missing_key_says_how_to_set_it(cls: type[wisepops.Client]) -> None:
    with pytest.raises(wisepops.WisepopsError, match="WISEPOPS_API_KEY"):
        cls()


def test_explicit_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", "from-environment")
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        wisepops.Client(API_KEY).emails.list()
    assert API_KEY in route.calls.last.request.headers["Authorization"]


@pytest.mark.parametrize("bad", ["key with space", 'key"quote', "key\n", "clé"])
def test_a_key_that_cannot_go_in_a_header_is_refused_without_echoing_it(bad: str) -> None:
    with pytest.raises(wisepops.WisepopsError) as caught:
        wisepops.Client(bad)
    assert bad not in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
def test_every_request_carries_exactly_one_auth_header_and_the_user_agent(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        call(kind, lambda c: c.emails.list())
    headers = route.calls.last.request.headers
    assert headers.get_list("Authorization") == [f'WISEPOPS-API key="{API_KEY}"']
    assert headers["User-Agent"] == f"wisepops-python/{wisepops.__version__}"
    assert headers["Accept"] == "application/json"


def test_base_url_comes_from_argument_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert wisepops.Client(API_KEY).base_url == "https://app.wisepops.com"
    monkeypatch.setenv("WISEPOPS_BASE_URL", "http://127.0.0.1:8080/")
    assert wisepops.Client(API_KEY).base_url == "http://127.0.0.1:8080"
    assert wisepops.Client(API_KEY, base_url="https://eu.example").base_url == "https://eu.example"


def test_requests_go_to_the_configured_base_url() -> None:
    with respx.mock(base_url="http://127.0.0.1:9999/prefix") as mock:
        route = mock.get("/api1/emails").respond(json=[])
        wisepops.Client(API_KEY, base_url="http://127.0.0.1:9999/prefix/").emails.list()
    assert str(route.calls.last.request.url).startswith("http://127.0.0.1:9999/prefix/api1/emails")


@pytest.mark.parametrize("bad", ["app.wisepops.com", "ftp://app.wisepops.com", "/api1"])
def test_base_url_must_be_absolute_http(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        wisepops.Client(API_KEY, base_url=bad)


def test_default_timeout_is_30_seconds_with_5_to_connect() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        wisepops.Client(API_KEY).emails.list()
    timeout = route.calls.last.request.extensions["timeout"]
    assert timeout == {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}


def test_a_float_timeout_keeps_connect_at_most_5_seconds() -> None:
    assert wisepops.Client(API_KEY, timeout=60).timeout == httpx.Timeout(60.0, connect=5.0)
    assert wisepops.Client(API_KEY, timeout=2.0).timeout == httpx.Timeout(2.0)


def test_an_httpx_timeout_is_used_as_given() -> None:
    timeout = httpx.Timeout(10.0, read=120.0)
    assert wisepops.Client(API_KEY, timeout=timeout).timeout is timeout


def test_none_is_never_an_accidental_no_timeout() -> None:
    with pytest.raises(TypeError, match=r"httpx\.Timeout\(None\)"):
        wisepops.Client(API_KEY, timeout=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        wisepops.Client(API_KEY, timeout=0)


def test_the_timeout_applies_on_a_user_supplied_client_too() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        with httpx.Client(timeout=1.0) as http:
            wisepops.Client(API_KEY, timeout=12.0, http_client=http).emails.list()
    assert route.calls.last.request.extensions["timeout"]["read"] == 12.0


def test_max_retries_is_kept() -> None:
    assert wisepops.Client(API_KEY).max_retries == 2
    assert wisepops.AsyncClient(API_KEY, max_retries=0).max_retries == 0


@pytest.mark.parametrize("bad", [-1, True, 1.5])
def test_max_retries_must_be_a_non_negative_int(bad: object) -> None:
    with pytest.raises((TypeError, ValueError), match="max_retries"):
        wisepops.Client(API_KEY, max_retries=bad)  # type: ignore[arg-type]


def test_a_user_supplied_client_is_used_and_left_open() -> None:
    seen: list[httpx.Request] = []
    transport = recording_transport(seen)
    http = httpx.Client(transport=transport, headers={"X-Trace": "abc"})
    with wisepops.Client(API_KEY, http_client=http) as client:
        client.emails.list()
    assert not http.is_closed
    assert seen[0].headers["X-Trace"] == "abc"
    assert seen[0].headers["User-Agent"].startswith("wisepops-python/")
    http.close()


def test_a_user_supplied_async_client_is_used_and_left_open() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))

    async def main() -> bool:
        http = httpx.AsyncClient(transport=transport)
        async with wisepops.AsyncClient(API_KEY, http_client=http) as client:
            await client.emails.list()
        still_open = not http.is_closed
        await http.aclose()
        return still_open

    assert asyncio.run(main())


def test_the_client_auth_of_a_user_supplied_client_does_not_add_a_second_key() -> None:
    seen: list[httpx.Request] = []
    transport = recording_transport(seen)
    with httpx.Client(transport=transport, auth=("user", "pass")) as http:
        wisepops.Client(API_KEY, http_client=http).emails.list()
    assert seen[0].headers.get_list("Authorization") == [f'WISEPOPS-API key="{API_KEY}"']


def test_the_wrong_kind_of_http_client_is_refused() -> None:
    with pytest.raises(TypeError, match=r"httpx\.Client"):
        wisepops.Client(API_KEY, http_client=httpx.AsyncClient())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"httpx\.AsyncClient"):
        wisepops.AsyncClient(API_KEY, http_client=httpx.Client())  # type: ignore[arg-type]


def test_the_client_owns_and_closes_its_own_http_client() -> None:
    client = wisepops.Client(API_KEY)
    with client:
        pass
    assert client._http.is_closed


def test_the_async_client_closes_its_own_http_client() -> None:
    async def main() -> bool:
        async with wisepops.AsyncClient(API_KEY) as client:
            pass
        return client._http.is_closed

    assert asyncio.run(main())
