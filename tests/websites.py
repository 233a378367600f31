"""Two websites of one account on one base URL: each request goes to the fake whose key
it carries, as WisePops answers each website's key with that website's leads and hooks."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

import wisepops
from wisepops._loopback import LoopbackServer
from wisepops.testing import FakeWisepops

FR_KEY = "fr0123456789abcdef0123456789abcd"
DE_KEY = "de0123456789abcdef0123456789abcd"
T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


class TwoWebsites:
    """``shop-fr`` and ``shop-de``, their leads interleaved in time; any other key is
    answered by ``shop-fr``'s fake, which refuses it (401)."""

    def __init__(self, leads: int = 0) -> None:
        self.fakes = {"shop-fr": FakeWisepops(FR_KEY), "shop-de": FakeWisepops(DE_KEY)}
        self.by_auth = {f'WISEPOPS-API key="{fake.api_key}"': fake for fake in self.fakes.values()}
        for n in range(leads):
            self.collect("shop-fr" if n % 2 == 0 else "shop-de", n)

    def collect(self, website: str, n: int) -> None:
        """One lead of ``website``, ``n`` seconds after T0: the two websites' alternate."""
        self.fakes[website].collect(
            email=f"{website}-{n}@example.com", collected_at=T0 + timedelta(seconds=n)
        )

    @property
    def variable(self) -> str:
        """``WISEPOPS_WEBSITES`` for the two."""
        return ",".join(f"{name}={fake.api_key}" for name, fake in self.fakes.items())

    def keys(self, name: str) -> set[str]:
        return {c.dedupe_key for c in self.fakes[name].contacts}

    def calls(self, name: str) -> int:
        """The listing requests ``name``'s fake answered."""
        return sum(r.url.path.startswith("/api2/contacts") for r in self.fakes[name].requests)

    def handle(self, request: httpx.Request) -> httpx.Response:
        fake = self.by_auth.get(request.headers.get("Authorization", ""), self.fakes["shop-fr"])
        return fake.handle(request)

    def client(self, name: str, **options: Any) -> wisepops.Client:
        return wisepops.Client(
            api_key=self.fakes[name].api_key,
            base_url="https://app.wisepops.test",
            http_client=httpx.Client(transport=httpx.MockTransport(self.handle)),
            **options,
        )

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        with LoopbackServer(self.handle) as server:
            yield server.url


def run_wisepops(url: str, *argv: str, **env: str) -> tuple[int, str, str]:
    """``wisepops ARGV`` as a process against ``url``, with only ``env``: its status,
    stdout and stderr, which never hold either website's key."""
    done = subprocess.run(
        [sys.executable, "-m", "wisepops", *argv],
        env={"PATH": "", "WISEPOPS_BASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    for key in (FR_KEY, DE_KEY):
        assert key not in done.stdout + done.stderr
    return done.returncode, done.stdout, done.stderr
