"""The example receivers as real processes on loopback, started the way the README says.

Each server runs in a session of its own and is killed with its whole process group
when the test ends, passed or failed; readiness is polled, never slept for.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

import wisepops
from wisepops._websites import NO_KEY

from .receivers import EXAMPLES, KEY, TABLES, URL, rows

ROOT = EXAMPLES.parent
READY_WITHIN = 30.0  # seconds; a cold CI machine imports Django slowly

# gunicorn, and process groups to kill a server with its workers, are POSIX only.
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX servers and signals")


class Server(NamedTuple):
    name: str  # the framework, for its table
    argv: list[str]  # {port} is replaced by a free port


SERVERS = {
    "flask-script": Server("flask", [sys.executable, "examples/flask_receiver.py"]),
    "flask-gunicorn": Server(
        "flask", [sys.executable, "-m", "gunicorn", "-b", "127.0.0.1:{port}",
                  "examples.flask_receiver:app"]
    ),
    "django-runserver": Server(
        "django", [sys.executable, "examples/django_receiver.py", "runserver",
                   "127.0.0.1:{port}"]
    ),
    "django-gunicorn": Server(
        "django", [sys.executable, "-m", "gunicorn", "-b", "127.0.0.1:{port}",
                   "examples.django_receiver:application"]
    ),
    "fastapi-uvicorn": Server(
        "fastapi", [sys.executable, "-m", "uvicorn", "--port", "{port}",
                    "examples.fastapi_receiver:app"]
    ),
}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WISEPOPS_")}
    env.update(
        {
            "WISEPOPS_DB": str(tmp_path / "leads.sqlite3"),
            "XDG_RUNTIME_DIR": str(tmp_path),  # where recent gunicorns put a control socket
            "PYTHONUNBUFFERED": "1",
            **extra,  # which may name WISEPOPS_DB
        }
    )
    return env


def serving_at(port: int, process: subprocess.Popen[bytes], argv: list[str], log: Path) -> str:
    """The webhook's URL on ``port``, once the process started there answers HTTP."""
    url = f"http://127.0.0.1:{port}{URL}"
    deadline = time.monotonic() + READY_WITHIN
    while True:
        try:
            httpx.get(url, timeout=5)  # any answer will do: 405
            return url
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{argv} did not serve:\n{log.read_text()}")
            time.sleep(0.05)


@contextlib.contextmanager
def started(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` from the repository's root; on the way out, stop it and its children."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=output, stderr=output, start_new_session=True
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        with contextlib.suppress(ProcessLookupError):  # workers that outlived their master
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(
    server: Server, tmp_path: Path, log_name: str = "server.log", **env: str
) -> Iterator[str]:
    """The server, once it answers HTTP; yields the webhook's URL. ``env`` adds to or
    overrides its environment (``WISEPOPS_DB``, say)."""
    port = free_port()
    argv = [arg.format(port=port) for arg in server.argv]
    log = tmp_path / log_name
    env = environment(tmp_path, **{"WISEPOPS_API_KEY": KEY, "PORT": str(port), **env})
    with started(argv, env, log) as process:
        yield serving_at(port, process, argv, log)


def migrate(tmp_path: Path) -> None:
    """``python examples/django_receiver.py migrate``, as the README says to run first."""
    done = subprocess.run(
        [sys.executable, "examples/django_receiver.py", "migrate"],
        cwd=ROOT,
        env=environment(tmp_path, WISEPOPS_API_KEY=KEY),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def deliver(url: str, body: bytes, **headers: str) -> httpx.Response:
    signature = wisepops.sign(body, KEY)
    return httpx.post(
        url, content=body, headers={wisepops.SIGNATURE_HEADER: signature, **headers}, timeout=30
    )


def two_mib_chunked() -> Iterator[bytes]:
    for _ in range(32):
        yield b" " * 65536


HOSTILE = [  # signed values no parser can read
    '{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 9223372036854775808}',
    '{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "fields": {"a": NaN}}',
    '{"collected_at": "0001-01-01T00:00:00+01:00", "wisepop_id": 1}',
]

# A text no database can hold as sent: every receiver keeps it in extra, as LeadStore does.
UNSTORABLE = '{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "\\ud800@x.com"}'
UNSTORABLE_ANSWER = {"django": 200, "flask": 200, "fastapi": 200}


@pytest.mark.parametrize("server", SERVERS.values(), ids=SERVERS.keys())
def test_a_receiver_keeps_what_it_acknowledged_across_a_restart(
    server: Server, tmp_path: Path, signature_vectors: list[dict[str, str]]
) -> None:
    """Two deliveries and a redelivery make three rows, committed before each 200 and
    still there for the next process; oversized and hostile bodies are 4xx, and only a
    failing database is a 5xx, with its reason in the server's log."""
    vectors = {v["name"]: v["body"].encode() for v in signature_vectors}
    one, two = vectors["api2-fields-shape"], vectors["seed-example-api1"]
    if server.name == "django":
        migrate(tmp_path)
    with serving(server, tmp_path) as url:
        assert deliver(url, one).json() == {"received": 1, "new": 1}
        assert deliver(url, two).json() == {"received": 2, "new": 2}
        assert deliver(url, one).json() == {"received": 1, "new": 0}
        committed = rows(tmp_path / "leads.sqlite3", TABLES[server.name])
        chunked = httpx.post(url, content=two_mib_chunked(), timeout=30)
        declared = deliver(url, b" " * (2 * 1024 * 1024))
        hostile = [deliver(url, f"[{record}]".encode()) for record in HOSTILE]
    assert [row["email"] for row in committed] == [
        "marie@example.fr",
        "jane@example.com",
        "john@example.com",
    ]
    assert chunked.status_code == (411 if server.name == "django" else 413)
    assert declared.status_code == 413
    assert [(r.status_code, bool(r.json()["error"])) for r in hostile] == [(400, True)] * 3

    with serving(server, tmp_path) as url:  # a restart
        assert deliver(url, two).json() == {"received": 2, "new": 0}
        assert rows(tmp_path / "leads.sqlite3", TABLES[server.name]) == committed
        unstorable = deliver(url, f"[{UNSTORABLE}]".encode())
        assert unstorable.status_code == UNSTORABLE_ANSWER[server.name]
        with closing(sqlite3.connect(tmp_path / "leads.sqlite3")) as db:
            db.execute(f"ALTER TABLE {TABLES[server.name]} RENAME TO gone")
        outage = deliver(url, one)
    log = (tmp_path / "server.log").read_text()
    assert outage.status_code == 500  # the receiver's fault, and WisePops retries
    assert f"no such table: {TABLES[server.name]}" in log  # and the operator sees why
    assert KEY not in log


@pytest.mark.parametrize("server", SERVERS.values(), ids=SERVERS.keys())
def test_a_receiver_without_a_key_refuses_to_start(server: Server, tmp_path: Path) -> None:
    """Rather than start and answer 500 to every delivery; gunicorn stops too, instead
    of booting worker after worker."""
    argv = [arg.format(port=free_port()) for arg in server.argv]
    log = tmp_path / "server.log"
    with started(argv, environment(tmp_path), log) as process:
        status = process.wait(timeout=READY_WITHIN)
    output = log.read_text()
    assert status != 0
    message = NO_KEY
    if "gunicorn" in argv:
        assert output.count(message) == 1, output
    else:
        assert output == message + "\n"


def test_the_fastapi_example_also_runs_as_a_script(
    tmp_path: Path, signature_vectors: list[dict[str, str]]
) -> None:
    (body,) = [v["body"].encode() for v in signature_vectors if v["name"] == "api2-fields-shape"]
    script = Server("fastapi", [sys.executable, "examples/fastapi_receiver.py"])
    with serving(script, tmp_path) as url:
        assert deliver(url, body).json() == {"received": 1, "new": 1}
    stored = rows(tmp_path / "leads.sqlite3", TABLES["fastapi"])
    assert json.loads(stored[0]["fields"])["Prénom"] == "Marie"
