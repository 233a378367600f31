"""Deliveries per second through the Flask receiver under gunicorn, into SQLite and into
PostgreSQL, beside a bare Flask view doing the same work by hand (``bare_receiver.py``).

Run ``python benchmarks/receivers.py`` after the README's install (``--quick`` for a
smoke run). Both apps run under ``gunicorn -w 4`` at once, on one database and one table,
and are loaded in turn, round after round (who goes first alternates), by the same
threads posting the same number of signed one-record deliveries, each a new lead; the
figure is the median of the per-round time ratios. PostgreSQL is a cluster of the
benchmark's own that flushes every commit to disk, as SQLite does.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import httpx
from run import Figure, contact, table  # benchmarks/run.py, beside this script

import wisepops
from wisepops._wire.encode import wire_body

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the tests' PostgreSQL cluster
from tests.databases import Cluster, bindir  # noqa: E402

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"
PATH = "/wisepops/webhook"
APPS = {
    "example": ["examples.flask_receiver:app"],
    "bare": ["--chdir", "benchmarks", "bare_receiver:app"],
}


@attrs.frozen
class Run:
    seconds: float
    cpu: float  # the workers' CPU seconds, user and system


@contextlib.contextmanager
def gunicorn(app: list[str], database: str, workers: int) -> Iterator[tuple[str, int]]:
    """The app under ``gunicorn -w workers``, once it answers; yields its URL and pid."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_DB": database}
    argv = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
            "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen([*argv, *app], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}{PATH}"
    try:
        deadline = time.monotonic() + 60
        while len(children(process.pid)) < workers or not answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn {' '.join(app)} did not start")
            time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=5)  # 405: it serves
    except httpx.TransportError:
        return False
    return True


def children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in found.read_text().split()] if found.exists() else []


def cpu_seconds(master: int) -> float:
    """The CPU time of gunicorn's workers so far (Linux; 0 elsewhere)."""
    total = 0
    for pid in children(master):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def signed_deliveries(start: int, count: int) -> list[tuple[bytes, str]]:
    """``count`` one-record api2 deliveries, each a lead not delivered before."""
    bodies = [wire_body([contact(n)], "api2") for n in range(start, start + count)]
    return [(body, wisepops.sign(body, KEY)) for body in bodies]


def load(url: str, master: int, deliveries: list[tuple[bytes, str]], senders: int) -> Run:
    """Post every delivery from ``senders`` threads; each must be a 200 storing one lead."""
    pending = iter(deliveries)
    lock = threading.Lock()
    failures: list[str] = []

    def sender() -> None:
        with httpx.Client(timeout=60) as http:
            while True:
                with lock:
                    item = next(pending, None)
                if item is None:
                    return
                body, signature = item
                response = http.post(url, content=body, headers={"X-Wisepops-Signature": signature})
                if response.status_code != 200 or response.json()["new"] != 1:
                    failures.append(f"{response.status_code} {response.text}")

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    cpu = cpu_seconds(master)
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    if failures:
        raise SystemExit(f"{len(failures)} deliveries failed, the first: {failures[0]}")
    return Run(seconds, cpu_seconds(master) - cpu)


def figure(name: str, database: str, args: argparse.Namespace, first: int) -> Figure:
    from wisepops.db import LeadStore

    store = LeadStore(database)
    store.create()  # the table both apps write
    store.engine.dispose()
    runs: dict[str, list[Run]] = {"example": [], "bare": []}
    with (
        gunicorn(APPS["example"], database, args.workers) as example,
        gunicorn(APPS["bare"], database, args.workers) as bare,
    ):
        servers = {"example": example, "bare": bare}
        for url, master in servers.values():  # warm up: imports, connections
            load(url, master, signed_deliveries(first, 200), args.senders)
            first += 200
        for round_number in range(args.rounds):
            order = ["example", "bare"] if round_number % 2 == 0 else ["bare", "example"]
            for app in order:
                url, master = servers[app]
                deliveries = signed_deliveries(first, args.deliveries)
                first += args.deliveries
                runs[app].append(load(url, master, deliveries, args.senders))
    ratio = statistics.median(e.seconds / b.seconds for e, b in zip(runs["example"], runs["bare"]))
    rate = {app: args.deliveries / statistics.median(r.seconds for r in runs[app]) for app in runs}
    cpu = {
        app: 1000 * statistics.median(r.cpu for r in runs[app]) / args.deliveries for app in runs
    }
    return Figure(
        f"Flask example under gunicorn -w {args.workers}, {args.deliveries:,} one-record "
        f"deliveries from {args.senders} threads, into {name}",
        "a bare Flask view: HMAC, json.loads, executemany of the same rows",
        "<= 1.2x",
        f"{ratio:.2f}x; {rate['example']:,.0f} deliveries/s (bare {rate['bare']:,.0f}/s); "
        f"worker CPU {cpu['example']:.2f} ms a delivery (bare {cpu['bare']:.2f})",
        ratio <= 1.2,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer deliveries: a smoke run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--senders", type=int, default=8, help="threads posting (8)")
    args = parser.parse_args()
    # Short rounds, many of them: a burst of another program's load hits both sides of one
    # round, and the median leaves out the rounds it hit unevenly.
    args.deliveries = 300 if args.quick else 500
    args.rounds = 1 if args.quick else 15
    versions = f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    print(f"wisepops {wisepops.__version__}, {versions}")
    figures = []
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        databases = {"SQLite": str(folder / "leads.sqlite3")}  # a path, as WISEPOPS_DB takes
        found = bindir()
        if found is not None:
            cluster = Cluster(found, durable=True)
            stack.callback(cluster.stop)
            databases["PostgreSQL"] = cluster.new_database()
        for first, (name, database) in enumerate(databases.items()):
            figures.append(figure(name, database, args, first * 1_000_000))
    print("\n".join(table(figures)))
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
