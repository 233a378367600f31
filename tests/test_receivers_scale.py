"""Many processes into one database, as real processes: Flask under ``gunicorn -w 4``,
FastAPI under ``uvicorn --workers 2`` and a ``wisepops sync``, all at once, with
overlapping deliveries, redeliveries and a gunicorn worker killed mid-stream. Every
acknowledged record is stored once, counted here; on SQLite (one host) and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import attrs
import httpx
import pytest
import sqlalchemy as sa

import wisepops
from wisepops._loopback import LoopbackServer
from wisepops._wire.encode import wire_body
from wisepops.testing import FakeWisepops

from .receivers import KEY
from .test_receiver_processes import Server, serving

# Worker processes are found through /proc, and killed with a POSIX signal.
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc for the workers")

FLASK = Server(
    "flask",
    [sys.executable, "-m", "gunicorn", "-w", "4", "-b", "127.0.0.1:{port}",
     "examples.flask_receiver:app"],
)  # fmt: skip
FASTAPI = Server(
    "fastapi",
    [sys.executable, "-m", "uvicorn", "--workers", "2", "--port", "{port}",
     "examples.fastapi_receiver:app"],
)  # fmt: skip
T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
LISTED = range(1200)  # what the API lists: what the sync stores
DELIVERED = range(600, 1800)  # what the hooks deliver: half of it listed too
SENDERS = 8


@attrs.define
class Tally:
    """What the senders saw, kept under a lock: their threads share it."""

    lock: threading.Lock = attrs.field(factory=threading.Lock)
    statuses: list[int] = attrs.Factory(list)  # every HTTP answer, first tries and retries
    new: int = 0  # the sum of "new" over the 200s
    acknowledged: set[str] = attrs.Factory(set)  # dedupe_keys in a delivery answered 200
    unanswered: int = 0  # records in a delivery cut off by the killed worker (sent again)
    done: int = 0  # deliveries acknowledged so far


def contacts(numbers: range) -> list[wisepops.Contact]:
    return [
        wisepops.Contact(
            collected_at=T0 + timedelta(milliseconds=n),
            wisepop_id=7,
            email=f"lead{n}@example.com",
            fields={"email": f"lead{n}@example.com", "City": "Lyon"},
        )
        for n in numbers
    ]


def deliveries(records: list[wisepops.Contact], seed: int) -> list[list[wisepops.Contact]]:
    """Bodies of one to four records, a quarter of them sharing a record with another
    body, then a third of them sent a second time, as WisePops retries: shuffled."""
    rng = random.Random(seed)  # noqa: S311 - a plan the test can replay, not a secret
    shuffled = rng.sample(records, len(records))
    bodies: list[list[wisepops.Contact]] = []
    while shuffled:
        size = rng.randint(1, 4)
        bodies.append(shuffled[:size])
        del shuffled[:size]
    for body in rng.sample(bodies, len(bodies) // 4):
        body.append(rng.choice(records))  # overlapping: a record in two bodies
    bodies += rng.sample(bodies, len(bodies) // 3)  # redeliveries
    rng.shuffle(bodies)
    return bodies


def workers(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return {int(pid) for pid in children}


def wait_for(condition: Callable[[], bool], what: str, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {within:.0f} s for {what}")
        time.sleep(0.05)


def send(http: httpx.Client, url: str, records: list[wisepops.Contact], tally: Tally) -> None:
    """POST one delivery until it is answered, as WisePops retries one that was not."""
    body = wire_body(records, "api2")
    headers = {wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)}
    for _ in range(20):
        try:
            response = http.post(url, content=body, headers=headers)
        except httpx.TransportError:  # the worker that had it was killed
            with tally.lock:
                tally.unanswered += len(records)
            time.sleep(0.1)
            continue
        with tally.lock:
            tally.statuses.append(response.status_code)
            if response.status_code == 200:
                tally.new += response.json()["new"]
                tally.acknowledged.update(r.dedupe_key for r in records)
                tally.done += 1
        return  # any other answer is counted above, and fails the test
    pytest.fail(f"no answer to a delivery of {len(records)} records after 20 tries")


def stored_keys(url: str) -> list[str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.scalars(sa.text("SELECT dedupe_key FROM wisepops_leads")))
    finally:
        engine.dispose()


@contextlib.contextmanager
def syncing(database: str, api: str, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": api}
    process = subprocess.Popen(
        [sys.executable, "-m", "wisepops", "sync", "--db", database],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


class HeldPage:
    """The fake WisePops on loopback, holding the sync's second page until released: the
    sync commits its first page, then its second while deliveries are still arriving."""

    def __init__(self, fake: FakeWisepops) -> None:
        self.fake = fake
        self.asked = threading.Event()
        self.release = threading.Event()

    def handle(self, request: httpx.Request) -> httpx.Response:
        if "collected_after" in request.url.params:  # the second page: the first is stored
            self.asked.set()
            self.release.wait(60)
        return self.fake.handle(request)


def test_receivers_and_a_sync_at_once_store_every_acknowledged_record_once(
    database_url: str, tmp_path: Path
) -> None:
    fake = FakeWisepops(KEY)
    for contact in contacts(LISTED):
        fake.collect(
            contact.email, 7, contact.fields, contact.collected_at, ip=None, country_code=None
        )
    listed = {c.dedupe_key for c in fake.contacts}
    records = contacts(DELIVERED)
    assert len(listed & {r.dedupe_key for r in records}) == 600  # the same leads both ways
    bodies = deliveries(records, seed=20)
    first, second = bodies[: len(bodies) // 2], bodies[len(bodies) // 2 :]
    # Each receiver names the database its own way: a URL, or a path for SQLite; and
    # postgresql:// as well as postgresql+psycopg://.
    other = database_url.removeprefix("sqlite:///").replace("+psycopg", "")
    tally = Tally()
    held = HeldPage(fake)

    with contextlib.ExitStack() as stack:
        api = stack.enter_context(LoopbackServer(held.handle)).url
        stack.callback(held.release.set)
        pidfile = tmp_path / "gunicorn.pid"
        flask = stack.enter_context(
            serving(
                FLASK,
                tmp_path,
                "flask.log",
                WISEPOPS_DB=database_url,
                GUNICORN_CMD_ARGS=f"--pid {pidfile}",
            )
        )
        fastapi = stack.enter_context(serving(FASTAPI, tmp_path, "fastapi.log", WISEPOPS_DB=other))
        master = int(pidfile.read_text())
        wait_for(lambda: len(workers(master)) == 4, "gunicorn's four workers")
        before = workers(master)
        http = stack.enter_context(httpx.Client(timeout=60))
        pool = stack.enter_context(ThreadPoolExecutor(SENDERS))

        def submit(batch: list[list[wisepops.Contact]]) -> list[Future[None]]:
            return [pool.submit(send, http, (flask, fastapi)[n % 2], body, tally)
                    for n, body in enumerate(batch)]  # fmt: skip

        sent = submit(first)
        sync = stack.enter_context(syncing(database_url, api, tmp_path))
        wait_for(held.asked.is_set, "the sync to store its first page")
        wait_for(lambda: tally.done >= len(bodies) // 3, "a third of the deliveries")
        victim = min(before)
        os.kill(victim, signal.SIGKILL)  # gunicorn starts another
        sent += submit(second)
        held.release.set()  # the sync's second page, among the second half's deliveries
        for future in sent:
            future.result()
        out, err = sync.communicate(timeout=120)
        wait_for(lambda: len(workers(master)) == 4, "gunicorn to replace its worker")
        after = workers(master)

    assert sync.returncode == 0, err
    synced = re.match(r"([\d,]+) new of 1,200 seen in 2 calls;", out)
    assert synced, out
    assert victim not in after
    assert len(after - before) == 1
    assert set(tally.statuses) == {200}  # no 5xx, no 4xx: every answer a 200
    assert tally.done == len(bodies)  # every delivery acknowledged, in the end

    keys = stored_keys(database_url)
    assert len(keys) == len(set(keys)) == len(listed | tally.acknowledged) == 1800
    assert set(keys) == listed | tally.acknowledged  # nothing lost, nothing else
    # Each row was counted new by exactly one writer, except those a killed worker
    # committed without answering: its delivery came again and found them stored.
    counted = tally.new + int(synced.group(1).replace(",", ""))
    assert 0 <= len(keys) - counted <= tally.unanswered
    for log in ("flask.log", "fastapi.log"):
        assert "Traceback" not in (tmp_path / log).read_text()
