"""``wisepops status`` as real processes, after a real ``wisepops sync`` (the issue's checks):
a website with ten leads delivered by webhook and 700 listed, and a second website with a
wrong key; and a sync killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from wisepops._cli.status import chart
from wisepops._loopback import Disconnect, LoopbackServer
from wisepops.db import LeadStore
from wisepops.testing import FakeWisepops

from .conftest import API_KEY
from .websites import FR_KEY

WRONG_KEY = "bad0123456789abcdef0123456789abc"
GOOD = f"shop-fr={FR_KEY}"
BOTH = f"{GOOD},shop-bad={WRONG_KEY}"


def wisepops(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """``wisepops ARGS`` as a process, on the test's database: status, stdout, stderr,
    which never hold a key."""
    environment = {"PATH": "", "WISEPOPS_DB": str(tmp_path / "leads.sqlite3"), **env}
    done = subprocess.run(
        [sys.executable, "-m", "wisepops", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for key in (FR_KEY, WRONG_KEY, API_KEY):
        assert key not in done.stdout + done.stderr
    return done.returncode, done.stdout, done.stderr


def status_json(tmp_path: Path, *args: str, **env: str) -> tuple[int, dict[str, Any]]:
    code, out, err = wisepops(tmp_path, "status", "--json", *args, **env)
    assert err == ""
    return code, {website["website"]: website for website in json.loads(out)}


@pytest.fixture
def synced(tmp_path: Path) -> Iterator[str]:
    """700 leads of shop-fr in the last 12 hours; ten of them delivered by webhook, in two
    deliveries: 500 to 504 first, then 100 to 104, late. Then one ``wisepops sync`` of
    shop-fr and of shop-bad, whose key WisePops refuses."""
    fake = FakeWisepops(FR_KEY)
    now = datetime.now(timezone.utc)
    for n in range(700):
        fake.collect(email=f"user{n}@example.com", collected_at=now - timedelta(minutes=700 - n))
    with LeadStore(tmp_path / "leads.sqlite3") as store:  # as a receiver does
        store.create()
        assert store.add(fake.contacts[500:505], website="shop-fr") == 5
        assert store.add(fake.contacts[100:105], website="shop-fr") == 5
    with fake.serve() as url:
        code, out, err = wisepops(tmp_path, "sync", WISEPOPS_WEBSITES=BOTH, WISEPOPS_BASE_URL=url)
        assert code == 1
        assert out.startswith("shop-fr: 690 new of 700 seen in 1 call;")
        assert err.startswith("wisepops: error: shop-bad: WisePops rejected the API key (401)")
        yield url


def test_after_one_sync_status_reports_each_website_and_fails_for_the_wrong_key(
    synced: str, tmp_path: Path
) -> None:
    code, found = status_json(tmp_path, WISEPOPS_WEBSITES=BOTH)
    assert code == 1
    assert list(found) == ["shop-fr", "shop-bad"]
    fr, bad = found["shop-fr"], found["shop-bad"]
    assert (fr["leads"], fr["by_source"], fr["last_24h"]) == (
        700,
        {"webhook": 10, "api1": 0, "api2": 690},
        700,
    )
    last = fr["last_sync"]
    assert (last["new"], last["seen"], last["calls"], last["error"]) == (690, 700, 1, None)
    assert last["finished_at"].endswith("Z")
    assert last["started_at"] <= last["finished_at"]
    # The first delivery stored 500 to 504: a sync stored 501 to 699 but for 501 to 504.
    assert fr["missed_by_webhooks"] == 195
    assert fr["last_webhook_at"].endswith("Z")
    assert fr["newest_collected_at"].endswith("Z")
    assert bad["leads"] == 0
    assert bad["last_sync"]["error"] == "AuthenticationError: HTTP 401"
    assert bad["last_sync"]["finished_at"] is not None
    assert (bad["last_webhook_at"], bad["newest_collected_at"]) == (None, None)


def test_with_only_the_good_website_it_exits_0_and_1_once_the_sync_is_older_than_max_age(
    synced: str, tmp_path: Path
) -> None:
    code, found = status_json(tmp_path, WISEPOPS_WEBSITES=GOOD)
    assert (code, list(found)) == (0, ["shop-fr"])
    code, _ = status_json(tmp_path, "--max-age", "1h", WISEPOPS_WEBSITES=GOOD)
    assert code == 0
    code, _ = status_json(tmp_path, "--website", "shop-fr", WISEPOPS_WEBSITES=BOTH)
    assert code == 0
    finished_ago(tmp_path, timedelta(seconds=2))  # a moment later, without sleeping
    code, _ = status_json(tmp_path, "--max-age", "1s", WISEPOPS_WEBSITES=GOOD)
    assert code == 1


def finished_ago(tmp_path: Path, age: timedelta) -> None:
    """Move every run's ``finished_at`` back to ``age`` ago, as time passing would."""
    at = datetime.now(timezone.utc) - age
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'leads.sqlite3'}")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE wisepops_runs SET finished_at = ?", (f"{at:%Y-%m-%d %H:%M:%S.%f}",)
        )
    engine.dispose()


def test_the_table_names_each_website_its_count_and_what_is_wrong(
    synced: str, tmp_path: Path
) -> None:
    code, out, err = wisepops(tmp_path, "status", WISEPOPS_WEBSITES=BOTH)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0].split() == [
        "website",
        "leads",
        "webhook",
        "api1",
        "api2",
        "last",
        "24",
        "h",
        "missed",
        "newest",
        "lead",
    ]
    assert lines[1].split()[:7] == ["shop-fr", "700", "10", "0", "690", "700", "195"]
    assert lines[2].split()[:7] == ["shop-bad", "0", "0", "0", "0", "0", "0"]
    assert "shop-fr: ok" in lines
    assert "shop-bad: FAILING: the last sync failed: AuthenticationError: HTTP 401" in lines
    assert "                690 new of 700 seen in 1 call" in lines
    assert max(len(line) for line in lines) <= 80


def test_a_website_never_synced_fails_the_monitor_and_says_so(synced: str, tmp_path: Path) -> None:
    code, out, _ = wisepops(tmp_path, "status", WISEPOPS_WEBSITES=f"{GOOD},shop-new=k123456")
    assert code == 1
    assert "shop-new: FAILING: never synced" in out.splitlines()


def test_without_configuration_every_website_in_the_tables(synced: str, tmp_path: Path) -> None:
    code, found = status_json(tmp_path)
    assert (code, sorted(found)) == (1, ["shop-bad", "shop-fr"])
    code, found = status_json(tmp_path, "--website", "shop-fr")
    assert (code, list(found)) == (0, ["shop-fr"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--max-age", "2x"], "argument --max-age: not an age such as 90s, 30m, 2h or 1d: '2x'"),
        (["--max-age", "0s"], "argument --max-age: not an age such as 90s, 30m, 2h or 1d: '0s'"),
        (["--website", "shop-it"], "no website named 'shop-it'; the websites are shop-fr"),
        (["--website", "a b"], "a website's name is 1 to 64 letters"),
    ],
)
def test_a_bad_argument_is_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    code, out, err = wisepops(tmp_path, "status", *args, WISEPOPS_WEBSITES=GOOD)
    assert (code, out) == (2, "")
    assert says in err
    assert err.count("\n") == 1


def test_it_makes_no_database_and_needs_no_key(tmp_path: Path) -> None:
    code, out, err = wisepops(tmp_path, "status")
    assert (code, out) == (1, "")
    assert err == f"wisepops: error: no database at {tmp_path / 'leads.sqlite3'}: " + (
        "`wisepops sync` makes it\n"
    )
    assert not (tmp_path / "leads.sqlite3").exists()
    sqlite3.connect(tmp_path / "leads.sqlite3").close()  # a database with no tables
    code, out, err = wisepops(tmp_path, "status")
    assert (code, out) == (1, "")
    assert "has no table wisepops_leads" in err
    assert err.count("\n") == 1


class Held:
    """Holds the second listing request until released, and says when it arrived."""

    def __init__(self, fake: FakeWisepops) -> None:
        self.fake = fake
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.listings = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api2/contacts":
            self.listings += 1
            if self.listings == 2:
                self.arrived.set()
                self.released.wait(30)
                raise Disconnect
        return self.fake.handle(request)


def test_a_sync_killed_mid_run_shows_unfinished_and_fails_the_monitor(tmp_path: Path) -> None:
    fake = FakeWisepops(API_KEY)
    for n in range(1500):  # two pages: the process is killed waiting for the second
        fake.collect(email=f"user{n}@example.com")
    held = Held(fake)
    with LoopbackServer(held.handle) as server:
        environment = {
            **os.environ,
            "WISEPOPS_API_KEY": API_KEY,
            "WISEPOPS_BASE_URL": server.url,
            "WISEPOPS_DB": str(tmp_path / "leads.sqlite3"),
        }
        environment.pop("WISEPOPS_WEBSITES", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "wisepops", "sync"],
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert held.arrived.wait(60)
            process.send_signal(signal.SIGKILL)
            process.wait(30)
        finally:
            held.released.set()
    code, found = status_json(tmp_path, WISEPOPS_API_KEY=API_KEY)
    assert code == 1
    last = found["default"]["last_sync"]
    assert (last["finished_at"], last["new"], last["seen"], last["calls"], last["error"]) == (
        None,
        None,
        None,
        None,
        None,
    )
    assert found["default"]["leads"] == 1000  # its first page, committed
    code, out, _ = wisepops(tmp_path, "status", WISEPOPS_API_KEY=API_KEY)
    assert code == 1
    assert any(
        line.startswith("default: FAILING: the last sync, started ")
        and line.endswith(", is unfinished: killed, or running")
        for line in out.splitlines()
    )


def test_the_chart_is_a_block_a_day_scaled_to_the_busiest_with_totals() -> None:
    start = date(2024, 5, 2)
    per_day = [
        (start + timedelta(days=n), {"webhook": n % 2, "api1": 0, "api2": 8 * (n == 13)})
        for n in range(14)
    ]
    assert chart(per_day) == [
        "  per day (UTC) 05-02                 05-15",
        "    webhook     · ▁ · ▁ · ▁ · ▁ · ▁ · ▁ · ▁          7",
        "    api1        · · · · · · · · · · · · · ·          0",
        "    api2        · · · · · · · · · · · · · █          8",
    ]
