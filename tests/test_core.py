"""wisepops/_core.py: the shared request cycle, driven by hand without I/O, and its log as
both clients write it."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
import respx

from wisepops import _operations as ops
from wisepops._config import resolve_config
from wisepops._core import RequestSpec, Sleep, exchange

from .clients import KINDS, call
from .conftest import API_KEY, BASE_URL, fail_then_succeed

CONFIG = resolve_config(API_KEY, "https://app.wisepops.com", 30.0, 2)
REQUEST = httpx.Request("GET", "https://app.wisepops.com/api1/emails")


def test_a_success_is_one_request_and_the_parsed_value() -> None:
    steps = exchange(CONFIG, ops.list_emails(None, None, 1))
    spec = next(steps)
    assert isinstance(spec, RequestSpec)
    assert (spec.method, spec.url, dict(spec.params)) == (
        "GET",
        "https://app.wisepops.com/api1/emails?page=1",  # the query written once, up front
        {},
    )
    assert spec.content is None
    with pytest.raises(StopIteration) as done:
        steps.send(httpx.Response(200, json=[], request=REQUEST))
    assert done.value.value.items == ()


QUERIES = [
    ("/api2/x", {"a": "1 2", "b": "é/"}, "/api2/x?a=1+2&b=%C3%A9%2F", {}),
    ("/api2/x", {"n": 1, "on": True}, "/api2/x", {"n": 1, "on": True}),  # httpx encodes those
]


@pytest.mark.parametrize(("path", "params", "url", "left"), QUERIES)
def test_the_query_is_written_as_httpx_writes_it(
    path: str, params: dict[str, Any], url: str, left: dict[str, Any]
) -> None:
    spec = next(exchange(CONFIG, ops.raw_request("GET", path, params, None)))
    assert isinstance(spec, RequestSpec)
    assert (spec.url, dict(spec.params)) == (CONFIG.base_url + url, left)
    with httpx.Client() as http:
        ours = spec.build(http).url
        theirs = http.build_request("GET", CONFIG.base_url + path, params=params).url
    assert ours == theirs


def test_a_query_in_the_path_is_kept_beside_the_params() -> None:
    spec = next(exchange(CONFIG, ops.raw_request("GET", "/api2/x?v=1", {"a": "b"}, None)))
    assert isinstance(spec, RequestSpec)
    assert spec.url == "https://app.wisepops.com/api2/x?v=1&a=b"  # httpx would drop v=1


def test_a_retry_is_a_sleep_then_the_same_request() -> None:
    steps = exchange(CONFIG, ops.list_emails(None, None, 1), jitter=lambda: 0.0)
    first = next(steps)
    assert steps.send(httpx.Response(503, request=REQUEST)) == Sleep(0.5)
    assert steps.send(None) == first
    assert steps.send(httpx.Response(503, request=REQUEST)) == Sleep(1.0)
    assert steps.send(None) == first


def test_a_json_body_is_compact_utf8_with_its_content_type() -> None:
    spec = next(
        exchange(CONFIG, ops.create_hook(ops.API1_HOOKS, "https://é.example/h", "email", None))
    )
    assert isinstance(spec, RequestSpec)
    assert spec.headers["Content-Type"] == "application/json"
    assert spec.content == b'{"event":"email","target_url":"https://\\u00e9.example/h"}'


def test_the_driver_must_send_outcomes() -> None:
    steps = exchange(CONFIG, ops.list_emails(None, None, 1))
    next(steps)
    with pytest.raises(RuntimeError, match="outcome"):
        steps.send(None)


def test_each_attempt_is_logged_with_its_time_from_the_timer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="wisepops")
    ticks = iter([10.0, 10.25, 11.0, 11.0125])
    steps = exchange(CONFIG, ops.list_emails(None, None, 1), timer=lambda: next(ticks))
    next(steps)
    steps.send(httpx.ConnectError("refused", request=REQUEST))
    steps.send(None)
    with pytest.raises(StopIteration):
        steps.send(httpx.Response(200, json=[], request=REQUEST))
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG] == [
        "GET /api1/emails -> ConnectError in 250 ms (attempt 1 of 3)",
        "GET /api1/emails -> HTTP 200 in 12 ms (attempt 2 of 3)",
    ]


def test_the_log_leaves_out_a_query_written_into_the_path(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="wisepops")
    steps = exchange(CONFIG, ops.raw_request("GET", "/api2/x?email=jane@example.com", None, None))
    spec = next(steps)
    assert isinstance(spec, RequestSpec)
    assert spec.url.endswith("/api2/x?email=jane@example.com")  # sent as given
    with pytest.raises(StopIteration):
        steps.send(httpx.Response(200, request=REQUEST))
    assert caplog.records[0].getMessage().startswith("GET /api2/x -> HTTP 200 in ")
    assert "jane" not in caplog.text


# --- the log, through both clients -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_each_attempt_is_logged_at_debug_and_each_retry_at_info_without_the_key(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="wisepops")
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=fail_then_succeed(httpx.Response(503)))
        call(kind, lambda c: c.emails.list(collected_after="2024-01-01"))
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "wisepops"]
    assert [level for level, _ in logged] == [logging.DEBUG, logging.INFO, logging.DEBUG]
    assert re.fullmatch(r"GET /api1/emails -> HTTP 503 in \d+ ms \(attempt 1 of 3\)", logged[0][1])
    assert re.fullmatch(
        r"Retrying GET /api1/emails in 0\.\d\d s \(retry 1 of 2\) after HTTP 503", logged[1][1]
    )
    assert re.fullmatch(r"GET /api1/emails -> HTTP 200 in \d+ ms \(attempt 2 of 3\)", logged[2][1])
    assert "2024" not in caplog.text  # the query may hold personal data: never logged
    assert API_KEY not in caplog.text
