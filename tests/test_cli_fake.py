"""`wisepops fake` as a real process: what it prints, what it serves, how it stops."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import NamedTuple

import pytest

import wisepops

pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="Popen.send_signal(SIGINT) is POSIX only"
)

# Written here, not read from the package: the sample data must agree with the world.
COUNTRY_OF_CITY = {
    "New York": "US", "Paris": "FR", "Osaka": "JP", "Berlin": "DE", "London": "GB",
    "Madrid": "ES", "São Paulo": "BR", "Toronto": "CA", "Sydney": "AU", "Milan": "IT",
}  # fmt: skip


class Fake(NamedTuple):
    process: subprocess.Popen[str]
    exports: list[str]
    env: dict[str, str]


def clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("WISEPOPS_")}


@contextlib.contextmanager
def running(*argv: str) -> Iterator[Fake]:
    """``wisepops fake ARGV`` in the foreground of its own process, once it has printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "wisepops", "fake", *argv],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        exports = [process.stdout.readline(), process.stdout.readline()]
        env = clean_env()
        for line in exports:
            name, _, value = line.removeprefix("export ").rstrip("\n").partition("=")
            env[name] = value
        yield Fake(process, exports, env)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def stop(fake: Fake) -> tuple[int, str, str]:
    """Ctrl-C, as a terminal sends it; the exit status and the rest of the output."""
    fake.process.send_signal(signal.SIGINT)
    out, err = fake.process.communicate(timeout=30)
    return fake.process.returncode, out, err


def wisepops_command(fake: Fake, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wisepops", *argv],
        env=fake.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_it_prints_two_lines_to_paste_serves_the_commands_and_stops_on_ctrl_c() -> None:
    with running("--port", "0", "--contacts", "25") as fake:
        url, key = fake.env["WISEPOPS_BASE_URL"], fake.env["WISEPOPS_API_KEY"]
        assert fake.exports == [
            f"export WISEPOPS_BASE_URL={url}\n",
            f"export WISEPOPS_API_KEY={key}\n",
        ]
        assert url.startswith("http://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) > 0  # --port 0 picked a free port

        export = wisepops_command(fake, "emails", "export")
        hooks = wisepops_command(fake, "hooks", "list")
        popups = wisepops_command(fake, "popups")
        status, out, err = stop(fake)

    assert (export.returncode, export.stderr) == (
        0,
        "wisepops: exported 25 new records to stdout\n",
    )
    contacts = [json.loads(line) for line in export.stdout.splitlines()]
    assert len({contact["country_code"] for contact in contacts}) > 5
    for contact in contacts:
        assert contact["country_code"] == COUNTRY_OF_CITY[contact["fields"]["City"]], contact
    assert any(contact["email"] is None for contact in contacts)  # phone sign-ups too

    assert hooks.returncode == 0
    assert hooks.stdout.splitlines()[0] == "ID  EVENT  POP-UP  URL"
    assert len(hooks.stdout.splitlines()) == 3
    assert popups.returncode == 0
    assert len(popups.stdout.splitlines()) == 4

    assert status == 0  # Ctrl-C is how one stops it: not a failure
    assert out == ""  # nothing but the two lines on stdout
    assert "Traceback" not in err
    assert err.endswith("wisepops: the fake stopped\n")


def test_the_readme_request_examples_and_new_hooks_reach_it() -> None:
    with running("--port", "0") as fake:
        env = fake.env
        with wisepops.Client(env["WISEPOPS_API_KEY"], base_url=env["WISEPOPS_BASE_URL"]) as client:
            hooks = client.request("GET", "/api2/hooks").json()
            popups = client.request("GET", "/api1/wisepops").json()
            hook = client.v2.hooks.ensure("https://example.com/new-hook", event="survey")
            again = client.v2.hooks.ensure("https://example.com/new-hook", event="survey")
        listed = wisepops_command(fake, "hooks", "list", "--json")
        assert stop(fake)[0] == 0
    assert [hook["event"] for hook in hooks] == ["email", "phone"]
    assert {popup["id"] for popup in popups} == {12345, 12346, 12347}
    assert set(popups[0]) == {"id", "label"}
    assert hook == again
    assert [h["id"] for h in json.loads(listed.stdout)] == [1, 2, hook.id]


def test_zero_contacts() -> None:
    with running("--port", "0", "--contacts", "0") as fake:
        export = wisepops_command(fake, "emails", "export")
        assert stop(fake)[0] == 0
    assert (export.returncode, export.stdout) == (0, "")


def test_a_port_in_use_is_one_line_and_status_1() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "wisepops", "fake", "--port", str(port)],
            env=clean_env(),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"wisepops: error: port {port} is in use (by another 'wisepops fake'?): "
        "pass --port 0 to pick a free one\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--port", "70000"], "argument --port: must be from 0 to 65,535, got 70000"),
        (["--contacts", "-1"], "argument --contacts: must be from 0 to 100,000, got -1"),
        (["--contacts", "many"], "argument --contacts: not an integer: 'many'"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "wisepops", "fake", *argv],
        env=clean_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"wisepops fake: error: {message} (see wisepops fake --help)\n"
