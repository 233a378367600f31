"""Throwaway databases for the store's tests: a SQLite file, or a database in a PostgreSQL
cluster of the tests' own, started once a session from the server's binaries.

Where there is no PostgreSQL server, its tests skip, saying how to get one; with
``WISEPOPS_TEST_POSTGRES=required`` (as ``.ci/run`` sets) they fail instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import pytest

if TYPE_CHECKING:
    from wisepops.db import LeadStore

REQUIRED = "WISEPOPS_TEST_POSTGRES"
HOW = (
    "the PostgreSQL tests need a PostgreSQL server's binaries (initdb, pg_ctl): "
    "apt-get install postgresql, or put its bin folder on PATH"
)


def bindir() -> Optional[Path]:
    """Where initdb and pg_ctl are: on PATH, pg_config's answer, or Debian's folder."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    try:
        answer = subprocess.run(
            ["pg_config", "--bindir"],  # noqa: S607 - found on PATH, as a user would
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        answer = ""
    candidates = [Path(answer)] if answer else []
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return next((path for path in candidates if (path / "initdb").exists()), None)


class Cluster:
    """A PostgreSQL server on loopback, its data in a temporary folder; ``durable`` flushes
    each commit to disk, as a production server does (for benchmarks)."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self._bindir = bindir
        self._folder = Path(tempfile.mkdtemp(prefix="wisepops-postgres-"))
        self._as: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as postgres
            import pwd  # here: POSIX only, and the suite imports on Windows too

            owner = pwd.getpwnam("postgres")
            os.chown(self._folder, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._names = itertools.count(1)
        data = self._folder / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self._folder} -c listen_addresses=127.0.0.1"
        if not durable:  # the tests' own: fast, and lost with the machine
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        log = str(self._folder / "log")
        self._run("pg_ctl", "-D", str(data), "-l", log, "-w", "-o", options, "start")

    def _run(self, program: str, *args: str) -> None:
        command = [*self._as, str(self._bindir / program), *args]
        subprocess.run(command, check=True, capture_output=True, cwd=self._folder)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a database made for one test."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self._folder / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self._folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """The session's PostgreSQL cluster; skips (or fails, where required) without one."""
    found = bindir()
    if found is None:
        if os.environ.get(REQUIRED) == "required":
            pytest.fail(f"{REQUIRED}=required, and {HOW}")
        pytest.skip(HOW)
    cluster = Cluster(found)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: each test that takes it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leads.sqlite3'}"
    cluster: Cluster = request.getfixturevalue("postgres")
    return cluster.new_database()


@pytest.fixture
def store(database_url: str) -> Iterator[LeadStore]:
    """A ``LeadStore`` on the fresh database, its tables made; closed after the test."""
    from wisepops.db import LeadStore

    store = LeadStore(database_url)
    store.create()
    yield store
    store.close()
