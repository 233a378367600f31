"""`wisepops emails export` against every server reading, and what it costs in quota."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import respx

from wisepops._cli import main
from wisepops.testing import FakeWisepops

from .test_keyset import SERVERS, playing

KEY = "cli-export-key-0123456789"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


@pytest.fixture(params=SERVERS)
def fake(request: pytest.FixtureRequest) -> FakeWisepops:
    server: str = request.param
    return playing(server, KEY)


def collect(fake: FakeWisepops, instants: list[int], prefix: str = "u") -> list[str]:
    emails = []
    for n, offset in enumerate(instants):
        emails.append(f"{prefix}{n}@example.com")
        fake.collect(email=emails[-1], collected_at=T0 + offset * MS)
    return emails


def exported(path: Path) -> list[str]:
    return [json.loads(line)["email"] for line in path.read_text("utf-8").splitlines()]


def listing_calls(fake: FakeWisepops) -> int:
    return sum(1 for r in fake.requests if r.url.path.startswith(("/api1/", "/api2/")))


def export(output: Path, checkpoint: Path, *extra: str) -> int:
    argv = ["emails", "export", *extra, "--output", str(output), "--checkpoint", str(checkpoint)]
    return main(argv)


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_an_export_with_ties_and_an_erasure_across_a_resume(
    fake: FakeWisepops, served: str, tmp_path: Path, api: str
) -> None:
    size = 100 if api == "v1" else 1000
    # Ties in one millisecond straddle the first page boundary.
    emails = collect(fake, [0] * (size - 2) + [1] * 5 + list(range(2, 2 + size)))
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    fake.fail_next(500, times=3, after=1)  # the second page fails for good
    assert export(output, checkpoint, "--api", api) == 1
    assert exported(output) == emails[:size]
    # Erased meanwhile: two records already exported, one not reached yet.
    for email in (emails[0], emails[size - 1], emails[size + 10]):
        fake.erase(email=email)
    assert export(output, checkpoint, "--api", api) == 0
    assert exported(output) == [e for e in emails if e != emails[size + 10]]


def test_a_2500_record_export_costs_3_calls_and_a_rerun_with_nothing_new_1(
    fake: FakeWisepops, served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emails = collect(fake, list(range(2500)))
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    assert export(output, checkpoint) == 0
    assert listing_calls(fake) == 3
    assert exported(output) == emails

    assert export(output, checkpoint) == 0
    assert listing_calls(fake) == 3 + 1
    assert "exported 0 new records" in capsys.readouterr().err

    # Later: a record in the last exported millisecond and two after it.
    fake.collect(email="tie@example.com", collected_at=T0 + 2499 * MS)
    late = collect(fake, [3000, 3001], prefix="late")
    assert export(output, checkpoint) == 0
    assert listing_calls(fake) == 3 + 1 + 1
    assert exported(output) == [*emails, "tie@example.com", *late]


def test_an_old_checkpoint_is_refused_in_one_line_that_says_what_to_do(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    output.write_text("")
    checkpoint.write_text(
        json.dumps(
            {
                "version": 1,
                "query": {},
                "written_bytes": 0,
                "records": 0,
                "cursor": None,
                "keys_at_cursor": [],
            }
        )
    )
    assert export(output, checkpoint) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "(format 1)" in err
    assert "delete it and the output file, then run the same command again" in err


RECORD = {
    "collected_at": "2024-01-01T00:00:00.389Z",
    "wisepop_id": 7,
    "ip": "203.0.113.7",
    "country_code": "FR",
    "fields": {"email": "zoë@example.fr", "City": "Paris"},
}


def test_each_line_is_written_as_before_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    output = tmp_path / "out.jsonl"
    with respx.mock(base_url="https://app.wisepops.com") as mock:
        mock.get("/api2/contacts").respond(json=[RECORD])
        assert main(["emails", "export", "--output", str(output)]) == 0
    assert (
        output.read_bytes()
        == (
            '{"collected_at": "2024-01-01T00:00:00.389Z", "wisepop_id": 7, '
            '"email": "zoë@example.fr", "ip": "203.0.113.7", "country_code": "FR", '
            '"form_session": null, "fields": {"email": "zoë@example.fr", "City": "Paris"}}\n'
        ).encode()
    )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_unexpected_values_never_abort_an_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    odd: list[dict[str, Any]] = [
        {**RECORD, "ip": ["203.0.113.7"], "score": {"nps": 9}},  # a wrong type, a new key
        {**RECORD, "fields": {"email": "\ud800@example.fr"}},  # a lone surrogate
        RECORD,
    ]
    output = tmp_path / f"out.{fmt}"
    with respx.mock(base_url="https://app.wisepops.com") as mock:
        mock.get("/api2/contacts").respond(
            content=json.dumps(odd).encode(), headers={"Content-Type": "application/json"}
        )
        assert main(["emails", "export", "--format", fmt, "--output", str(output)]) == 0
    text = output.read_text("utf-8")
    if fmt == "jsonl":
        first, second, third = (json.loads(line) for line in text.splitlines())
        assert (first["ip"], first["extra"]) == (None, {"ip": ["203.0.113.7"], "score": {"nps": 9}})
        assert second["email"] == "\ud800@example.fr"
        assert "extra" not in third
    else:
        header, first, second, _ = text.splitlines()
        assert header.endswith(",City,extra.ip,extra.score")
        assert first.endswith(',Paris,"[""203.0.113.7""]","{""nps"": 9}"')
        assert "\\ud800@example.fr" in second


@pytest.mark.parametrize("server", ["page ignored, >"])
def test_records_past_reach_are_said_in_one_warning_line(
    server: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = playing(server, KEY)
    emails = collect(fake, [0] * 150 + [1])  # 150 in one millisecond, 100 a page on api1
    output = tmp_path / "out.jsonl"
    with fake.serve() as url:
        monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        assert main(["emails", "export", "--api", "v1", "--output", str(output)]) == 0
    assert exported(output) == [*emails[:100], emails[-1]]
    warning, done = capsys.readouterr().err.splitlines()
    assert warning.startswith("wisepops: warning: a whole page of 100 records shares ")
    assert "cannot be fetched" in warning
    assert done == f"wisepops: exported 101 new records to {output}"


@pytest.mark.parametrize("server", ["page honoured, >"])
def test_the_csv_spool_kept_for_later_runs_is_private(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = playing(server, KEY)
    collect(fake, [0, 1])
    output, checkpoint = tmp_path / "out.csv", tmp_path / "cp"
    with fake.serve() as url:
        monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        assert export(output, checkpoint, "--format", "csv") == 0
    (spool,) = tmp_path.glob("*.spool.jsonl")
    assert spool.stat().st_mode & 0o077 == 0  # every record in it: the owner's only
    assert checkpoint.stat().st_mode & 0o077 == 0


def test_a_rate_limit_says_how_long_to_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    with respx.mock(base_url="https://app.wisepops.com") as mock:
        mock.get("/api2/contacts").respond(429, headers={"Retry-After": "3600"})
        assert main(["emails", "export", "--output", str(tmp_path / "o.jsonl")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.endswith("(WisePops asks to wait 3600 s)")
