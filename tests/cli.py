"""What the command line's tests share: running ``main()``, and records to export."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from wisepops._cli import main
from wisepops.testing import FakeWisepops

from .conftest import API_KEY
from .servers import T0


def fill(fake: FakeWisepops, count: int, start: int = 0) -> None:
    """``count`` records a second apart from T0, on pop-ups 1 and 2 in turn, with fields."""
    for n in range(start, start + count):
        fake.collect(
            email=f"u{n}@example.com",
            wisepop_id=1 + n % 2,
            fields={"City": "Paris", "Age": n} if n % 2 else {"Plan": "Pro"},
            collected_at=T0 + timedelta(seconds=n),
        )


def lines(path: Path) -> list[dict[str, object]]:
    """The records of a JSONL export."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``main(argv)``: its status, stdout and stderr, which must not hold the key."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert API_KEY not in out + err
    return status, out, err
