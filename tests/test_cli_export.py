"""wisepops/_cli/export.py: ``wisepops emails export`` to JSONL or CSV, resumable from a
checkpoint, against every server reading, and what it costs in quota."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from wisepops._cli import main
from wisepops._cli._common import Progress
from wisepops._wire.records import Contact
from wisepops.testing import FakeWisepops

from .cli import fill, lines, run_main
from .conftest import API_KEY
from .servers import MS, SERVERS, T0, collect, playing

# conftest's ``fake`` playing each reading of the documentation in turn
every_server = pytest.mark.parametrize("fake", SERVERS, indirect=True)


def resumable_export(output: Path, checkpoint: Path, *extra: str) -> list[str]:
    """An api1 export (100 a page) with a checkpoint."""
    return ["emails", "export", "--api", "v1", *extra, "--output", str(output),
            "--checkpoint", str(checkpoint)]  # fmt: skip


def exported(path: Path) -> list[str]:
    return [str(record["email"]) for record in lines(path)]


def listing_calls(fake: FakeWisepops) -> int:
    return sum(1 for r in fake.requests if r.url.path.startswith(("/api1/", "/api2/")))


def export(output: Path, checkpoint: Path, *extra: str) -> int:
    argv = ["emails", "export", *extra, "--output", str(output), "--checkpoint", str(checkpoint)]
    return main(argv)


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
    status, _, err = run_main(capsys, *argv)
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8"))))
    assert [row["email"] for row in rows] == [f"u{n}@example.com" for n in range(150)]
    spool = tmp_path / "cp.spool.jsonl"  # every contact, on disk: the user is told
    assert err.endswith(
        f"wisepops: {spool} keeps every record for the next run; delete it with the checkpoint"
        " when done\n"
    )


def test_checkpoint_needs_output(
    served: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run_main(capsys, "emails", "export", "--checkpoint", str(tmp_path / "cp"))
    assert status == 2
    assert "--checkpoint needs --output" in err


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


# --- against every server reading --------------------------------------------------------


@pytest.mark.parametrize("api", ["v1", "v2"])
@every_server
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


@every_server
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


@every_server
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
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
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
    monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
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
    fake = playing(server, API_KEY)
    emails = collect(fake, [0] * 150 + [1])  # 150 in one millisecond, 100 a page on api1
    output = tmp_path / "out.jsonl"
    with fake.serve() as url:
        monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
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
    fake = playing(server, API_KEY)
    collect(fake, [0, 1])
    output, checkpoint = tmp_path / "out.csv", tmp_path / "cp"
    with fake.serve() as url:
        monkeypatch.setenv("WISEPOPS_API_KEY", API_KEY)
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        assert export(output, checkpoint, "--format", "csv") == 0
    (spool,) = tmp_path.glob("*.spool.jsonl")
    assert spool.stat().st_mode & 0o077 == 0  # every record in it: the owner's only
    assert checkpoint.stat().st_mode & 0o077 == 0


# --- as a subprocess ---------------------------------------------------------------------


def test_export_as_a_subprocess(fake: FakeWisepops, tmp_path: Path) -> None:
    fill(fake, 1234)
    output = tmp_path / "out.jsonl"
    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": API_KEY, "WISEPOPS_BASE_URL": url}
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
    assert API_KEY not in done.stdout + done.stderr


def test_export_appended_to_a_file_with_shell_redirection_keeps_what_was_there(
    fake: FakeWisepops, tmp_path: Path
) -> None:
    fill(fake, 3)
    target = tmp_path / "leads.jsonl"
    target.write_bytes(b'{"earlier": "export"}\n')
    with fake.serve() as url, target.open("ab") as appended:  # wisepops emails export >> file
        env = {**os.environ, "WISEPOPS_API_KEY": API_KEY, "WISEPOPS_BASE_URL": url}
        command = [sys.executable, "-m", "wisepops", "emails", "export"]
        done = subprocess.run(
            command, env=env, stdout=appended, stderr=subprocess.PIPE, check=False
        )
    assert done.returncode == 0, done.stderr
    assert lines(target)[0] == {"earlier": "export"}
    assert len(lines(target)) == 4


# --- interrupted -------------------------------------------------------------------------


def test_an_interrupt_while_a_record_is_written_loses_nothing(
    fake: FakeWisepops,
    served: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C after the walk handed out record 150 and before it reached the file: the
    rerun must still write it (the checkpoint is never ahead of the file)."""
    fill(fake, 300)
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    to_json, calls = Contact.to_json, []

    def interrupted(contact: Contact) -> str:
        calls.append(contact)
        if len(calls) == 150:
            raise KeyboardInterrupt
        return to_json(contact)

    monkeypatch.setattr(Contact, "to_json", interrupted)
    assert run_main(capsys, *resumable_export(output, checkpoint))[0] == 130
    monkeypatch.setattr(Contact, "to_json", to_json)
    assert run_main(capsys, *resumable_export(output, checkpoint))[0] == 0
    assert exported(output) == [f"u{n}@example.com" for n in range(300)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_eight_exports_interrupted_by_sigint_at_varied_points_lose_and_double_nothing(
    fake: FakeWisepops, tmp_path: Path, fmt: str
) -> None:
    """Real processes, Ctrl-C (SIGINT) once a little more of the file is written each time,
    then the same command again: every one of the 3,000 records once, in order."""
    fill(fake, 3000)
    expected = [f"u{n}@example.com" for n in range(3000)]
    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": API_KEY, "WISEPOPS_BASE_URL": url}
        for run in range(8):
            output, checkpoint = tmp_path / f"out{run}.{fmt}", tmp_path / f"cp{run}"
            argv = resumable_export(output, checkpoint, "--format", fmt)
            command = [sys.executable, "-m", "wisepops", *argv]
            spool = checkpoint.with_name(checkpoint.name + ".spool.jsonl")
            watched = output if fmt == "jsonl" else spool
            interrupted = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
            reach = 20_000 + run * 45_000  # bytes: from the first pages to the last ones
            while interrupted.poll() is None and (
                not watched.exists() or watched.stat().st_size < reach
            ):
                time.sleep(0.001)
            interrupted.send_signal(signal.SIGINT)
            _, err = interrupted.communicate(timeout=60)
            assert b"Traceback" not in err, err.decode()
            resumed = subprocess.run(
                command, env=env, capture_output=True, timeout=120, check=False
            )
            assert resumed.returncode == 0, resumed.stderr.decode()
            if fmt == "jsonl":
                assert exported(output) == expected, f"run {run}"
            else:
                with output.open(encoding="utf-8", newline="") as file:
                    emails = [row["email"] for row in csv.DictReader(file)]
                assert emails == expected, f"run {run}"


def test_a_checkpoint_of_deep_nesting_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, checkpoint = tmp_path / "out.jsonl", tmp_path / "cp"
    checkpoint.write_text("[" * 100_000)
    status, _, err = run_main(capsys, *resumable_export(output, checkpoint, "--api-key", "k" * 32))
    assert status == 1
    assert err == f"wisepops: error: {checkpoint} is not a checkpoint of this tool\n"


FORMULAS = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "\tindented", "\rreturn"]  # fmt: skip


def formula_bearing(fake: FakeWisepops) -> None:
    for n, text in enumerate(FORMULAS):
        fake.collect(
            email=f"f{n}@example.com",
            fields={"Name": text, "Age": -n},
            collected_at=T0 + timedelta(seconds=n),
        )


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_a_csv_export_holds_no_live_formula(
    fake: FakeWisepops, served: str, tmp_path: Path
) -> None:
    """OWASP's CSV injection: a cell a spreadsheet would run starts with a ' instead;
    numbers stay numbers."""
    formula_bearing(fake)
    output = tmp_path / "leads.csv"
    assert main(["emails", "export", "--format", "csv", "--output", str(output)]) == 0
    rows = csv_rows(output)
    assert [row["Name"] for row in rows] == [f"'{text}" for text in FORMULAS]
    assert [row["Age"] for row in rows] == [str(-n) for n in range(len(FORMULAS))]
    starts = tuple("=+-@\t\r")
    live = [cell for row in rows for cell in row.values() if cell.startswith(starts)]
    assert all(cell.lstrip("-").isdigit() for cell in live)  # only the negative ages


def test_raw_formulas_writes_cells_as_they_came(
    fake: FakeWisepops, served: str, tmp_path: Path
) -> None:
    formula_bearing(fake)
    output = tmp_path / "leads.csv"
    argv = ["emails", "export", "--format", "csv", "--raw-formulas", "--output", str(output)]
    assert main(argv) == 0
    assert [row["Name"] for row in csv_rows(output)] == FORMULAS


@pytest.mark.parametrize(
    ("name", "extra", "header"),
    [("leads.csv", [], True), ("leads.CSV", [], True), ("leads.csv", ["--format", "jsonl"], False),
     ("leads.jsonl", [], False), ("leads.txt", ["--format", "csv"], True)],
)  # fmt: skip
def test_the_format_follows_the_outputs_suffix_unless_given(  # noqa: PLR0917
    fake: FakeWisepops, served: str, tmp_path: Path, name: str, extra: list[str], header: bool
) -> None:
    fill(fake, 2)
    output = tmp_path / name
    assert main(["emails", "export", "--output", str(output), *extra]) == 0
    first = output.read_text("utf-8").splitlines()[0]
    assert first.startswith("collected_at,wisepop_id,email") is header
