"""wisepops/_cli/webhook.py: ``wisepops webhook sign|verify|send|listen``, through
``main()`` and as real processes."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

import wisepops
from wisepops._cli import main
from wisepops._cli.webhook import receiver, refusal
from wisepops._loopback import LoopbackServer

from .cli import run_main
from .conftest import API_KEY
from .rawserver import refused_url


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_webhook_sign_and_verify(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signature_vectors: list[dict[str, str]],
) -> None:
    vector = signature_vectors[0]
    monkeypatch.setenv("WISEPOPS_API_KEY", vector["api_key"])
    stdin(monkeypatch, vector["body"].encode())
    assert main(["webhook", "sign"]) == 0
    assert capsys.readouterr().out == vector["signature"] + "\n"
    stdin(monkeypatch, vector["body"].encode())
    assert main(["webhook", "verify", "--signature", vector["signature"]]) == 0
    stdin(monkeypatch, vector["body"].encode() + b" ")
    assert main(["webhook", "verify", "--signature", vector["signature"]]) == 1
    assert (
        capsys.readouterr().err
        == "wisepops: error: the signature does not match the body and key\n"
    )


class Listener(NamedTuple):
    process: subprocess.Popen[str]
    url: str


@contextlib.contextmanager
def listening(count: int) -> Iterator[Listener]:
    """``wisepops webhook listen`` on a port the system picks, once it is listening."""
    command = [sys.executable, "-m", "wisepops", "webhook", "listen", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--count", str(count)],
        env={**os.environ, "WISEPOPS_API_KEY": API_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        ready = process.stderr.readline()  # "listening on http://127.0.0.1:PORT/ (...)"
        assert ready.startswith("listening on http://127.0.0.1:"), ready
        yield Listener(process, ready.split()[2].rstrip("/"))
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_webhook_send_and_listen_as_subprocesses(tmp_path: Path) -> None:
    env = {**os.environ, "WISEPOPS_API_KEY": API_KEY}
    payload = tmp_path / "payload.json"
    record = {"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 9, "email": "file@example.com"}
    payload.write_text(json.dumps([record]))
    with listening(count=2) as listener:
        send = [sys.executable, "-m", "wisepops", "webhook", "send", listener.url + "/hook"]
        sample = subprocess.run(send, env=env, capture_output=True, text=True, check=False)
        from_file = subprocess.run(
            [*send, "--payload", str(payload)], env=env, capture_output=True, text=True, check=False
        )
        out, _ = listener.process.communicate(timeout=30)
    assert sample.stdout == 'delivered: the receiver answered 200: {"received":1}\n', sample.stderr
    assert from_file.returncode == 0, from_file.stderr
    assert listener.process.returncode == 0
    assert "jane@example.com" in out
    assert "pop-up 9  file@example.com" in out


def test_webhook_send_reports_a_refusal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rejected: list[int] = []
    handler = receiver(
        "the-receivers-key", lambda contacts: None, lambda status, why: rejected.append(status)
    )
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    with LoopbackServer(handler) as server:
        status, _, err = run_main(capsys, "webhook", "send", server.url + "/hook")
    assert status == 1
    assert err.startswith("wisepops: error: the receiver answered 401")
    assert rejected == [401]


def test_the_listener_rejects_bad_deliveries() -> None:
    got: list[wisepops.Contact] = []
    rejected: list[tuple[int, str]] = []
    handle = receiver(API_KEY, got.extend, lambda status, why: rejected.append((status, why)))
    body = b'[{"wisepop_id": 1}]'
    unsigned = handle(httpx.Request("POST", "http://x/", content=body))
    malformed = handle(
        httpx.Request(
            "POST",
            "http://x/",
            content=body,
            headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, API_KEY)},
        )
    )
    wrong_method = handle(httpx.Request("GET", "http://x/"))
    assert [unsigned.status_code, malformed.status_code, wrong_method.status_code] == [
        401,
        400,
        405,
    ]
    assert got == []
    assert [status for status, _ in rejected] == [401, 400]


def test_the_listener_answers_400_for_a_signed_body_it_cannot_read_and_keeps_serving() -> None:
    """A collection time that falls before year 1 in UTC once its offset is applied, and
    a control character and a lone surrogate to print: the first is refused with the
    reason, the second shown escaped; neither costs the sender its answer or the
    listener its life."""
    cannot_read = b'[{"collected_at": "0001-01-01T00:00:00+01:00", "wisepop_id": 1}]'
    odd = (
        b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 2, "email": "\\u001b",'
        b' "fields": {"x": "\\ud800"}}]'
    )
    good = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 3, "email": "ok@example.com"}]'
    with listening(count=2) as listener:
        answers = [
            httpx.post(
                listener.url,
                content=body,
                headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, API_KEY)},
            )
            for body in (cannot_read, odd, good)
        ]
        out, err = listener.process.communicate(timeout=30)
    assert [a.status_code for a in answers] == [400, 200, 200]
    assert answers[0].json()["error"]
    assert listener.process.returncode == 0
    assert 'pop-up 2  \\x1b  {"x": "\\ud800"}' in out
    assert "pop-up 3  ok@example.com" in out
    assert f"rejected (400): {answers[0].json()['error']}" in err
    assert "Traceback" not in err


def answering(response: httpx.Response) -> LoopbackServer:
    return LoopbackServer(lambda request: response)


@pytest.mark.parametrize(
    ("response", "line"),
    [
        (
            httpx.Response(
                404, html="<html>\n<head><title>404</title></head>\n<body>\n</body>\n</html>\n"
            ),
            "the receiver answered 404 Not Found",
        ),
        (
            httpx.Response(301, headers={"Location": "http://127.0.0.1/wisepops/webhook/"}),
            "the receiver answered 301 Moved Permanently, to http://127.0.0.1/wisepops/webhook/"
            " (a POST is not followed: point the hook at that URL)",
        ),
        (
            httpx.Response(400, json={"error": "record 0: 'collected_at' is missing\nreally"}),
            "the receiver answered 400 Bad Request: record 0: 'collected_at' is missing really",
        ),
        (
            httpx.Response(422, json={"detail": [{"msg": "field required"}]}),
            "the receiver answered 422 Unprocessable Entity",
        ),
    ],
    ids=["html-404", "redirect", "json-error", "other-json"],
)
def test_webhook_send_reports_any_failure_on_one_line(
    response: httpx.Response,
    line: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    with answering(response) as server:
        status, out, err = run_main(capsys, "webhook", "send", server.url + "/wisepops/webhook")
    assert (status, out, err) == (1, "", f"wisepops: error: {line}\n")


@pytest.mark.skipif(sys.platform == "win32", reason="Popen.send_signal(SIGINT) is POSIX only")
def test_the_listener_stops_on_ctrl_c() -> None:
    with listening(count=5) as listener:
        listener.process.send_signal(signal.SIGINT)
        _, err = listener.process.communicate(timeout=30)
    assert listener.process.returncode == 130
    assert err == "wisepops: interrupted\n"


def test_listen_through_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    port = free_port()
    statuses: list[int] = []
    listener = threading.Thread(
        target=lambda: statuses.append(
            main(["webhook", "listen", "--port", str(port), "--count", "1"])
        )
    )
    listener.start()
    url = f"http://127.0.0.1:{port}/"
    body = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 4, "email": "l@example.com"}]'
    wrong = {wisepops.SIGNATURE_HEADER: "0" * 64}
    deadline = time.monotonic() + 30
    while True:  # until the listener accepts connections
        try:
            tampered = httpx.post(url, content=body, headers=wrong)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    right = {wisepops.SIGNATURE_HEADER: wisepops.sign(body, API_KEY)}
    signed = httpx.post(url, content=body, headers=right)
    listener.join(timeout=30)
    out, err = capsys.readouterr()
    assert (tampered.status_code, signed.status_code, statuses) == (401, 200, [0])
    assert "pop-up 4  l@example.com" in out
    assert "rejected (401)" in err


def test_webhook_send_to_nowhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    url = refused_url() + "/hook"
    status, _, err = run_main(capsys, "webhook", "send", url)
    assert status == 1
    assert err.startswith(f"wisepops: error: could not deliver to {url}: ConnectError")
    assert err.count("\n") == 1


def test_a_relative_redirect_is_reported_as_a_full_url() -> None:
    sent = httpx.Request("POST", "http://127.0.0.1:8000/wisepops/webhook")
    response = httpx.Response(301, headers={"Location": "/wisepops/webhook/"}, request=sent)
    assert refusal(response).startswith(
        "the receiver answered 301 Moved Permanently, to http://127.0.0.1:8000/wisepops/webhook/ "
    )


def test_webhook_send_to_a_url_httpx_cannot_parse(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    status, _, err = run_main(capsys, "webhook", "send", "http://[::1")
    assert status == 1
    assert err.startswith("wisepops: error: could not deliver to http://[::1: InvalidURL: ")
    assert err.count("\n") == 1


def test_webhook_listen_on_a_port_in_use(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, _, err = run_main(capsys, "webhook", "listen", "--port", str(port))
    assert status == 1
    assert err == "wisepops: error: Address already in use\n"


# --- `wisepops webhook ...` take the key and never a --base-url: they do no

ACTIONS = ["sign", "verify", "send", "listen"]
REQUIRED = {"verify": ["--signature", "0" * 64], "send": ["http://127.0.0.1:9/hook"]}


@pytest.mark.parametrize("action", ACTIONS)
def test_help_offers_the_key_and_no_base_url(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["webhook", action, "--help"])
    out = capsys.readouterr().out
    assert exited.value.code == 0
    assert "--api-key" in out
    assert "--base-url" not in out


@pytest.mark.parametrize("action", ACTIONS)
def test_a_base_url_is_refused_like_any_unknown_argument(
    action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["webhook", action, *REQUIRED.get(action, []), "--base-url", "http://127.0.0.1:9"])
    assert exited.value.code == 2
    assert "error: unrecognized arguments: --base-url http://127.0.0.1:9" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "65536"], "argument --port: must be from 0 to 65,535, got 65536"),
        (["--count", "0"], "argument --count: must be 1 or more, got 0"),
    ],
)
def test_listen_refuses_what_it_cannot_use(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["webhook", "listen", *argv])
    assert exited.value.code == 2
    assert capsys.readouterr().err == (
        f"wisepops webhook listen: error: {message} (see wisepops webhook listen --help)\n"
    )
