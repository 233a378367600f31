"""with_options(), default_headers and the User-Agent, and the request() escape hatch."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL

SDK_AGENT = f"wisepops-python/{wisepops.__version__}"
AUTH = f'WISEPOPS-API key="{API_KEY}"'


# --- with_options ------------------------------------------------------------------------


def derive(client: wisepops.Client | wisepops.AsyncClient) -> object:
    """``client.with_options(...)``: check both clients' settings, then send one request
    with each, the derived client first; returns a list of two outcomes (awaitable for
    an ``AsyncClient``)."""
    quick = client.with_options(timeout=3, max_retries=0, default_headers={"X-B": "2"})
    assert type(quick) is type(client)
    assert (quick.timeout, quick.max_retries) == (httpx.Timeout(3.0), 0)
    assert quick.default_headers == {"X-A": "1", "X-B": "2"}
    assert (client.timeout, client.max_retries) == (httpx.Timeout(10.0, connect=5.0), 2)
    assert client.default_headers == {"X-A": "1"}
    assert API_KEY not in repr(quick) + repr(quick._config)
    if isinstance(client, wisepops.Client) and isinstance(quick, wisepops.Client):
        with pytest.raises(wisepops.InternalServerError):
            quick.request("GET", "/x")
        return client.request("GET", "/x")

    async def send() -> httpx.Response:
        assert isinstance(client, wisepops.AsyncClient)
        assert isinstance(quick, wisepops.AsyncClient)
        with pytest.raises(wisepops.InternalServerError):
            await quick.request("GET", "/x")
        return await client.request("GET", "/x")

    return send()


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_changes_what_it_is_given_and_leaves_the_original_alone(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        answers = [httpx.Response(503), httpx.Response(503), httpx.Response(200)]
        route = mock.get("/x").mock(side_effect=answers)
        response = call(kind, derive, timeout=10, default_headers={"X-A": "1"})
    assert response.status_code == 200
    assert route.call_count == 3  # the derived client: 1, no retry; the original: 2
    quick, original = route.calls[0].request, route.calls[1].request
    assert quick.extensions["timeout"]["read"] == 3.0
    assert (quick.headers["X-A"], quick.headers["X-B"]) == ("1", "2")
    assert quick.headers["Authorization"] == original.headers["Authorization"] == AUTH
    assert str(quick.url) == str(original.url) == f"{BASE_URL}/x"
    assert original.extensions["timeout"]["read"] == 10.0
    assert original.headers["X-A"] == "1"
    assert "X-B" not in original.headers


def test_a_derived_client_borrows_the_pool_and_its_close_leaves_it_open() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/x").respond(200)
        client = wisepops.Client(API_KEY)
        with client.with_options(timeout=1) as quick:
            assert quick._http is client._http
            quick.request("GET", "/x")
        assert not client._http.is_closed
        assert client.request("GET", "/x").status_code == 200
        client.close()
    assert client._http.is_closed


def test_a_derived_async_client_borrows_the_pool_and_its_aclose_leaves_it_open() -> None:
    async def main() -> None:
        client = wisepops.AsyncClient(API_KEY)
        async with client.with_options(max_retries=0) as quick:
            assert quick._http is client._http
            await quick.request("GET", "/x")
        assert not client._http.is_closed
        assert (await client.request("GET", "/x")).status_code == 200
        await client.aclose()
        assert client._http.is_closed

    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/x").respond(200)
        asyncio.run(main())


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_on_a_users_http_client_sends_through_that_client(kind: str) -> None:
    fake = FakeWisepops(api_key=API_KEY)
    fake.collect(email="a@example.com")
    pages = call(kind, lambda c: c.with_options(max_retries=0).emails.list(), fake=fake)
    assert [contact.email for contact in pages] == ["a@example.com"]
    assert len(fake.requests) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_with_options_checks_its_values_like_the_constructor(kind: str) -> None:
    with pytest.raises(ValueError, match="timeout"):
        call(kind, lambda c: c.with_options(timeout=0))
    with pytest.raises(ValueError, match="max_retries"):
        call(kind, lambda c: c.with_options(max_retries=-1))


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


# --- request(): the escape hatch -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_request_returns_the_response_with_auth_sent_and_the_key_redacted(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/hooks").respond(json=[{"id": 7}])
        response = call(kind, lambda c: c.request("GET", "/api2/hooks", params={"page": 2}))
    assert isinstance(response, httpx.Response)
    assert response.json() == [{"id": 7}]
    sent = route.calls.last.request
    assert sent.headers.get_list("Authorization") == [AUTH]
    assert sent.headers["User-Agent"] == SDK_AGENT
    assert sent.url.params["page"] == "2"
    assert API_KEY not in str(response.request.headers.raw)


@pytest.mark.parametrize("kind", KINDS)
def test_request_sends_a_json_body(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.post("/api2/hooks").respond(201, json={"id": 9})
        response = call(kind, lambda c: c.request("post", "api2/hooks", json={"event": "email"}))
    assert response.status_code == 201
    sent = route.calls.last.request
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.content) == {"event": "email"}


@pytest.mark.parametrize("kind", KINDS)
def test_request_raises_the_typed_errors_without_the_key(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/wisepops").respond(404, json={"message": f"no route; key {API_KEY}"})
        with pytest.raises(wisepops.NotFoundError) as caught:
            call(kind, lambda c: c.request("GET", "/api1/wisepops"))
    assert caught.value.status_code == 404
    assert API_KEY not in str(caught.value)
    assert API_KEY not in str(caught.value.response.request.headers.raw)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("method", "calls"), [("GET", 3), ("PUT", 3), ("POST", 1), ("PATCH", 1)])
def test_request_retries_as_its_method_allows(kind: str, method: str, calls: int) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.route(method=method, path="/x").respond(502)
        with pytest.raises(wisepops.InternalServerError):
            call(kind, lambda c: c.request(method, "/x"))
    assert route.call_count == calls


@pytest.mark.parametrize("kind", KINDS)
def test_request_reaches_the_fake_like_any_call(kind: str) -> None:
    fake = FakeWisepops()
    fake.add_popup("Newsletter", popup_id=3)
    response = call(kind, lambda c: c.request("GET", "/api2/wisepops"), fake=fake)
    assert [popup["id"] for popup in response.json()] == [3]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "path", ["https://evil.example/api2/hooks", "//evil.example/api2/hooks", "http:/x"]
)
def test_request_refuses_a_path_that_leaves_base_url_and_sends_nothing(
    kind: str, path: str
) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(200)
        with pytest.raises(ValueError, match="relative to base_url"):
            call(kind, lambda c: c.request("GET", path))
    assert not route.called


@pytest.mark.parametrize("kind", KINDS)
def test_request_refuses_a_method_that_is_not_one(kind: str) -> None:
    with pytest.raises(ValueError, match="method"):
        call(kind, lambda c: c.request("GET /x", "/x"))
