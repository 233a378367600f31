"""wisepops/_logs.py: silent by default; WISEPOPS_LOG=debug|info sends requests and retries
to stderr.

The switch is read at ``import wisepops``, so each case runs a script in a subprocess:
one ``Client`` and one ``AsyncClient`` call, each answered 503 once, then 200.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Optional

import httpx
import pytest
import respx

from .clients import call
from .conftest import API_KEY, BASE_URL, fail_then_succeed

SCRIPT = f"""
import asyncio
from wisepops.testing import FakeWisepops

fake = FakeWisepops(api_key={API_KEY!r})
fake.collect(email="a@example.com")
fake.fail_next(503, retry_after=0)
with fake.client() as client:
    client.emails.list()

async def main():
    fake.fail_next(503, retry_after=0)
    async with fake.async_client() as client:
        await client.v2.contacts.list()

asyncio.run(main())
print("done")
"""


def run(level: Optional[str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISEPOPS_")}
    if level is not None:
        env["WISEPOPS_LOG"] = level
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout == "done\n"  # nothing goes to stdout
    return done.stderr


ATTEMPT = r"DEBUG wisepops: GET {path} -> HTTP {status} in \d+ ms \(attempt {n} of 3\)"
RETRY = r"INFO wisepops: Retrying GET {path} in 0\.00 s \(retry 1 of 2\) after HTTP 503"
STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "


@pytest.mark.parametrize("level", ["debug", "DEBUG"])
def test_debug_logs_each_request_and_retry_of_both_clients_to_stderr(level: str) -> None:
    lines = run(level).splitlines()
    expected = [
        ATTEMPT.format(path="/api1/emails", status=503, n=1),
        RETRY.format(path="/api1/emails"),
        ATTEMPT.format(path="/api1/emails", status=200, n=2),
        ATTEMPT.format(path="/api2/contacts", status=503, n=1),  # the AsyncClient
        RETRY.format(path="/api2/contacts"),
        ATTEMPT.format(path="/api2/contacts", status=200, n=2),
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(STAMP + pattern, line), line


def test_info_logs_only_the_retries() -> None:
    lines = run("info").splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(STAMP + RETRY.format(path="/api1/emails"), lines[0])
    assert re.fullmatch(STAMP + RETRY.format(path="/api2/contacts"), lines[1])


@pytest.mark.parametrize("level", [None, ""])
def test_silent_without_the_switch(level: Optional[str]) -> None:
    assert run(level) == ""


def test_a_value_it_does_not_know_is_said_once_and_ignored() -> None:
    (line, *source) = run("verbose").splitlines()  # Python shows the warning's source line
    assert line.endswith("RuntimeWarning: WISEPOPS_LOG='verbose' is not 'debug' or 'info': ignored")
    assert "wisepops:" not in "".join(source)  # and no log line


def test_the_key_is_never_in_the_log() -> None:
    log = run("debug")
    assert "wisepops:" in log
    assert API_KEY not in log
    assert API_KEY[:8] not in log


def test_the_library_is_silent_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").mock(side_effect=fail_then_succeed(httpx.Response(503)))
        call("sync", lambda c: c.emails.list())
    assert capsys.readouterr() == ("", "")
