"""wisepops/_errors.py: the tree of errors, and the one each status code or transport
failure becomes, with what its message keeps."""

from __future__ import annotations

import httpx
import pytest
import respx

import wisepops

from .clients import KINDS, call
from .conftest import BASE_URL

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>"


def test_the_tree() -> None:
    assert issubclass(wisepops.APITimeoutError, wisepops.APIConnectionError)
    assert issubclass(wisepops.APIConnectionError, wisepops.APIError)
    assert issubclass(wisepops.RateLimitError, wisepops.APIStatusError)
    assert issubclass(wisepops.APIResponseValidationError, wisepops.APIError)
    assert issubclass(wisepops.APIError, wisepops.WisepopsError)
    assert issubclass(wisepops.PayloadError, ValueError)
    assert issubclass(wisepops.SignatureVerificationError, ValueError)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, wisepops.BadRequestError),
        (401, wisepops.AuthenticationError),
        (403, wisepops.PermissionDeniedError),
        (404, wisepops.NotFoundError),
        (409, wisepops.APIStatusError),
        (429, wisepops.RateLimitError),
        (500, wisepops.InternalServerError),
        (502, wisepops.InternalServerError),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_status_errors(kind: str, status: int, error: type[wisepops.APIStatusError]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(status, json={"message": "nope"})
        with pytest.raises(error) as caught:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert type(caught.value) is error
    assert caught.value.status_code == status
    assert caught.value.body == {"message": "nope"}
    assert caught.value.response.status_code == status
    assert str(caught.value).startswith(f"GET /api1/emails returned {status}")
    assert str(caught.value).endswith(": nope")


@pytest.mark.parametrize("kind", KINDS)
def test_an_html_error_page_is_kept_as_text(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(502, text=HTML_502, headers={"Content-Type": "text/html"})
        with pytest.raises(wisepops.InternalServerError) as caught:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert caught.value.body == HTML_502
    assert str(caught.value) == "GET /api1/emails returned 502 Bad Gateway: 502 Bad Gateway 502"


@pytest.mark.parametrize("kind", KINDS)
def test_an_empty_or_undecodable_error_body(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(
            side_effect=[httpx.Response(500), httpx.Response(500, content=b"\xff\xfe{")]
        )
        with pytest.raises(wisepops.InternalServerError) as empty:
            call(kind, lambda c: c.emails.list(), max_retries=0)
        with pytest.raises(wisepops.InternalServerError) as garbled:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert empty.value.body is None
    assert garbled.value.body == "\ufffd\ufffd{"


@pytest.mark.parametrize("kind", KINDS)
def test_connection_failures_chain_the_httpx_error(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(wisepops.APIConnectionError) as caught:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert type(caught.value) is wisepops.APIConnectionError
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert str(caught.value) == "GET /api1/emails failed: ConnectError: refused"


@pytest.mark.parametrize(
    "timeout", [httpx.ReadTimeout("slow"), httpx.ConnectTimeout("slow"), httpx.PoolTimeout("busy")]
)
@pytest.mark.parametrize("kind", KINDS)
def test_timeouts(kind: str, timeout: httpx.TimeoutException) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=timeout)
        with pytest.raises(wisepops.APITimeoutError) as caught:
            call(kind, lambda c: c.emails.list(), max_retries=0)
    assert caught.value.__cause__ is not None
    assert type(caught.value.__cause__) is type(timeout)


@pytest.mark.parametrize("kind", KINDS)
def test_a_redirect_is_not_followed_and_is_a_status_error(kind: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(302, headers={"Location": "https://elsewhere.example/"})
        with pytest.raises(wisepops.APIStatusError) as caught:
            call(kind, lambda c: c.emails.list())
    assert caught.value.status_code == 302


def test_a_long_error_body_is_cut_in_the_message() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(500, text="x" * 5000)
        with pytest.raises(wisepops.InternalServerError) as caught:
            call("sync", lambda c: c.emails.list(), max_retries=0)
    message = str(caught.value)
    assert message.endswith("x…")
    assert len(message) < 300
    assert caught.value.body == "x" * 5000  # the body itself is whole


def test_a_key_too_short_to_be_real_is_not_scrubbed_into_gibberish() -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(401, json={"message": "bad key"})
        with pytest.raises(wisepops.AuthenticationError) as caught:
            call("sync", lambda c: c.emails.list(), api_key="k")
    assert str(caught.value) == "GET /api1/emails returned 401 Unauthorized: bad key"
