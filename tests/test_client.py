"""with_options(api_key=...): another website's key on the same pool, and never shown."""

from __future__ import annotations

import logging
import traceback

import httpx
import pytest
import respx

import wisepops
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL

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
