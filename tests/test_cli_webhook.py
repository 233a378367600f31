"""`wisepops webhook ...` take the key and never a --base-url: they do not call the API."""

from __future__ import annotations

import pytest

from wisepops._cli import main

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
