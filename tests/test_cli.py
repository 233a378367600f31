"""wisepops/_cli/__init__.py and _common.py: ``main()``, ``python -m wisepops`` and the
console script. Every failure is one line on stderr and a non-zero status, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import respx

import wisepops
from wisepops._cli import main
from wisepops.testing import FakeWisepops

from .cli import fill, run_main
from .conftest import API_KEY

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
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
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


def test_a_rate_limit_says_how_long_to_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
    with respx.mock(base_url="https://app.wisepops.com") as mock:
        mock.get("/api2/contacts").respond(429, headers={"Retry-After": "3600"})
        assert main(["emails", "export", "--output", str(tmp_path / "o.jsonl")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("(WisePops asks to wait 3600 s)")


# --- the console script and python -m ----------------------------------------------------


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


def test_hooks_and_signatures_as_subprocesses(fake: FakeWisepops) -> None:
    def wisepops_command(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "wisepops", *argv]
        return subprocess.run(command, input=stdin, env=env, capture_output=True, check=False)

    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": API_KEY, "WISEPOPS_BASE_URL": url}
        created = wisepops_command("hooks", "create", "https://example.com/h")
        assert created.returncode == 0, created.stderr
        assert fake.hooks[0].id == int(created.stdout)
        assert wisepops_command("hooks", "delete", created.stdout.decode().strip()).returncode == 0
        assert fake.hooks == []
    signature = wisepops_command("webhook", "sign", stdin=b"[]").stdout.decode().strip()
    assert signature == wisepops.sign(b"[]", API_KEY)
    assert (
        wisepops_command("webhook", "verify", "--signature", signature, stdin=b"[]").returncode == 0
    )
    refused = wisepops_command("webhook", "verify", "--signature", signature, stdin=b"[ ]")
    assert refused.returncode == 1
    assert refused.stderr.decode().splitlines() == [  # one line, whatever ends lines here
        "wisepops: error: the signature does not match the body and key"
    ]
