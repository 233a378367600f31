"""The Django example as its users run it, on SQLite and on PostgreSQL: ``migrate``,
runserver and gunicorn, ``wisepops_sync``, all real processes, sharing their tables with
``wisepops sync`` and ``LeadStore``.

The API is a :class:`FakeWisepops` served on loopback; every server runs in a session of
its own and is killed with its workers when the test ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import django
import httpx
import pytest
import sqlalchemy as sa

import wisepops
from wisepops._loopback import LoopbackServer
from wisepops.db import LeadStore
from wisepops.testing import FakeWisepops

from .databases import Cluster
from .receivers import KEY, load_django_receiver
from .test_cli_sync import Gate
from .test_receiver_processes import READY_WITHIN, ROOT, free_port, serving_at, started

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX servers and signals")

RECEIVER = "examples/django_receiver.py"
SERVERS = {  # as the README starts them
    "runserver": [sys.executable, RECEIVER, "runserver", "127.0.0.1:{port}"],
    "gunicorn": [
        sys.executable, "-m", "gunicorn", "-w", "4", "-b", "127.0.0.1:{port}",
        "examples.django_receiver:application",
    ],
}  # fmt: skip
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
SUMMARY = re.compile(r"([\d,]+) new of ([\d,]+) seen in ([\d,]+) calls?; (.*)\n")


@pytest.fixture
def wisepops_db(database_url: str) -> str:
    """``WISEPOPS_DB`` as a user sets it: a file path for SQLite, a URL for PostgreSQL."""
    return database_url.removeprefix("sqlite:///")


def environment(tmp_path: Path, database: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WISEPOPS_", "DJANGO_"))}
    env.update(
        WISEPOPS_API_KEY=KEY,
        WISEPOPS_DB=database,
        XDG_RUNTIME_DIR=str(tmp_path),  # where recent gunicorns put a control socket: one each
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(
    tmp_path: Path, database: str, *args: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    """``python examples/django_receiver.py ARGS``, from the repository's root."""
    return subprocess.run(
        [sys.executable, RECEIVER, *args],
        cwd=ROOT,
        env=environment(tmp_path, database, **extra),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def migrate(tmp_path: Path, database: str) -> None:
    done = manage(tmp_path, database, "migrate")
    assert done.returncode == 0, done.stderr


def sync(tmp_path: Path, database: str, api_url: str, *args: str) -> tuple[int, int, int, str]:
    """``wisepops_sync ARGS``: its summary, ``(new, seen, calls, the rest)``."""
    done = manage(tmp_path, database, "wisepops_sync", *args, WISEPOPS_BASE_URL=api_url)
    assert done.returncode == 0, done.stderr
    return summary(done.stdout)


def summary(out: str) -> tuple[int, int, int, str]:
    found = SUMMARY.fullmatch(out)
    assert found, out
    new, seen, calls = (int(n.replace(",", "")) for n in found.groups()[:3])
    return new, seen, calls, found.group(4)


@contextlib.contextmanager
def serving(server: str, tmp_path: Path, database: str) -> Iterator[str]:
    """The receiver, once it answers HTTP; yields the webhook's URL."""
    port = free_port()
    argv = [arg.format(port=port) for arg in SERVERS[server]]
    log = tmp_path / "server.log"
    with started(argv, environment(tmp_path, database), log) as process:
        yield serving_at(port, process, argv, log)


def post(http: httpx.Client, url: str, body: bytes) -> httpx.Response:
    return http.post(
        url, content=body, headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)}
    )


def listings(fake: FakeWisepops) -> int:
    return sum(1 for r in fake.requests if r.url.path in ("/api1/emails", "/api2/contacts"))


def table(database_url: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """The rows of wisepops_leads as the database holds them, by dedupe_key: on SQLite the
    stored text, on PostgreSQL what psycopg reads."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = f"SELECT {columns} FROM wisepops_leads ORDER BY dedupe_key"  # noqa: S608
            return [tuple(row) for row in connection.exec_driver_sql(query)]
    finally:
        engine.dispose()


@pytest.fixture
def fake() -> FakeWisepops:
    return FakeWisepops(KEY)


@pytest.mark.parametrize("server", SERVERS)
def test_concurrent_deliveries_and_syncs_store_each_lead_once_and_never_answer_500(
    server: str, fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """6 senders, 80 bodies, a third of them delivered twice and a quarter overlapping
    another, while ``wisepops_sync`` pulls the same leads page by page: no 5xx, no lock
    error, every lead stored once, and the counts of new ones add up exactly."""
    with fake.client() as client:
        client.hooks.create("http://receiver.invalid/wisepops/webhook")
    contacts = [fake.collect(email=f"user{n}@example.com") for n in range(160)]
    records = [json.loads(d.body)[0] for d in fake.deliveries]
    bodies = []
    for i in range(80):
        group = [records[2 * i], records[2 * i + 1]]
        if i % 4 == 0:
            group.append(records[(2 * i + 37) % 160])
        bodies.append(json.dumps(group).encode())
    sends = bodies + bodies[::3]
    random.Random(20).shuffle(sends)  # noqa: S311 - an order, not a secret
    migrate(tmp_path, wisepops_db)

    def slowly(request: httpx.Request) -> httpx.Response:
        time.sleep(0.3)  # each page comes while deliveries are being stored
        return fake.handle(request)

    with LoopbackServer(slowly) as api, serving(server, tmp_path, wisepops_db) as url:
        syncing = subprocess.Popen(  # v1, 100 a page: two transactions among the deliveries
            [sys.executable, RECEIVER, "wisepops_sync", "--api", "v1"],
            cwd=ROOT,
            env=environment(tmp_path, wisepops_db, WISEPOPS_BASE_URL=api.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with httpx.Client(timeout=60) as http, ThreadPoolExecutor(6) as senders:
            answers = list(senders.map(lambda body: post(http, url, body), sends))
        out, err = syncing.communicate(timeout=120)
    log = (tmp_path / "server.log").read_text()
    assert Counter(a.status_code for a in answers) == {200: len(sends)}, log
    assert "database is locked" not in log
    assert "Traceback" not in log
    assert syncing.returncode == 0, err
    assert sum(a.json()["new"] for a in answers) + summary(out)[0] == 160
    keys = [row[0] for row in table(database_url, "dedupe_key")]
    assert keys == sorted(c.dedupe_key for c in contacts)


def test_wisepops_sync_run_twice_costs_one_more_call(
    fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """And it shares its cursor with ``wisepops sync``: either goes on from the other."""
    for n in range(2500):  # three records in each millisecond: ties at every page boundary
        fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(milliseconds=n // 3))
    migrate(tmp_path, wisepops_db)
    with fake.serve() as api_url:
        first = sync(tmp_path, wisepops_db, api_url)
        assert first == (2500, 2500, 3, "the next run starts after 2024-01-01T00:00:00.833Z")
        assert listings(fake) == 3
        assert sync(tmp_path, wisepops_db, api_url)[:3] == (0, 0, 1)
        assert listings(fake) == 4

        fake.collect(email="late@example.com", wisepop_id=2)
        assert sync(tmp_path, wisepops_db, api_url)[:3] == (1, 1, 1)
        cli = subprocess.run(
            [sys.executable, "-m", "wisepops", "sync"],
            env=environment(tmp_path, wisepops_db, WISEPOPS_BASE_URL=api_url),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert cli.stdout.startswith("0 new of 0 seen in 1 call;"), cli.stdout
        # Another api and filter walks from its own start: the lead is there already.
        assert sync(tmp_path, wisepops_db, api_url, "--api", "v1", "--wisepop-id", "2")[:3] == (
            0,
            1,
            1,
        )
        since = T0 + timedelta(milliseconds=800)
        later = sum(1 for c in fake.contacts if c.collected_at > since)
        assert sync(tmp_path, wisepops_db, api_url, "--since", since.isoformat())[:3] == (
            0,
            later,
            1,
        )
    assert Counter(row[0] for row in table(database_url, "source")) == {"api2": 2501}


def test_a_delivery_and_a_sync_of_the_same_lead_leave_one_row(
    fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """Whichever comes first: the Django receiver, ``LeadStore.sync``, ``LeadStore.add``,
    the ``wisepops_sync`` command."""
    migrate(tmp_path, wisepops_db)
    store = LeadStore(database_url)
    store.create()  # finds Django's tables, and checks them: the layout LeadStore writes
    with serving("runserver", tmp_path, wisepops_db) as url, fake.client() as client:
        client.hooks.create(url)
        first = fake.collect(email="first@example.com")
        assert [r.text for r in fake.deliver()] == ['{"received": 1, "new": 1}']
        synced = store.sync(client)
        assert (synced.new, synced.seen) == (0, 1)

        second = fake.collect(email="second@example.com")
        assert store.add([second]) == 1
        assert [r.text for r in fake.deliver()] == ['{"received": 1, "new": 0}']
        with fake.serve() as api_url:
            assert sync(tmp_path, wisepops_db, api_url)[:3] == (0, 1, 1)
    store.engine.dispose()
    assert table(database_url, "dedupe_key, source") == sorted(
        [(first.dedupe_key, "webhook"), (second.dedupe_key, "webhook")]
    )


@pytest.fixture
def twin_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Another empty database of the same kind as ``database_url``."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'twin.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.new_database()


# Two records, as JSON text: an instant with an offset, and one with milliseconds, a
# number beyond a double's precision, a lone surrogate, NULs (the email among the fields:
# api2's shape), a value of an unexpected type and a key the SDK does not know.
ODD_RECORDS = rb"""[
 {"collected_at": "2024-05-01T10:00:00+02:00", "wisepop_id": 1, "email": "a@x.com"},
 {"collected_at": "2024-05-01T08:00:00.250Z", "wisepop_id": 9007199254740993,
  "ip": "203.0.113.7", "country_code": 42, "form_session": "\ud800",
  "fields": {"email": "b\u0000@x.com", "Pr\u00e9nom": "Zo\u00eb", "note": "\u0000"},
  "new_key": {"nested": [1, 2.5, null]}}
]"""


def test_a_lead_is_the_same_row_whoever_stores_it(
    wisepops_db: str, database_url: str, twin_url: str, tmp_path: Path
) -> None:
    """The Django receiver into one database, ``LeadStore.add`` into another: the same
    value in every column but ``stored_at``. On SQLite, the same text: UTC, six digits of
    microseconds (so that one instant is one text, as SQL compares it); on PostgreSQL a
    ``timestamptz``. A text no database can hold is kept in ``extra``; JSON as sent,
    ``\u0000`` included."""
    migrate(tmp_path, wisepops_db)
    with serving("runserver", tmp_path, wisepops_db) as url, httpx.Client() as http:
        answer = post(http, url, ODD_RECORDS)
    assert answer.json() == {"received": 2, "new": 2}
    twin = LeadStore(twin_url)
    twin.create()
    twin.add(wisepops.parse_payload(ODD_RECORDS))
    twin.engine.dispose()
    columns = "dedupe_key, collected_at, wisepop_id, email, ip, country_code, form_session"
    if database_url.startswith("postgresql"):
        columns += ", fields::text, extra::text, pg_typeof(collected_at)::text, source"
    else:
        columns += ", fields, extra, typeof(collected_at), source"
    django_rows = table(database_url, columns)
    assert django_rows == table(twin_url, columns)
    whole, fraction = sorted(django_rows, key=lambda row: int(row[2]))
    if database_url.startswith("postgresql"):
        assert (whole[1], whole[-2]) == (
            datetime(2024, 5, 1, 8, tzinfo=timezone.utc),
            "timestamp with time zone",
        )
    else:
        assert (whole[1], fraction[1]) == (
            "2024-05-01 08:00:00.000000",
            "2024-05-01 08:00:00.250000",
        )
    assert fraction[2:7] == (9007199254740993, None, "203.0.113.7", None, None)
    assert json.loads(fraction[7]) == {"email": "b\x00@x.com", "Prénom": "Zoë", "note": "\x00"}
    assert json.loads(fraction[8]) == {
        "email": "b\x00@x.com",
        "country_code": 42,
        "form_session": "\ud800",
        "new_key": {"nested": [1, 2.5, None]},
    }
    assert whole[-1] == fraction[-1] == "webhook"


@pytest.mark.parametrize(
    "argv",
    [
        [sys.executable, RECEIVER, "runserver", "127.0.0.1:{port}"],
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-b",
            "127.0.0.1:{port}",
            "examples.django_receiver:application",
        ],
        [sys.executable, RECEIVER, "wisepops_sync"],
    ],
    ids=["runserver", "gunicorn", "wisepops_sync"],
)
def test_without_its_tables_it_refuses_to_start_and_says_to_migrate(
    argv: list[str], wisepops_db: str, tmp_path: Path
) -> None:
    """Rather than answer every delivery with a 500 (``no such table``); gunicorn stops
    too, instead of booting worker after worker."""
    argv = [arg.format(port=free_port()) for arg in argv]
    log = tmp_path / "server.log"
    with started(argv, environment(tmp_path, wisepops_db), log) as process:
        status = process.wait(timeout=READY_WITHIN)
    output = log.read_text()
    assert status != 0
    message = (
        "lacks the app's tables wisepops_leads, wisepops_sync, wisepops_runs, "
        "wisepops_erasure, wisepops_suppressed: "
        "run `python examples/django_receiver.py migrate` first"
    )
    assert output.count(message) == 1, output
    assert "Traceback" not in output
    assert KEY not in output


def test_tables_wisepops_sync_made_are_adopted_by_migrate(
    fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """For a database ``wisepops sync`` filled before Django came: ``migrate`` as it is,
    no ``--fake-initial``, and the sync goes on from the CLI's cursor."""
    fake.collect(email="synced@example.com")
    with fake.serve() as api_url:
        subprocess.run(
            [sys.executable, "-m", "wisepops", "sync", "--db", database_url],
            env=environment(tmp_path, wisepops_db, WISEPOPS_BASE_URL=api_url),
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
            check=True,
        )
        adopted = manage(tmp_path, wisepops_db, "migrate")
        assert "Applying wisepops.0001_initial... OK" in adopted.stdout, adopted.stderr
        fake.collect(email="later@example.com")
        assert sync(tmp_path, wisepops_db, api_url)[:3] == (1, 1, 1)  # the same cursor
    with serving("runserver", tmp_path, wisepops_db) as url, httpx.Client() as http:
        body = json.dumps([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1}]).encode()
        assert post(http, url, body).json() == {"received": 1, "new": 1}
    assert len(table(database_url, "dedupe_key")) == 3


def test_wisepops_db_is_a_path_or_a_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    module, _ = load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    sqlite = module.database("leads.sqlite3")
    assert (sqlite["ENGINE"], sqlite["NAME"]) == ("django.db.backends.sqlite3", "leads.sqlite3")
    assert sqlite["OPTIONS"]["timeout"] == 30
    if django.VERSION >= (5, 1):
        assert sqlite["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert module.database("sqlite:///leads.sqlite3")["NAME"] == "leads.sqlite3"
    assert module.database("sqlite:////var/lib/leads.sqlite3")["NAME"] == "/var/lib/leads.sqlite3"
    assert module.database("postgresql://app:p%40ss@db.example:5433/leads?sslmode=require") == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "leads",
        "USER": "app",
        "PASSWORD": "p@ss",
        "HOST": "db.example",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
    }
    for url in ("postgres://app@db/leads", "postgresql+psycopg://app@db/leads"):
        postgres = module.database(url)
        assert (postgres["NAME"], postgres["HOST"], postgres["PORT"]) == ("leads", "db", "")
    for url in ("mysql://app:s3cret@db/leads", "postgresql://app:s3cret@db:port/leads"):
        with pytest.raises(ValueError, match="WISEPOPS_DB") as refused:
            module.database(url)
        assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize(
    ("database", "says"),
    [
        (
            "mysql://app:s3cret@db/leads",
            "WISEPOPS_DB is a SQLite file path or a sqlite:/// or postgresql:// URL, "
            "not a mysql:// URL",
        ),
        (
            "postgresql://app:s3cret@127.0.0.1:1/leads",
            "cannot use the database 'default': connection failed",
        ),
    ],
    ids=["another-database", "unreachable"],
)
def test_a_database_it_cannot_use_stops_it_in_one_line(
    database: str, says: str, tmp_path: Path
) -> None:
    done = manage(tmp_path, database, "runserver", f"127.0.0.1:{free_port()}")
    assert done.returncode == 3
    assert says in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    assert "s3cret" not in done.stderr


def test_a_sync_the_api_refuses_stops_in_one_line(fake: FakeWisepops, tmp_path: Path) -> None:
    """What was stored before is kept, and the next run goes on from there; the key is
    never printed."""
    database = str(tmp_path / "leads.sqlite3")
    migrate(tmp_path, database)
    for n in range(150):
        fake.collect(email=f"user{n}@example.com")
    fake.fail_next(400, after=1)  # the second page: not retried
    with fake.serve() as api_url:
        done = manage(tmp_path, database, "wisepops_sync", "--api", "v1", WISEPOPS_BASE_URL=api_url)
        assert done.returncode == 1
        assert done.stderr.startswith("CommandError: GET /api1/emails returned 400")
        assert done.stderr.endswith(
            "; stopped after 100 new of 100 seen, which are stored: the next run goes on "
            "from there\n"
        )
        assert done.stderr.count("\n") == 1, done.stderr
        assert KEY not in done.stderr
        assert sync(tmp_path, database, api_url, "--api", "v1")[:3] == (50, 50, 1)


def test_what_it_answers_on_either_database(
    wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """A value the database cannot hold is a 400 with the reason, on PostgreSQL as on
    SQLite; a text it cannot hold as sent is kept in extra (200)."""
    hostile = [  # beyond 64 bits; a NaN in a JSON column
        b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 9223372036854775808}]',
        b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "fields": {"a": NaN}}]',
    ]
    unstorable = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "ip": "\\ud800"}]'
    migrate(tmp_path, wisepops_db)
    with serving("runserver", tmp_path, wisepops_db) as url, httpx.Client() as http:
        refused = [post(http, url, body) for body in hostile]
        kept = post(http, url, unstorable)
    assert [(r.status_code, bool(r.json()["error"])) for r in refused] == [(400, True)] * 2
    assert kept.json() == {"received": 1, "new": 1}
    assert table(database_url, "ip") == [(None,)]
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_wisepops_sync_killed_mid_run_goes_on_from_the_last_page_it_committed(
    fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """Each page and the cursor past it are one transaction: a run killed while it waits
    for its third page has stored two, and the next run stores the rest, each once."""
    for n in range(450):
        fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(milliseconds=n // 3))
    migrate(tmp_path, wisepops_db)
    gate = Gate()

    def handle(request: httpx.Request) -> httpx.Response:
        gate.passing(request)
        return fake.handle(request)

    with LoopbackServer(handle) as server:
        gate.hold(3)
        env = environment(tmp_path, wisepops_db, WISEPOPS_BASE_URL=server.url)
        argv = [sys.executable, RECEIVER, "wisepops_sync", "--api", "v1"]
        with subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) as process:
            assert gate.arrived.wait(60)
            process.send_signal(signal.SIGKILL)
        stored = len(table(database_url, "dedupe_key"))
        assert 190 < stored < 200  # two pages (less the records a page repeats at its tie)
        new, seen, calls, _ = sync(tmp_path, wisepops_db, server.url, "--api", "v1")
    assert (new, seen) == (450 - stored, 450 - stored)
    assert calls == 3
    assert len(table(database_url, "dedupe_key")) == 450


def test_a_database_it_cannot_write_stops_it_in_one_line(postgres: Cluster, tmp_path: Path) -> None:
    """Its tables are there, but every transaction is read-only (a replica, a role without
    INSERT): it says so at start rather than answer every delivery 500."""
    database = postgres.new_database()
    migrate(tmp_path, database)
    read_only = f"{database}?options=-c%20default_transaction_read_only%3Don"
    done = manage(tmp_path, read_only, "runserver", f"127.0.0.1:{free_port()}")
    assert done.returncode == 3
    assert "cannot write to the database 'default': " in done.stderr
    assert "read-only transaction" in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr


def test_wisepops_status_reports_what_wisepops_status_does_and_fails_as_it_does(
    fake: FakeWisepops, wisepops_db: str, database_url: str, tmp_path: Path
) -> None:
    """The same JSON as the command line's from the tables migrate made, the runs
    wisepops_sync recorded; exit 1 for a refused key, 2 for a bad argument."""
    contacts = [fake.collect(email=f"user{n}@example.com") for n in range(30)]
    unmade = manage(tmp_path, wisepops_db, "wisepops_status")
    assert unmade.returncode == 1
    assert unmade.stderr == (
        "CommandError: the database lacks the app's tables wisepops_leads, wisepops_sync, "
        "wisepops_runs, wisepops_erasure, wisepops_suppressed: run `manage.py migrate` first\n"
    )
    migrate(tmp_path, wisepops_db)
    with LeadStore(database_url) as store:  # two deliveries, the later one of older leads
        store.add(contacts[20:22])
        store.add(contacts[5:7])
    with fake.serve() as api_url:
        assert sync(tmp_path, wisepops_db, api_url)[:3] == (26, 30, 1)
        django_status = manage(tmp_path, wisepops_db, "wisepops_status", "--json")
        assert (django_status.returncode, django_status.stderr) == (0, "")
        cli = subprocess.run(
            [sys.executable, "-m", "wisepops", "status", "--json"],
            env=environment(tmp_path, wisepops_db),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert (cli.returncode, cli.stdout) == (0, django_status.stdout)
        (found,) = json.loads(django_status.stdout)
        assert (found["website"], found["leads"], found["by_source"]) == (
            "default",
            30,
            {"webhook": 4, "api1": 0, "api2": 26},
        )
        assert found["missed_by_webhooks"] == 8  # 22 to 29
        assert found["last_sync"]["new"] == 26

        refused = manage(
            tmp_path,
            wisepops_db,
            "wisepops_sync",
            WISEPOPS_BASE_URL=api_url,
            WISEPOPS_API_KEY="x" * 32,
        )
        assert refused.returncode == 1
    failing = manage(tmp_path, wisepops_db, "wisepops_status", WISEPOPS_API_KEY="x" * 32)
    assert failing.returncode == 1
    assert "default: FAILING: the last sync failed: AuthenticationError: HTTP 401" in (
        failing.stdout.splitlines()
    )
    bad = manage(tmp_path, wisepops_db, "wisepops_status", "--max-age", "2x")
    assert bad.returncode == 2
    assert "argument --max-age: not an age such as 90s, 30m, 2h or 1d: '2x'" in bad.stderr
