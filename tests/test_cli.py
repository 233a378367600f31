"""The wisepops command, through main(argv) and as a real subprocess, against the fake."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

import wisepops
from wisepops._cli import main
from wisepops._cli.export import Progress
from wisepops._loopback import LoopbackServer
from wisepops.testing import FakeWisepops

KEY = "cli-test-key-0123456789"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def fake() -> FakeWisepops:
    return FakeWisepops(api_key=KEY)


def fill(fake: FakeWisepops, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        fake.collect(
            email=f"u{n}@example.com",
            wisepop_id=1 + n % 2,
            fields={"City": "Paris", "Age": n} if n % 2 else {"Plan": "Pro"},
            collected_at=T0 + timedelta(seconds=n),
        )


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def resumable_export(output: Path, checkpoint: Path, *extra: str) -> list[str]:
    """An api1 export (100 a page) with a checkpoint."""
    return ["emails", "export", "--api", "v1", *extra, "--output", str(output),
            "--checkpoint", str(checkpoint)]  # fmt: skip


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return status, out, err


# --- export ------------------------------------------------------------------------------


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_export_jsonl_to_stdout(
    fake: FakeWisepops, served: str, capsysbinary: pytest.CaptureFixture[bytes], api: str
) -> None:
    fill(fake, 230)
    assert main(["emails", "export", "--api", api]) == 0
    out, err = capsysbinary.readouterr()
    records = [json.loads(line) for line in out.decode().splitlines()]
    assert [r["email"] for r in records] == [f"u{n}@example.com" for n in range(230)]
    assert set(records[0]) == {
        "collected_at",
        "wisepop_id",
        "email",
        "ip",
        "country_code",
        "form_session",
        "fields",
    }
    assert b"exported 230 new records to stdout" in err


def test_export_filters(fake: FakeWisepops, served: str, tmp_path: Path) -> None:
    fill(fake, 20)
    output = tmp_path / "out.jsonl"
    since = (T0 + timedelta(seconds=9)).isoformat()
    assert (
        main(["emails", "export", "--since", since, "--wisepop-id", "2", "--output", str(output)])
        == 0
    )
    assert [r["email"] for r in lines(output)] == [
        f"u{n}@example.com" for n in (11, 13, 15, 17, 19)
    ]


def test_export_csv_has_fixed_columns_then_one_per_field(
    fake: FakeWisepops, served: str, tmp_path: Path
) -> None:
    fill(fake, 3)
    fake.collect(email="x@example.com", fields={"ip": "from-a-form", "Tags": ["a", "b"]})
    output = tmp_path / "out.csv"
    assert main(["emails", "export", "--format", "csv", "--output", str(output)]) == 0
    rows = list(csv.reader(io.StringIO(output.read_text("utf-8"))))
    assert rows[0] == [
        "collected_at",
        "wisepop_id",
        "email",
        "ip",
        "country_code",
        "form_session",
        "Age",
        "City",
        "Plan",
        "Tags",
        "fields.ip",
    ]
    assert rows[1] == [
        "2024-01-01T00:00:00Z",
        "1",
        "u0@example.com",
        "127.0.0.1",
        "US",
        "",
        "",
        "",
        "Pro",
        "",
        "",
    ]
    assert rows[2][6:9] == ["1", "Paris", ""]
    assert rows[4][9:] == ['["a", "b"]', "from-a-form"]
    assert len(rows) == 5


def test_export_csv_to_stdout(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(fake, 2)
    status, out, _ = run_main(capsys, "emails", "export", "--format", "csv")
    assert status == 0
    assert out.splitlines()[0].startswith("collected_at,wisepop_id,email")
    assert len(out.splitlines()) == 3


def test_an_interrupted_export_resumes_with_nothing_lost_or_repeated(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(fake, 250)
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "export.checkpoint"
    argv = resumable_export(output, checkpoint)
    fake.fail_next(500, times=3, path="/api1/emails", after=1)  # page 2 fails for good
    status, _, err = run_main(capsys, *argv)
    assert status == 1
    assert "returned 500" in err
    assert len(lines(output)) == 100
    with output.open("ab") as file:  # a crash mid-page leaves records past the checkpoint
        file.write(b'{"half": "a line"')
    status, _, err = run_main(capsys, *argv)
    assert status == 0
    assert [r["email"] for r in lines(output)] == [f"u{n}@example.com" for n in range(250)]
    fill(fake, 5, start=250)  # run it again later: only what is new is appended
    status, _, err = run_main(capsys, *argv)
    assert status == 0
    assert "exported 5 new records" in err
    assert len(lines(output)) == 255


def test_resume_keeps_records_that_share_a_timestamp_across_the_break(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = T0 + timedelta(hours=1)
    for n in range(99):
        fake.collect(email=f"early{n}@example.com", collected_at=T0 + timedelta(seconds=n))
    for n in range(4):  # positions 99-102 share a millisecond, across the page break
        fake.collect(email=f"tie{n}@example.com", collected_at=same)
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    argv = resumable_export(output, checkpoint)
    fake.fail_next(503, times=3, after=1)
    assert run_main(capsys, *argv)[0] == 1
    assert run_main(capsys, *argv)[0] == 0
    emails = [r["email"] for r in lines(output)]
    assert len(emails) == 103
    assert len(set(emails)) == 103


def test_a_checkpoint_of_another_export_is_refused(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(fake, 3)
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    assert (
        run_main(
            capsys, "emails", "export", "--output", str(output), "--checkpoint", str(checkpoint)
        )[0]
        == 0
    )
    status, _, err = run_main(
        capsys,
        "emails",
        "export",
        "--api",
        "v1",
        "--output",
        str(output),
        "--checkpoint",
        str(checkpoint),
    )
    assert status == 1
    assert "belongs to another export" in err
    checkpoint.write_text("not json")
    status, _, err = run_main(
        capsys, "emails", "export", "--output", str(output), "--checkpoint", str(checkpoint)
    )
    assert (status, err.count("\n")) == (1, 1)
    assert "is not a checkpoint" in err


def test_csv_export_resumes_through_its_spool(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(fake, 150)
    output, checkpoint = tmp_path / "out.csv", tmp_path / "cp"
    argv = resumable_export(output, checkpoint, "--format", "csv")
    fake.fail_next(500, times=3, after=1)
    assert run_main(capsys, *argv)[0] == 1
    assert run_main(capsys, *argv)[0] == 0
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8"))))
    assert [row["email"] for row in rows] == [f"u{n}@example.com" for n in range(150)]


def test_checkpoint_needs_output(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_main(capsys, "emails", "export", "--checkpoint", str(tmp_path / "cp"))
    assert status == 2
    assert "--checkpoint needs --output" in err


def test_progress_shows_records_pages_and_rate(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress(enabled=True)
    progress.on_response(httpx.Response(200))
    progress.record()
    progress.finish()
    err = capsys.readouterr().err
    assert "1 records · 1 pages ·" in err
    assert "records/s" in err
    quiet = Progress(enabled=False)
    quiet.record()
    quiet.finish()
    assert capsys.readouterr().err == ""


# --- failures: one line, non-zero, never a traceback ---------------------------------------


def test_a_bad_key(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_main(capsys, "emails", "export", "--api-key", "wrong-key-123")
    assert status == 1
    assert err == (
        "wisepops: error: WisePops rejected the API key (401): "
        "check --api-key or $WISEPOPS_API_KEY\n"
    )


def test_no_key(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_main(capsys, "hooks", "delete", "1")
    assert (status, err) == (
        1,
        "wisepops: error: no API key: pass --api-key or set $WISEPOPS_API_KEY\n",
    )


def test_network_down(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    status, _, err = run_main(capsys, "hooks", "delete", "1", "--base-url", "http://127.0.0.1:9")
    assert status == 1
    assert err.startswith("wisepops: error: could not reach WisePops: DELETE /api2/hooks failed")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["emails"],
        ["emails", "export", "--format", "xml"],
        ["emails", "export", "--since", "soon"],
        ["hooks", "delete", "abc"],
        ["nonsense"],
    ],
)
def test_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert "error:" in err
    assert "--help" in err


def test_unwritable_output(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fill(fake, 1)
    status, _, err = run_main(
        capsys, "emails", "export", "--output", str(tmp_path / "missing" / "out.jsonl")
    )
    assert status == 1
    assert (
        err == f"wisepops: error: No such file or directory: {tmp_path / 'missing' / 'out.jsonl'}\n"
    )


def test_a_refused_hook_url(served: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run_main(capsys, "hooks", "create", "not-a-url")
    assert (status, err) == (
        2,
        "wisepops hooks create: error: target_url must be an absolute http(s) URL, "
        "got 'not-a-url' (see wisepops hooks create --help)\n",
    )


# --- hooks -------------------------------------------------------------------------------


def test_hooks_create_prints_the_id_and_delete_removes_it(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_main(
        capsys, "hooks", "create", "https://example.com/h", "--event", "phone", "--wisepop-id", "3"
    )
    assert status == 0
    (hook,) = fake.hooks
    assert out == f"{hook.id}\n"
    assert (hook.event, hook.wisepop_id) == ("phone", 3)
    assert run_main(capsys, "hooks", "delete", out.strip())[0] == 0
    assert fake.hooks == []


def test_hooks_on_api1(fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(capsys, "hooks", "create", "https://example.com/h", "--api", "v1")[0] == 0
    assert fake.requests[-1].url.path == "/api1/hooks"
    status, _, err = run_main(
        capsys, "hooks", "create", "https://example.com/h", "--api", "v1", "--event", "survey"
    )
    assert status == 2
    assert "event must be one of email on api1" in err


# --- webhook -----------------------------------------------------------------------------


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
        env={**os.environ, "WISEPOPS_API_KEY": KEY},
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
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_webhook_send_and_listen_as_subprocesses(tmp_path: Path) -> None:
    env = {**os.environ, "WISEPOPS_API_KEY": KEY}
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
    assert sample.stdout == "delivered: the receiver answered 200\n", sample.stderr
    assert from_file.returncode == 0, from_file.stderr
    assert listener.process.returncode == 0
    assert "jane@example.com" in out
    assert "pop-up 9  file@example.com" in out


def test_webhook_send_reports_a_refusal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from wisepops._cli.webhook import receiver
    from wisepops._loopback import LoopbackServer

    rejected: list[int] = []
    handler = receiver(
        "the-receivers-key", lambda contacts: None, lambda status, why: rejected.append(status)
    )
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    with LoopbackServer(handler) as server:
        status, _, err = run_main(capsys, "webhook", "send", server.url + "/hook")
    assert status == 1
    assert err.startswith("wisepops: error: the receiver answered 401")
    assert rejected == [401]


def test_the_listener_rejects_bad_deliveries() -> None:
    from wisepops._cli.webhook import receiver

    got: list[wisepops.Contact] = []
    rejected: list[tuple[int, str]] = []
    handle = receiver(KEY, got.extend, lambda status, why: rejected.append((status, why)))
    body = b'[{"wisepop_id": 1}]'
    unsigned = handle(httpx.Request("POST", "http://x/", content=body))
    malformed = handle(
        httpx.Request(
            "POST",
            "http://x/",
            content=body,
            headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)},
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
                headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)},
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
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    with answering(response) as server:
        status, out, err = run_main(capsys, "webhook", "send", server.url + "/wisepops/webhook")
    assert (status, out, err) == (1, "", f"wisepops: error: {line}\n")


# --- demo and the console script ------------------------------------------------------------


def test_demo_runs_offline_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "demo")
    assert status == 0
    assert "[9]" in out
    assert out.count("  200  ") == 3
    assert "the receiver answered 401" in out
    assert "Demo complete: every step worked." in out


def test_the_console_script_and_python_dash_m(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WISEPOPS_")}
    # Any use of the network, or of a proxy from the environment, would fail.
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = env["ALL_PROXY"] = "http://127.0.0.1:9"
    script = Path(sys.executable).with_name("wisepops")
    demo = subprocess.run(
        [str(script), "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert "Demo complete" in demo.stdout
    version = subprocess.run(
        [sys.executable, "-m", "wisepops", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout == f"wisepops {wisepops.__version__}\n"


def test_export_as_a_subprocess(fake: FakeWisepops, tmp_path: Path) -> None:
    fill(fake, 1234)
    output = tmp_path / "out.jsonl"
    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": url}
        done = subprocess.run(
            [sys.executable, "-m", "wisepops", "emails", "export", "--output", str(output)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert done.stderr == f"wisepops: exported 1234 new records to {output}\n"
    assert len(lines(output)) == 1234
    assert KEY not in done.stdout + done.stderr


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
    import threading

    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
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
    right = {wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)}
    signed = httpx.post(url, content=body, headers=right)
    listener.join(timeout=30)
    out, err = capsys.readouterr()
    assert (tampered.status_code, signed.status_code, statuses) == (401, 200, [0])
    assert "pop-up 4  l@example.com" in out
    assert "rejected (401)" in err


def test_hooks_and_signatures_as_subprocesses(fake: FakeWisepops) -> None:
    def wisepops_command(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "wisepops", *argv]
        return subprocess.run(command, input=stdin, env=env, capture_output=True, check=False)

    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": url}
        created = wisepops_command("hooks", "create", "https://example.com/h")
        assert created.returncode == 0, created.stderr
        assert fake.hooks[0].id == int(created.stdout)
        assert wisepops_command("hooks", "delete", created.stdout.decode().strip()).returncode == 0
        assert fake.hooks == []
    signature = wisepops_command("webhook", "sign", stdin=b"[]").stdout.decode().strip()
    assert signature == wisepops.sign(b"[]", KEY)
    assert (
        wisepops_command("webhook", "verify", "--signature", signature, stdin=b"[]").returncode == 0
    )
    refused = wisepops_command("webhook", "verify", "--signature", signature, stdin=b"[ ]")
    assert refused.returncode == 1
    assert refused.stderr.decode().splitlines() == [  # one line, whatever ends lines here
        "wisepops: error: the signature does not match the body and key"
    ]


def test_export_appended_to_a_file_with_shell_redirection_keeps_what_was_there(
    fake: FakeWisepops, tmp_path: Path
) -> None:
    fill(fake, 3)
    target = tmp_path / "leads.jsonl"
    target.write_bytes(b'{"earlier": "export"}\n')
    with fake.serve() as url, target.open("ab") as appended:  # wisepops emails export >> file
        env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": url}
        command = [sys.executable, "-m", "wisepops", "emails", "export"]
        done = subprocess.run(
            command, env=env, stdout=appended, stderr=subprocess.PIPE, check=False
        )
    assert done.returncode == 0, done.stderr
    assert lines(target)[0] == {"earlier": "export"}
    assert len(lines(target)) == 4


@pytest.mark.parametrize("damage", ["deleted", "shortened"])
def test_a_checkpoint_whose_output_was_lost_is_refused(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    fill(fake, 150)
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    argv = resumable_export(output, checkpoint)
    assert run_main(capsys, *argv)[0] == 0
    if damage == "deleted":
        output.unlink()
    else:
        output.write_bytes(output.read_bytes()[:100])
    status, _, err = run_main(capsys, *argv)
    assert status == 1
    assert err == (
        f"wisepops: error: {output} holds less than {checkpoint} says was written; "
        "delete the checkpoint to export everything again\n"
    )
    assert not output.exists() or output.stat().st_size == 100


def test_webhook_send_to_nowhere(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from .rawserver import refused_url

    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    url = refused_url() + "/hook"
    status, _, err = run_main(capsys, "webhook", "send", url)
    assert status == 1
    assert err.startswith(f"wisepops: error: could not deliver to {url}: ConnectError")
    assert err.count("\n") == 1


def test_a_relative_redirect_is_reported_as_a_full_url() -> None:
    from wisepops._cli.webhook import refusal

    sent = httpx.Request("POST", "http://127.0.0.1:8000/wisepops/webhook")
    response = httpx.Response(301, headers={"Location": "/wisepops/webhook/"}, request=sent)
    assert refusal(response).startswith(
        "the receiver answered 301 Moved Permanently, to http://127.0.0.1:8000/wisepops/webhook/ "
    )


def test_webhook_send_to_a_url_httpx_cannot_parse(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    status, _, err = run_main(capsys, "webhook", "send", "http://[::1")
    assert status == 1
    assert err.startswith("wisepops: error: could not deliver to http://[::1: InvalidURL: ")
    assert err.count("\n") == 1


def test_webhook_listen_on_a_port_in_use(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, _, err = run_main(capsys, "webhook", "listen", "--port", str(port))
    assert status == 1
    assert err == "wisepops: error: Address already in use\n"
