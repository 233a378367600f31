"""wisepops/_cli/demo.py: ``wisepops demo`` runs the whole SDK end to end, offline."""

from __future__ import annotations

import pytest

from .cli import run_main


def test_demo_runs_offline_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_main(capsys, "demo")
    assert status == 0
    assert "[9]" in out
    assert out.count("  200  ") == 3
    assert "the receiver answered 401" in out
    assert "Demo complete: every step worked." in out
