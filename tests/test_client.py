"""wisepops/_client.py: what the clients do themselves: derive with with_options(), send
through the httpx client they make or are given (and close only their own), request(),
and wait between retries."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import traceback

import httpx
import pytest
import respx

import wisepops
import wisepops._client
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import API_KEY, AUTH, BASE_URL, REAL_SLEEPS, SDK_AGENT, fail_then_succeed

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


# --- the httpx client: ours to close, or the user's to keep ------------------------------


def recording_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    return httpx.MockTransport(handle)


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


# --- the waits between retries -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_real_waits_are_used_outside_the_tests(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clients' own sleep functions (patched everywhere else) really wait."""
    monkeypatch.setattr(wisepops._client, "_sleep", REAL_SLEEPS[0])
    monkeypatch.setattr(wisepops._client, "_async_sleep", REAL_SLEEPS[1])
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(
            side_effect=fail_then_succeed(httpx.Response(503, headers={"Retry-After": "0.2"}))
        )
        started = time.monotonic()
        call(kind, lambda c: c.emails.list())
    assert time.monotonic() - started >= 0.2


# --- with_options(api_key=...): another website's key on the same pool, and

SITE_B = "site-b-key-fedcba9876543210"


def test_two_keys_on_one_pool_send_two_authorization_headers() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/hooks").respond(json=[])
        with wisepops.Client(API_KEY) as client:
            site_b = client.with_options(api_key=SITE_B)
            assert site_b._http is client._http  # one connection pool
            site_b.v2.hooks.list()
            client.v2.hooks.list()
    sent = [call.request.headers["Authorization"] for call in route.calls]
    assert sent == [f'WISEPOPS-API key="{SITE_B}"', f'WISEPOPS-API key="{API_KEY}"']


def test_two_keys_on_one_async_pool() -> None:
    async def both(client: wisepops.AsyncClient) -> None:
        site_b = client.with_options(api_key=SITE_B)
        assert site_b._http is client._http
        await site_b.v2.hooks.list()
        await client.v2.hooks.list()

    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/hooks").respond(json=[])
        call("async", both)
    sent = [call.request.headers["Authorization"] for call in route.calls]
    assert sent == [f'WISEPOPS-API key="{SITE_B}"', f'WISEPOPS-API key="{API_KEY}"']


def test_each_website_keeps_its_own_hooks() -> None:
    """A partner's loop over websites: one fake per key, on one connection pool."""
    site_a, site_b = FakeWisepops(api_key=API_KEY), FakeWisepops(api_key=SITE_B)

    def website(request: httpx.Request) -> httpx.Response:
        fake = site_b if SITE_B in request.headers["Authorization"] else site_a
        return fake.handle(request)

    url = "https://partner.example/wisepops"
    http = httpx.Client(transport=httpx.MockTransport(website))
    with wisepops.Client(API_KEY, base_url=BASE_URL, http_client=http) as client:
        for key in (API_KEY, SITE_B, SITE_B):
            client.with_options(api_key=key).v2.hooks.ensure(url)
    assert [hook.target_url for hook in site_a.hooks + site_b.hooks] == [url, url]


@pytest.mark.parametrize("kind", KINDS)
def test_the_original_keeps_its_key_and_other_options_carry_over(kind: str) -> None:
    def derive(client: wisepops.Client | wisepops.AsyncClient) -> object:
        site_b = client.with_options(api_key=SITE_B)
        assert (site_b.timeout, site_b.max_retries) == (client.timeout, client.max_retries)
        assert site_b.default_headers == {"X-Job": "nightly"}
        assert site_b.base_url == client.base_url
        return site_b._config.api_key, client._config.api_key

    keys = call(kind, derive, timeout=7, max_retries=4, default_headers={"X-Job": "nightly"})
    assert keys == (SITE_B, API_KEY)


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_key_is_refused_not_replaced_by_the_environment(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", "the-env-websites-key")
    with pytest.raises(wisepops.WisepopsError, match="empty key"):
        call(kind, lambda c: c.with_options(api_key=""))


@pytest.mark.parametrize("bad", ['a"b', "with space", "new\nline", 42])
def test_a_malformed_key_is_refused_without_being_echoed(bad: object) -> None:
    with pytest.raises(wisepops.WisepopsError) as caught:
        wisepops.Client(API_KEY).with_options(api_key=bad)  # type: ignore[arg-type]
    assert str(bad) not in str(caught.value)


# --- the key never shows: the existing secrets checks, on a derived client -----------------


@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_a_derived_clients_repr_shows_neither_key(cls: type[wisepops.Client]) -> None:
    site_b = cls(API_KEY).with_options(api_key=SITE_B)
    for text in (repr(site_b), repr(site_b._config), str(vars(site_b.v2.hooks))):
        assert SITE_B not in text
        assert API_KEY not in text


FAILURES = [
    httpx.Response(401, json={"message": f"invalid key {SITE_B}"}),
    httpx.Response(500, text=f"<html>Authorization: {SITE_B}</html>"),
    httpx.Response(200, text=f"not json {SITE_B}"),
    httpx.ConnectError("refused"),
]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_derived_clients_errors_and_logs_never_show_its_key(
    kind: str, failure: httpx.Response | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/hooks").mock(side_effect=[failure] * 3)
        with pytest.raises(wisepops.APIError) as caught:
            call(kind, lambda c: c.with_options(api_key=SITE_B).v2.hooks.list())
    assert route.calls.last.request.headers["Authorization"] == f'WISEPOPS-API key="{SITE_B}"'
    error = caught.value
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert SITE_B not in str(error) + repr(error) + shown
    response = getattr(error, "response", None)
    requests = [response.request] if response is not None else []
    if isinstance(error.__cause__, httpx.RequestError):
        requests.append(error.__cause__.request)
    for request in requests:
        assert request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'
    assert SITE_B not in caplog.text


def test_a_derived_client_over_real_http_logs_no_key(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeWisepops(api_key=SITE_B)
    caplog.set_level(logging.DEBUG)
    with fake.serve() as url, wisepops.Client(API_KEY, base_url=url) as client:
        site_b = client.with_options(api_key=SITE_B)
        assert site_b.v2.hooks.ensure("https://example.com/h").id == 1
        with pytest.raises(wisepops.AuthenticationError) as caught:
            client.v2.hooks.list()  # the first website's key: refused by this fake
    assert {"wisepops", "httpx"} <= {record.name for record in caplog.records}
    assert SITE_B not in caplog.text
    assert API_KEY not in caplog.text
    assert API_KEY not in str(caught.value)
