"""The API key never appears in a repr, an error message, an error's request or a log."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import httpx
import pytest
import respx

import wisepops
from wisepops._core import request_spec
from wisepops._operations import list_emails

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL


@pytest.mark.parametrize("cls", [wisepops.Client, wisepops.AsyncClient])
def test_client_repr_hides_the_key(cls: type[wisepops.Client]) -> None:
    client = cls(API_KEY)
    assert API_KEY not in repr(client)
    assert API_KEY not in repr(client._config)
    assert repr(client) == f"{cls.__name__}(base_url='https://app.wisepops.com')"


FAILURES = [
    httpx.Response(401, json={"message": f"invalid key {API_KEY}"}),
    httpx.Response(500, text=f"<html>debug: Authorization: {API_KEY}</html>"),
    httpx.Response(200, text=f"not json {API_KEY}"),
    httpx.ConnectError("refused"),
    httpx.ReadTimeout("slow"),
]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("kind", KINDS)
def test_errors_expose_no_key(
    kind: str, failure: httpx.Response | Exception, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=[failure] * 3)
        with pytest.raises(wisepops.APIError) as caught:
            call(kind, lambda c: c.emails.list())
    error = caught.value
    assert API_KEY not in str(error)
    assert API_KEY not in repr(error)
    assert API_KEY not in "".join(
        traceback.format_exception(type(error), error, error.__traceback__)
    )
    exposed = []
    response = getattr(error, "response", None)
    if response is not None:
        exposed.append(response.request)
    if isinstance(error.__cause__, httpx.RequestError):
        exposed.append(error.__cause__.request)
    for request in exposed:
        assert API_KEY not in str(request.headers.raw)
        assert request.headers["Authorization"] == 'WISEPOPS-API key="[redacted]"'
    assert API_KEY not in caplog.text


def test_no_logger_at_debug_sees_the_key_over_real_http(caplog: pytest.LogCaptureFixture) -> None:
    """httpx and httpcore log at DEBUG too: nothing they log carries the key either."""
    from wisepops.testing import FakeWisepops

    fake = FakeWisepops(api_key=API_KEY)
    fake.collect(email="a@example.com")
    fake.fail_next(503)
    caplog.set_level(logging.DEBUG)
    with fake.serve() as url, wisepops.Client(API_KEY, base_url=url) as client:
        assert len(client.emails.list()) == 1
        with (
            wisepops.Client("a-wrong-key-123", base_url=url) as wrong,
            pytest.raises(wisepops.AuthenticationError) as caught,
        ):
            wrong.emails.list()
    loggers = {record.name for record in caplog.records}
    assert {"wisepops", "httpx"} <= loggers
    assert any(name.startswith("httpcore") for name in loggers)
    assert API_KEY not in caplog.text
    assert "a-wrong-key-123" not in caplog.text
    assert "a-wrong-key-123" not in str(caught.value)


def test_a_webhook_error_never_shows_the_key() -> None:
    body = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1}]'
    with pytest.raises(wisepops.SignatureVerificationError) as caught:
        wisepops.unwrap(body, "0" * 64, API_KEY)
    assert API_KEY not in str(caught.value)
    assert API_KEY not in repr(caught.value)


def pieces(text: str, secret: str = API_KEY, size: int = 8) -> list[str]:
    """The runs of ``size`` characters of ``secret`` that ``text`` shows."""
    return [
        secret[i : i + size] for i in range(len(secret) - size + 1) if secret[i : i + size] in text
    ]


def shown(error: BaseException) -> str:
    """All a person could read of ``error``: str, repr, and the traceback with its chain."""
    rendered = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    return f"{error}\n{error!r}\n{rendered}"


@pytest.mark.parametrize("at", range(150, 240, 3))
@pytest.mark.parametrize(
    "answer",
    [
        lambda text: httpx.Response(500, text=text),
        lambda text: httpx.Response(400, json={"message": text}),
        lambda text: httpx.Response(200, text=text),  # not JSON: a validation error
        lambda text: httpx.Response(200, json={"data": [{"email": text}]}),
    ],
    ids=["500 text", "400 json", "200 not json", "200 bad record"],
)
def test_a_server_echoing_the_key_at_the_excerpts_edge_shows_no_piece_of_it(
    at: int, answer: Any
) -> None:
    """The excerpt is cut at a length: the key must go before, not after, the cut."""
    echoed = "x" * at + API_KEY + " y" * 100
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(return_value=answer(echoed))
        with pytest.raises(wisepops.APIError) as caught:
            wisepops.Client(API_KEY, max_retries=0).emails.list()
    assert pieces(shown(caught.value)) == []


def test_a_request_specs_repr_shows_no_key() -> None:
    """A traceback rendered with its locals (rich, pytest -l) shows every RequestSpec."""
    client = wisepops.Client(API_KEY)
    spec = request_spec(client._config, list_emails(None, None, None))
    assert pieces(repr(spec)) == []
    assert "Authorization" in repr(spec)
