"""wisepops/_cli/hooks.py: ``wisepops hooks create|delete``, on api2 and on api1."""

from __future__ import annotations

import pytest

from wisepops.testing import FakeWisepops

from .cli import run_main


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
    assert status == 1
    assert "event must be one of email on api1" in err
