"""wisepops/_config.py: the settings and where they come from: key, base URL, timeout,
max_retries, default_headers and the User-Agent."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import API_KEY, AUTH, BASE_URL, SDK_AGENT


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


# --- default_headers and the User-Agent ---------------------------------------------------


def sent_headers(kind: str, **options: Any) -> httpx.Headers:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        call(kind, lambda c: c.emails.list(), **options)
    return route.calls.last.request.headers


@pytest.mark.parametrize("kind", KINDS)
def test_default_headers_go_with_every_request(kind: str) -> None:
    headers = sent_headers(kind, default_headers={"X-Trace": "abc", "X-Tenant": "7"})
    assert (headers["X-Trace"], headers["X-Tenant"]) == ("abc", "7")
    assert headers["User-Agent"] == SDK_AGENT


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_agent_in_default_headers_is_kept_with_the_sdks_token_appended(kind: str) -> None:
    headers = sent_headers(kind, default_headers={"user-agent": "acme-sync/1.4"})
    assert headers.get_list("User-Agent") == [f"acme-sync/1.4 {SDK_AGENT}"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_sdks_authorization_always_wins(kind: str) -> None:
    headers = sent_headers(kind, default_headers={"authorization": "Bearer theirs"})
    assert headers.get_list("Authorization") == [AUTH]


@pytest.mark.parametrize("kind", KINDS)
def test_default_headers_may_replace_accept_case_insensitively(kind: str) -> None:
    assert sent_headers(kind, default_headers={"accept": "*/*"}).get_list("Accept") == ["*/*"]


def test_the_user_agent_and_auth_of_a_users_http_client() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    headers = {"User-Agent": "acme-sync/1.4", "Authorization": "Bearer theirs"}
    with httpx.Client(transport=httpx.MockTransport(record), headers=headers) as http:
        wisepops.Client(API_KEY, http_client=http).emails.list()
        mine = {"User-Agent": "x/2"}
        wisepops.Client(API_KEY, http_client=http, default_headers=mine).emails.list()
    assert seen[0].headers.get_list("User-Agent") == [f"acme-sync/1.4 {SDK_AGENT}"]
    assert seen[0].headers.get_list("Authorization") == [AUTH]
    assert seen[1].headers.get_list("User-Agent") == [f"x/2 {SDK_AGENT}"]  # the argument wins


def test_the_user_agent_of_a_users_async_http_client() -> None:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    async def main() -> None:
        transport = httpx.MockTransport(record)
        async with httpx.AsyncClient(transport=transport, headers={"User-Agent": "acme/3"}) as http:
            await wisepops.AsyncClient(API_KEY, http_client=http).emails.list()

    asyncio.run(main())
    assert seen[0].headers.get_list("User-Agent") == [f"acme/3 {SDK_AGENT}"]


@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_bad_default_headers_are_refused_without_echoing_the_value(
    cls: type[wisepops.Client],
) -> None:
    with pytest.raises(ValueError, match="X-Token") as caught:
        cls(API_KEY, default_headers={"X-Token": "secret\r\nInjected: 1"})
    assert "secret" not in str(caught.value)
    with pytest.raises(ValueError, match="header name"):
        cls(API_KEY, default_headers={"Bad Name": "x"})
    with pytest.raises(TypeError, match="mapping"):
        cls(API_KEY, default_headers=[("X-A", "1")])  # type: ignore[arg-type]
