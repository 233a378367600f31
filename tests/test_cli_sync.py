"""``wisepops sync`` as a real process against the fake on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Optional

import httpx
import pytest
import sqlalchemy as sa

from wisepops._cli._common import Progress
from wisepops._loopback import Disconnect, LoopbackServer
from wisepops.testing import FakeWisepops

from .conftest import API_KEY
from .databases import Cluster

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
LISTINGS = ("/api1/emails", "/api2/contacts")


@pytest.fixture
def fake() -> FakeWisepops:
    fake = FakeWisepops(API_KEY)
    for n in range(2500):  # three records in each millisecond: ties at every page boundary
        fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(milliseconds=n // 3))
    return fake


class Gate:
    """Holds the ``n``-th listing request from now on, and says when it arrives."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self._left: Optional[int] = None
        self._lock = threading.Lock()

    def hold(self, n: int) -> None:
        self.arrived.clear()
        with self._lock:
            self._left = n

    def passing(self, request: httpx.Request) -> None:
        if request.url.path not in LISTINGS:
            return
        with self._lock:
            if self._left is None:
                return
            self._left -= 1
            if self._left > 0:
                return
            self._left = None
        self.arrived.set()
        time.sleep(5)  # the process is killed meanwhile
        raise Disconnect  # not even counted as a request the fake answered


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def url(fake: FakeWisepops, gate: Gate) -> Iterator[str]:
    def handle(request: httpx.Request) -> httpx.Response:
        gate.passing(request)
        return fake.handle(request)

    with LoopbackServer(handle) as server:
        yield server.url


def sync(url: str, *args: str, cwd: Path, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "WISEPOPS_API_KEY": API_KEY, "WISEPOPS_BASE_URL": url, **env}
    return subprocess.Popen(
        [sys.executable, "-m", "wisepops", "sync", *args],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


def rows(database_url: str) -> int:
    engine = sa.create_engine(database_url.replace("postgresql:", "postgresql+psycopg:", 1))
    try:
        with engine.connect() as connection:
            count = connection.exec_driver_sql("SELECT count(*) FROM wisepops_leads").scalar()
            return int(count or 0)
    except sa.exc.ProgrammingError:  # also on PostgreSQL: killed before create() committed
        return 0
    except sa.exc.OperationalError:  # SQLite: no such table yet
        return 0
    finally:
        engine.dispose()


def listings(fake: FakeWisepops) -> int:
    return sum(1 for r in fake.requests if r.url.path in LISTINGS)


def test_a_sync_then_one_with_nothing_new(fake: FakeWisepops, url: str, tmp_path: Path) -> None:
    code, out, err = finished(sync(url, cwd=tmp_path))
    assert (code, err) == (0, "")  # quiet when stderr is not a terminal
    assert out == (
        "2,500 new of 2,500 seen in 3 calls; the next run starts after 2024-01-01T00:00:00.833Z\n"
    )
    assert rows(f"sqlite:///{tmp_path / 'leads.sqlite3'}") == 2500  # the default database
    code, out, _ = finished(sync(url, cwd=tmp_path))
    assert out.startswith("0 new of 0 seen in 1 call; the next run starts after ")
    assert listings(fake) == 4


@pytest.mark.parametrize(("api", "kills"), [("v1", (2, 9, 1, 17)), ("v2", (2, 1, 2))])
def test_killed_at_any_moment_and_run_again_stores_every_record_once(  # noqa: PLR0917
    fake: FakeWisepops,
    url: str,
    gate: Gate,
    database_url: str,
    tmp_path: Path,
    api: str,
    kills: tuple[int, ...],
) -> None:
    stored = []
    for n in kills:  # killed while it waits for its n-th page
        gate.hold(n)
        process = sync(url, "--db", database_url, "--api", api, cwd=tmp_path)
        assert gate.arrived.wait(30)
        process.send_signal(signal.SIGKILL)
        process.communicate()
        stored.append(rows(database_url))
    for delay in (0.2, 0.5, 0.8):  # and at moments of no choosing
        process = sync(url, "--db", database_url, "--api", api, cwd=tmp_path)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.communicate()
    assert 0 < stored[0] < stored[-1] < 2500, stored  # each run went on from the last
    assert stored == sorted(stored)
    code, _, err = finished(sync(url, "--db", database_url, "--api", api, cwd=tmp_path))
    assert code == 0, err
    assert rows(database_url) == 2500
    before = listings(fake)
    _, out, _ = finished(sync(url, "--db", database_url, "--api", api, cwd=tmp_path))
    assert out.startswith("0 new of 0 seen in 1 call;")
    assert listings(fake) == before + 1


def test_the_database_comes_from_the_environment_and_may_be_a_path(
    url: str, tmp_path: Path
) -> None:
    code, _, _ = finished(sync(url, cwd=tmp_path, WISEPOPS_DB="from-env.sqlite3"))
    assert code == 0
    assert rows(f"sqlite:///{tmp_path / 'from-env.sqlite3'}") == 2500
    assert not (tmp_path / "leads.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["--db", "/no/such/folder/leads.sqlite3"], 1, "the folder /no/such/folder does not exist"),
        (["--db", "nosuch://x"], 1, "wisepops: error: no driver for nosuch"),
        (["--since", "yesterday"], 2, "not an ISO 8601 time: 'yesterday'"),
        (["--api-key", "wrong"], 1, "WisePops rejected the API key (401)"),
    ],
)
def test_a_failure_is_one_line_with_the_clis_exit_codes(
    url: str, tmp_path: Path, args: list[str], code: int, says: str
) -> None:
    status, out, err = finished(sync(url, *args, cwd=tmp_path))
    assert (status, out) == (code, "")
    assert says in err
    assert err.count("\n") == 1, err


def test_a_missing_key_stops_before_a_database_is_made(url: str, tmp_path: Path) -> None:
    status, _, err = finished(sync(url, cwd=tmp_path, WISEPOPS_API_KEY=""))
    assert status == 1
    assert err == "wisepops: error: no API key: pass --api-key or set $WISEPOPS_API_KEY\n"
    assert not (tmp_path / "leads.sqlite3").exists()


def test_on_a_terminal_the_progress_line_counts_records_and_calls(
    capsys: pytest.CaptureFixture[str],
) -> None:
    progress = Progress(enabled=True, pages="calls")
    progress.set(2500, 3)  # what sync reports after each committed page
    progress.finish()
    err = capsys.readouterr().err
    assert "2,500 records · 3 calls ·" in err
    assert err.endswith("records/s\n")


def test_a_database_it_cannot_write_is_one_line(url: str, tmp_path: Path) -> None:
    path = tmp_path / "leads.sqlite3"
    assert finished(sync(url, "--db", str(path), cwd=tmp_path))[0] == 0
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    status, out, err = finished(
        sync(url, "--db", read_only, "--since", "2000-01-01T00:00:00Z", cwd=tmp_path)
    )
    assert (status, out) == (1, "")
    assert err.startswith("wisepops: error: cannot use sqlite:///file")
    assert "readonly database" in err
    assert err.count("\n") == 1, err


@pytest.mark.parametrize(
    ("args", "code"), [(["--api-key", "wrong"], 1), (["--wisepop-id", "0"], 2)]
)
def test_a_refused_sync_leaves_no_database_file(
    url: str, tmp_path: Path, args: list[str], code: int
) -> None:
    """A wrong key (401) or a bad argument: nothing to store, so no file to clean up."""
    status, _, err = finished(sync(url, *args, cwd=tmp_path))
    assert status == code, err
    assert err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == []


def test_postgresql_gone_mid_sync_is_one_line(
    fake: FakeWisepops, url: str, gate: Gate, postgres: Cluster, tmp_path: Path
) -> None:
    """The server ends the sync's connection while it waits for page 2: one line, not a
    traceback nor psycopg's "error ignored terminating Pipeline"."""
    database = postgres.new_database()
    gate.hold(2)
    process = sync(url, "--db", database, "--api", "v1", cwd=tmp_path)
    assert gate.arrived.wait(30)
    name = sa.make_url(database).database
    engine = sa.create_engine(database)
    with engine.connect() as connection:
        connection.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
    engine.dispose()
    status, out, err = finished(process)
    assert (status, out) == (1, "")
    assert err.startswith("wisepops: error: cannot use postgresql+psycopg://"), err
    assert err.count("\n") == 1, err
