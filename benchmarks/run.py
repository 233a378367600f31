"""Benchmarks of the SDK's hot paths, each as a ratio to its natural floor.

Run ``python benchmarks/run.py`` after the README's install (``--quick`` for a smoke
run). Every SDK figure is measured beside its baseline in the same process, the two
interleaved round after round, and reported as the median of the per-round ratios, so
machine noise hits both sides alike. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hmac
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from hashlib import sha256
from pathlib import Path
from typing import Callable

import attrs
import httpx

import wisepops
from wisepops._loopback import LoopbackServer
from wisepops._wire.encode import Api, api_record, php_json, wire_body

sys.path.insert(0, str(Path(__file__).parent.parent))  # the tests' PostgreSQL cluster
from tests.databases import Cluster
from tests.databases import bindir as databases_bindir

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


@attrs.frozen
class Figure:
    name: str
    baseline: str
    budget: str
    value: str
    ok: bool
    load: str = "-"
    """The 1-minute load average once measured: other work on the machine skews ratios."""


def contact(n: int) -> wisepops.Contact:
    return wisepops.Contact(
        collected_at=T0 + timedelta(milliseconds=37 * n),
        wisepop_id=12345 + n % 7,
        email=f"visitor{n}@example.com",
        ip="203.0.113.7",
        country_code="FR",
        fields={"City": "Paris", "Gender": "female", "Consent": "yes"},
        form_session=f"6a1f0c3e-3b7e-4a2b-9f1d-{n:012d}",
    )


def ratio(
    sdk: Callable[[], object], baseline: Callable[[], object], rounds: int, batch: int
) -> float:
    """Median over ``rounds`` of (SDK time / baseline time), each timing ``batch`` calls."""
    ratios = []
    for round_number in range(rounds):
        pair = [(sdk, 0), (baseline, 1)]
        if round_number % 2:
            pair.reverse()  # alternate who goes first, so warm caches favour neither
        times = [0.0, 0.0]
        for function, slot in pair:
            gc.collect()
            start = time.perf_counter()
            for _ in range(batch):
                function()
            times[slot] = time.perf_counter() - start
        ratios.append(times[0] / times[1])
    return statistics.median(ratios)


def verify_figures(rounds: int) -> list[Figure]:
    figures = []
    for size, budget in ((1024, 1.15), (256 * 1024, 1.05)):
        body = (b'[{"email":"x@example.com"}]' * (size // 26 + 1))[:size]
        header = wisepops.sign(body, KEY)
        key = KEY.encode()

        def sdk(body: bytes = body, header: str = header) -> bool:
            return wisepops.verify_signature(body, header, KEY)

        def baseline(body: bytes = body, header: str = header, key: bytes = key) -> bool:
            expected = hmac.new(key, body, sha256).hexdigest()
            return hmac.compare_digest(expected, header)

        batch = 20_000 if size == 1024 else 200
        value = ratio(sdk, baseline, rounds, batch)
        figures.append(
            Figure(
                f"verify_signature, {size // 1024} KB body",
                "hmac.new(...).hexdigest() + compare_digest",
                f"<= {budget}x",
                f"{value:.2f}x",
                value <= budget,
            )
        )
    return figures


def parse_figures(rounds: int) -> list[Figure]:
    figures = []
    shapes: tuple[Api, ...] = ("api1", "api2")
    for shape in shapes:
        body = wire_body([contact(n) for n in range(1000)], shape)

        def sdk(body: bytes = body) -> object:
            return wisepops.parse_payload(body)

        def baseline(body: bytes = body) -> object:
            return json.loads(body)

        value = ratio(sdk, baseline, rounds, 20)
        figures.append(
            Figure(
                f"parse_payload, 1,000 records, {shape} shape",
                "json.loads of the same bytes",
                "<= 1.8x",
                f"{value:.2f}x",
                value <= 1.8,
            )
        )
    return figures


def first_after(request: httpx.Request) -> int:
    """The index of the first record collected after the request's ``collected_after``."""
    after = request.url.params.get("collected_after")
    if after is None:
        return 0
    elapsed = wisepops._wire.times.parse_datetime(after) - T0
    return elapsed // timedelta(milliseconds=37) + 1  # contact(n) is 37 ms after n - 1


def pages_transport(total: int, page_size: int = 100) -> httpx.MockTransport:
    """``/api1/emails`` pages of ``total`` records by ``collected_after``, each encoded once."""
    bodies: dict[int, bytes] = {}

    def body(start: int) -> bytes:
        if start not in bodies:
            end = min(start + page_size, total)
            bodies[start] = wire_body([contact(n) for n in range(start, end)], "api1")
        return bodies[start]

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body(first_after(request)))

    return httpx.MockTransport(handle)


def iteration_figure(rounds: int, total: int = 1937) -> Figure:
    transport = pages_transport(total)
    client = wisepops.Client(
        KEY, base_url="https://bench.test", http_client=httpx.Client(transport=transport)
    )
    # What anyone calling the API with httpx writes: a client that authenticates.
    http = httpx.Client(transport=transport, headers={"Authorization": f'WISEPOPS-API key="{KEY}"'})

    def sdk() -> int:
        return sum(1 for _ in client.emails.iter())

    def baseline() -> int:
        """The loop the vendor's documentation suggests: the next page is what was collected
        after the last record (it leaves ties at a page boundary to chance)."""
        count, params = 0, dict[str, str]()
        while True:
            response = http.get("https://bench.test/api1/emails", params=params)
            records = json.loads(response.content)
            count += len(records)
            if len(records) < 100:
                return count
            params = {"collected_after": records[-1]["collected_at"]}

    assert sdk() == baseline() == total
    value = ratio(sdk, baseline, rounds, 3)
    return Figure(
        f"client.emails.iter(), {total:,} records (MockTransport)",
        "a plain, authenticated httpx loop by collected_after with json.loads",
        "<= 1.3x",
        f"{value:.2f}x",
        value <= 1.3,
    )


def memory_figure(total: int) -> Figure:
    def handle(request: httpx.Request) -> httpx.Response:
        """Pages made on request, so that the benchmark itself holds no 100,000 records."""
        start = first_after(request)
        records = [api_record(contact(n), "api2") for n in range(start, min(start + 1000, total))]
        return httpx.Response(200, content=php_json(records))

    http = httpx.Client(transport=httpx.MockTransport(handle))
    client = wisepops.Client(KEY, base_url="https://bench.test", http_client=http)
    gc.collect()
    tracemalloc.start()
    count = sum(1 for _ in client.v2.contacts.iter())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == total
    mib = peak / 2**20
    return Figure(
        f"iterating {total:,} records (v2, 1,000 a page)",
        "-",
        "peak traced memory < 8 MiB",
        f"{mib:.1f} MiB",
        mib < 8,
    )


def import_figure(rounds: int) -> Figure:
    # As an installed package is: compiled. PYTHONDONTWRITEBYTECODE=1 would otherwise have
    # every run compile the package's sources, and measure that instead.
    subprocess.run([sys.executable, "-m", "compileall", "-q", wisepops.__path__[0]], check=True)

    def cost(statement: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        return time.perf_counter() - start

    ratios = []
    for _ in range(rounds):
        sdk, baseline = cost("import wisepops"), cost("import httpx, attrs")
        ratios.append(sdk / baseline)
    value = statistics.median(ratios)
    return Figure(
        'python -c "import wisepops"',
        'python -c "import httpx, attrs"',
        "<= 1.2x",
        f"{value:.2f}x",
        value <= 1.2,
    )


def concurrency_figure(pages: int = 20, latency: float = 0.05) -> Figure:
    body = wire_body([contact(n) for n in range(100)], "api2")

    def slow(request: httpx.Request) -> httpx.Response:
        time.sleep(latency)
        return httpx.Response(200, content=body)

    async def measure(url: str) -> tuple[float, float]:
        async with wisepops.AsyncClient(KEY, base_url=url) as client:
            start = time.perf_counter()
            for page in range(1, pages + 1):
                await client.v2.contacts.list(page=page)
            sequential = time.perf_counter() - start
            start = time.perf_counter()
            await asyncio.gather(*(client.v2.contacts.list(page=p) for p in range(1, pages + 1)))
            concurrent = time.perf_counter() - start
        return sequential, concurrent

    with LoopbackServer(slow) as server:
        sequential, concurrent = asyncio.run(measure(server.url))
    return Figure(
        f"AsyncClient: {pages} pages, gather vs one by one ({latency * 1000:.0f} ms latency)",
        "-",
        "report the speed-up",
        f"{sequential / concurrent:.1f}x faster ({sequential:.2f} s -> {concurrent:.2f} s)",
        True,
    )


def sync_figures(total: int, rounds: int) -> list[Figure]:
    """LeadStore.sync of ``total`` records from a loopback server, on SQLite and PostgreSQL,
    beside a hand-written loop doing the same work with the drivers themselves."""
    pages: dict[tuple[int, int], bytes] = {}
    serving = [total]  # how many records the server has: the memory figure changes it

    def handle(request: httpx.Request) -> httpx.Response:
        start, end = first_after(request), serving[0]
        if (start, end) not in pages:
            page = [contact(n) for n in range(start, min(start + 1000, end))]
            pages[start, end] = wire_body(page, "api2")
        return httpx.Response(200, content=pages[start, end])

    figures = []
    with LoopbackServer(handle) as server, contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        databases = {"SQLite": f"sqlite:///{folder / 'leads.sqlite3'}"}
        found = databases_bindir()
        if found is not None:
            cluster = Cluster(found)
            stack.callback(cluster.stop)
            databases["PostgreSQL"] = cluster.new_database()
        for name, url in databases.items():
            figures.append(_sync_figure(name, url, server.url, serving, rounds))
    return figures


def _sync_figure(name: str, url: str, api: str, serving: list[int], rounds: int) -> Figure:
    from wisepops.db import LeadStore

    total = serving[0]
    store = LeadStore(url)
    store.create()
    client = wisepops.Client(KEY, base_url=api)
    postgres = url.startswith("postgresql")
    http = httpx.Client(base_url=api, headers={"Authorization": f'WISEPOPS-API key="{KEY}"'})
    columns = [c.name for c in store.leads.columns]
    insert = (
        f"INSERT INTO wisepops_leads ({', '.join(columns)}) "  # noqa: S608 - our own names
        f"VALUES ({', '.join(['%s' if postgres else '?'] * len(columns))}) "
        "ON CONFLICT (dedupe_key) DO NOTHING"
    )

    def empty() -> None:
        with store.engine.begin() as connection:
            connection.exec_driver_sql("DELETE FROM wisepops_leads")
            connection.exec_driver_sql("DELETE FROM wisepops_sync")

    def sdk() -> int:
        empty()
        return store.sync(client).new

    def baseline() -> int:
        """By hand: GET by collected_after, json.loads, executemany of the same rows."""
        empty()
        raw = store.engine.raw_connection()
        try:
            count, params = 0, {"page_size": "1000"}
            while True:
                records = json.loads(http.get("/api2/contacts", params=params).content)
                rows = [hand_row(record, postgres, "api2") for record in records]
                cursor = raw.cursor()
                cursor.executemany(insert, rows)
                raw.commit()
                count += len(rows)
                if len(records) < 1000:
                    return count
                params["collected_after"] = records[-1]["collected_at"]
        finally:
            raw.close()

    assert sdk() == baseline() == total
    value = ratio(sdk, baseline, rounds, 1)
    start = time.perf_counter()
    sdk()
    rate = total / (time.perf_counter() - start)
    serving[0] = total // 10
    small = _peak(sdk)
    serving[0] = total
    large = _peak(sdk)
    store.engine.dispose()
    http.close()
    client.close()
    return Figure(
        f"LeadStore.sync, {total:,} records into {name} (loopback)",
        "httpx GETs by collected_after, json.loads, executemany of the same rows",
        "<= 1.3x; memory flat in n",
        f"{value:.2f}x, {rate:,.0f} records/s, peak {small:.1f} MiB at {total // 10:,} "
        f"and {large:.1f} MiB at {total:,}",
        value <= 1.3 and large < 2 * small + 1,
    )


def hand_row(record: dict[str, object], postgres: bool, source: str) -> tuple[object, ...]:
    """What hand-written code stores for an api2 record: the columns of wisepops_leads,
    computed as plainly (also the bare receiver's, in bare_receiver.py)."""
    fields = record["fields"]
    assert isinstance(fields, dict)
    email = fields.get("email")
    at = datetime.fromisoformat(str(record["collected_at"]).replace("Z", "+00:00"))
    identity = (
        f"{record['wisepop_id']}\x1f{at.isoformat(timespec='microseconds')}\x1femail\x1f{email}"
    )
    return (
        sha256(identity.encode()).hexdigest()[:32],
        at if postgres else at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        record["wisepop_id"],
        email,
        record.get("ip"),
        record.get("country_code"),
        record.get("form_session"),
        json.dumps(fields),
        "{}",
        source,
        "default",  # website
        datetime.now(timezone.utc) if postgres else time.strftime("%Y-%m-%d %H:%M:%S"),
    )


def _peak(run: Callable[[], object]) -> float:
    """Peak traced memory of ``run()``, in MiB."""
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def table(figures: list[Figure]) -> Iterator[str]:
    yield "| figure | baseline | budget | measured | within | load |"
    yield "| --- | --- | --- | --- | --- | --- |"
    for f in figures:
        within = "yes" if f.ok else "NO"
        yield f"| {f.name} | {f.baseline} | {f.budget} | {f.value} | {within} | {f.load} |"


def with_load(figures: list[Figure]) -> list[Figure]:
    """``figures``, each with the load average as it was measured."""
    load = f"{os.getloadavg()[0]:.2f}"
    return [attrs.evolve(figure, load=load) for figure in figures]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke run")
    args = parser.parse_args()
    rounds = 3 if args.quick else 15
    versions = f"Python {sys.version.split()[0]}, httpx {httpx.__version__}"
    print(f"wisepops {wisepops.__version__}, {versions}")
    measures: list[Callable[[], list[Figure]]] = [
        lambda: verify_figures(rounds),
        lambda: parse_figures(rounds),
        lambda: [iteration_figure(rounds)],
        lambda: [memory_figure(10_000 if args.quick else 100_000)],
        lambda: [import_figure(3 if args.quick else 11)],
        lambda: [concurrency_figure()],
        lambda: sync_figures(10_000 if args.quick else 100_000, 1 if args.quick else 3),
    ]
    figures = [figure for measure in measures for figure in with_load(measure())]
    print("\n".join(table(figures)))
    return 0 if all(f.ok for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
