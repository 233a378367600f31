"""``wisepops emails export``: every record to JSONL or CSV, resumable, in constant memory.

``--checkpoint`` saves, after every page, the bytes written and the walk's position; a
rerun cuts the output back to that length and walks on. CSV needs every field's name
for its header, so it is written from a JSONL spool once the listing is exhausted.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Optional

import attrs
import httpx

from .._client import Client
from .._operations import API1_PAGE_SIZE, API2_MAX_PAGE_SIZE
from .._pagination import Cursor, Walk
from .._wire.encode import holds_surrogates
from .._wire.records import Contact
from .._wire.schema import schema_of
from .._wire.times import format_datetime, parse_datetime
from ._common import CommandError, Progress, UsageError, client, iso_datetime, positive_int

CSV_COLUMNS = schema_of(Contact).columns
CHECKPOINT_VERSION = 2


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    emails = commands.add_parser("emails", help="collected emails and contacts")
    actions = emails.add_subparsers(title="actions", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        parents=[common],
        help="stream every record to JSONL or CSV",
        description="Stream every matching record, oldest first, in constant memory.",
    )
    export.add_argument(
        "--api",
        choices=["v1", "v2"],
        default="v2",
        help="v2 (default) reads /api2/contacts 1,000 a page; v1 reads /api1/emails 100 a page",
    )
    export.add_argument(
        "--since",
        type=iso_datetime,
        metavar="ISO",
        help="only records collected after this ISO 8601 time",
    )
    export.add_argument(
        "--wisepop-id", type=positive_int, metavar="N", help="only records from this pop-up"
    )
    export.add_argument(
        "--format",
        choices=["jsonl", "csv"],
        help="JSON lines, or CSV with a column per form field (default: csv for an --output "
        "ending .csv, else jsonl)",
    )
    export.add_argument(
        "--raw-formulas",
        action="store_true",
        help="CSV: write a text that starts with = + - @ tab or CR as it came; by default "
        "it starts with ' so that a spreadsheet shows it rather than runs it",
    )
    export.add_argument(
        "--output", type=Path, metavar="FILE", help="the file to write (default: stdout)"
    )
    export.add_argument(
        "--checkpoint",
        type=Path,
        metavar="FILE",
        help="a file that saves progress, so that running the same command again resumes "
        "an interrupted export (needs --output)",
    )
    export.set_defaults(run=run)


@attrs.define
class Checkpoint:
    """How far an export got; saved atomically after every page."""

    query: dict[str, Any]
    written_bytes: int = 0
    cursor: Cursor = attrs.Factory(Cursor)

    @classmethod
    def load(cls, path: Path, query: dict[str, Any]) -> Checkpoint:
        if not path.exists():
            return cls(query=query)
        try:
            saved = json.loads(path.read_text("utf-8"))
            version = saved["version"]
            if version == CHECKPOINT_VERSION:
                cursor = saved["cursor"]
                checkpoint = cls(
                    query=saved["query"],
                    written_bytes=int(saved["written_bytes"]),
                    cursor=Cursor(
                        None if cursor is None else parse_datetime(cursor),
                        {str(k): int(n) for k, n in saved["seen"].items()},
                    ),
                )
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise CommandError(f"{path} is not a checkpoint of this tool") from None
        if version != CHECKPOINT_VERSION:
            raise CommandError(
                f"{path} was saved by another version of wisepops (format {version!r}); "
                "delete it and the output file, then run the same command again"
            )
        if checkpoint.query != query:
            raise CommandError(
                f"{path} belongs to another export ({_described(checkpoint.query)}); "
                "use another --checkpoint file or delete it"
            )
        return checkpoint

    def save(self, path: Path) -> None:
        cursor = self.cursor.collected_at
        state = {
            "version": CHECKPOINT_VERSION,
            "query": self.query,
            "written_bytes": self.written_bytes,
            "cursor": None if cursor is None else format_datetime(cursor),
            "seen": dict(self.cursor.seen),
        }
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(state, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)


def run(args: argparse.Namespace) -> int:
    if args.checkpoint is not None and args.output is None:
        raise UsageError("--checkpoint needs --output: a resumed export appends to a file")
    if args.format is None:
        csv_named = args.output is not None and args.output.suffix.lower() == ".csv"
        args.format = "csv" if csv_named else "jsonl"
    query = {
        "api": args.api,
        "since": None if args.since is None else format_datetime(args.since),
        "wisepop_id": args.wisepop_id,
        "format": args.format,
        "output": None if args.output is None else str(args.output.resolve()),
    }
    checkpoint = Checkpoint(query=query)
    if args.checkpoint is not None:
        checkpoint = Checkpoint.load(args.checkpoint, query)
        _check_resumable(checkpoint, _resumed_file(args), args.checkpoint)
    progress = Progress(enabled=sys.stderr.isatty())
    http = httpx.Client(event_hooks={"response": [progress.on_response]})
    try:
        api = client(args, http_client=http)
        with _jsonl_target(args) as (jsonl, spool):
            written = export(api, args, checkpoint, jsonl, progress)
            if spool is not None:
                _write_csv(spool, args.output, raw_formulas=args.raw_formulas)
    finally:
        http.close()
        progress.finish()
    target = args.output or "stdout"
    records = "record" if written == 1 else "records"
    print(f"wisepops: exported {written} new {records} to {target}", file=sys.stderr)
    if args.format == "csv" and args.checkpoint is not None:
        print(
            f"wisepops: {_resumed_file(args)} keeps every record for the next run; "
            "delete it with the checkpoint when done",
            file=sys.stderr,
        )
    return 0


@contextlib.contextmanager
def _jsonl_target(args: argparse.Namespace) -> Iterator[tuple[IO[bytes], Optional[Path]]]:
    """Where JSONL goes: the output itself, or for CSV a spool beside the checkpoint.

    Without a checkpoint a file is written afresh; with one it is opened as it is, for
    :func:`export` to cut back to the last saved point. Standard output is only ever
    appended to, so ``>> file`` keeps what the file held.
    """
    resumable = args.checkpoint is not None
    if args.format == "jsonl":
        if args.output is None:
            yield sys.stdout.buffer, None
            return
        with _open_output(args.output, resumable) as file:
            yield file, None
        return
    if resumable:
        spool = _resumed_file(args)
        with _open_output(spool, resumable, private=True) as file:
            yield file, spool
        return
    with tempfile.TemporaryDirectory(prefix="wisepops-export-") as directory:
        spool = Path(directory) / "spool.jsonl"
        with _open_output(spool, resumable, private=True) as file:
            yield file, spool


def _resumed_file(args: argparse.Namespace) -> Path:
    """The JSONL file a checkpoint counts bytes in: the output, or the CSV's spool."""
    if args.format == "jsonl":
        output: Path = args.output
        return output
    checkpoint: Path = args.checkpoint
    return checkpoint.with_name(checkpoint.name + ".spool.jsonl")


def _check_resumable(checkpoint: Checkpoint, path: Path, checkpoint_path: Path) -> None:
    """Refuse to resume into a file that lost what the checkpoint says it holds."""
    size = path.stat().st_size if path.exists() else 0
    if size < checkpoint.written_bytes:
        raise CommandError(
            f"{path} holds less than {checkpoint_path} says was written; "
            "delete the checkpoint to export everything again"
        )


def _described(query: dict[str, Any]) -> str:
    return ", ".join(f"{name} {value}" for name, value in query.items() if value is not None)


def _open_output(path: Path, resumable: bool, private: bool = False) -> IO[bytes]:
    """A file to write: kept as it is when a checkpoint may still need it, else emptied.

    ``private``: readable by its owner only, like the checkpoint (a CSV's spool, which
    stays beside the checkpoint for later runs and holds every record).
    """
    flags = os.O_RDWR | os.O_CREAT | (0 if resumable else os.O_TRUNC)
    return os.fdopen(os.open(path, flags, 0o600 if private else 0o666), "r+b")


def export(
    client: Client,
    args: argparse.Namespace,
    checkpoint: Checkpoint,
    out: IO[bytes],
    progress: Progress,
) -> int:
    """Write every record not yet written; return how many were written this run."""
    resumable = args.checkpoint is not None
    if resumable:  # drop what was written after the last saved point
        out.seek(checkpoint.written_bytes)
        out.truncate()
    walk: Walk
    if args.api == "v2":
        page_size = API2_MAX_PAGE_SIZE
        walk = client.v2.contacts.iter(
            args.since, args.wisepop_id, page_size=page_size, cursor=checkpoint.cursor
        )
    else:
        page_size = API1_PAGE_SIZE
        walk = client.emails.iter(args.since, args.wisepop_id, cursor=checkpoint.cursor)
    written = 0
    try:
        for contact in walk:
            out.write((contact.to_json() + "\n").encode("utf-8"))
            written += 1
            progress.record()
            if resumable and written % page_size == 0:
                _save(out, checkpoint, walk, args.checkpoint)
    finally:
        out.flush()
    # Only here and above, where the file holds every record the walk handed out: an error
    # or a Ctrl-C can stop the loop between the two, and a rerun starts from the last save.
    if resumable:
        _save(out, checkpoint, walk, args.checkpoint)
    return written


def _save(out: IO[bytes], checkpoint: Checkpoint, walk: Walk, path: Path) -> None:
    """Save how far the export got: the walk's cursor is past the last record written."""
    out.flush()
    os.fsync(out.fileno())
    checkpoint.written_bytes, checkpoint.cursor = out.tell(), walk.cursor
    checkpoint.save(path)


def _write_csv(spool: Path, output: Optional[Path], raw_formulas: bool) -> None:
    """Turn the JSONL spool into CSV: fixed columns, then one per form field."""
    names: set[str] = set()
    extras: set[str] = set()
    with spool.open("rb") as file:
        for line in file:
            record = json.loads(line)
            names.update(record["fields"])
            extras.update(record.get("extra", ()))
    names.discard("email")  # api2 repeats the email in fields: it has its own column
    fields, extra = sorted(names), sorted(extras)
    header = list(CSV_COLUMNS) + [f"fields.{n}" if n in CSV_COLUMNS else n for n in fields]
    header += [f"extra.{name}" for name in extra]
    with contextlib.ExitStack() as stack:
        if output is None:
            text: IO[str] = sys.stdout
        else:
            text = stack.enter_context(output.open("w", encoding="utf-8", newline=""))
        writer = csv.writer(text)
        writer.writerow(header)
        with spool.open("rb") as file:
            for line in file:
                record = json.loads(line)
                row = [record[name] for name in CSV_COLUMNS]
                row += [record["fields"].get(name) for name in fields]
                row += [record.get("extra", {}).get(name) for name in extra]
                writer.writerow([_cell(value, raw_formulas) for value in row])


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet run a cell as a formula (OWASP, "CSV injection")."""


def _cell(value: Any, raw_formulas: bool) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):  # a number or a list, as JSON: no formula, -1 aside
        return json.dumps(value, ensure_ascii=False)
    text = value
    if holds_surrogates(text):  # not writable as UTF-8: escape it
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    if not raw_formulas and text.startswith(FORMULA_STARTS):
        return "'" + text  # shown as text, as OWASP advises
    return text
