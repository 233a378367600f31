from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import httpx
import pytest

import wisepops._client
from wisepops.testing import FakeWisepops

from .databases import database_url, postgres, store  # noqa: F401 - fixtures, for every module
from .receivers import OPENED
from .servers import playing

# Started in the background of a script (as a CI runner may), the suite inherits SIGINT
# ignored, and so would every command it starts: the tests that stop one with Ctrl-C
# would wait out their timeouts. A handler of Python's own is reset to the default in a
# child, so each command reacts to Ctrl-C as it does in a terminal.
signal.signal(signal.SIGINT, signal.default_int_handler)

API_KEY = "0123456789abcdef0123456789abcdef"
BASE_URL = "https://app.wisepops.com"
AUTH = f'WISEPOPS-API key="{API_KEY}"'
SDK_AGENT = f"wisepops-python/{wisepops.__version__}"


def record(n: int = 0, **overrides: Any) -> dict[str, Any]:
    """An api1 record, as /api1/emails and api1 webhooks send it."""
    value: dict[str, Any] = {
        "collected_at": f"2024-01-01T00:{n // 60 % 60:02d}:{n % 60:02d}.123Z",
        "email": f"user{n}@example.com",
        "wisepop_id": 12345,
        "ip": "127.0.0.1",
        "country_code": "US",
        "other_fields": {"City": "New York"},
    }
    value.update(overrides)
    return value


def records(start: int, count: int) -> list[dict[str, Any]]:
    return [record(n) for n in range(start, start + count)]


def api2_record(n: int) -> dict[str, Any]:
    """An api2 record, as /api2/contacts sends it: the email inside ``fields``."""
    return {
        "collected_at": f"2024-05-01T08:{n // 60 % 60:02d}:{n % 60:02d}.000Z",
        "wisepop_id": 98765,
        "ip": "203.0.113.7",
        "country_code": "FR",
        "form_session": f"session-{n}",
        "fields": {"email": f"c{n}@example.fr", "phone": "+33612345678"},
    }


def fail_then_succeed(*failures: httpx.Response | Exception) -> list[httpx.Response | Exception]:
    """A respx ``side_effect``: each of ``failures`` in turn, then a 200 with no records."""
    return [*failures, httpx.Response(200, json=[])]


REAL_SLEEPS = (wisepops._client._sleep, wisepops._client._async_sleep)


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The clients' waits between retries, recorded instead of slept."""
    waited: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(wisepops._client, "_sleep", waited.append)
    monkeypatch.setattr(wisepops._client, "_async_sleep", async_sleep)
    return waited


@pytest.fixture(autouse=True)
def _no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own key, base URL or proxy must not leak into the tests."""
    for name in ("WISEPOPS_API_KEY", "WISEPOPS_WEBSITES", "WISEPOPS_BASE_URL", "WISEPOPS_DB"):
        monkeypatch.delenv(name, raising=False)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):  # the tests use loopback only
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> FakeWisepops:
    """An empty ``FakeWisepops`` that expects ``API_KEY``.

    Parametrized indirectly with a server reading of ``tests/servers.py``, as in
    ``@pytest.mark.parametrize("fake", SERVERS, indirect=True)``, it plays that server.
    """
    server: Optional[str] = getattr(request, "param", None)
    return FakeWisepops(API_KEY) if server is None else playing(server, API_KEY)


@pytest.fixture
def served(fake: FakeWisepops, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The ``fake`` on loopback, and the environment the command line reads."""
    with fake.serve() as url:
        monkeypatch.setenv("WISEPOPS_API_KEY", fake.api_key)
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        yield url


@pytest.fixture(autouse=True)
def _close_receiver_stores() -> Iterator[None]:
    """Close what a test's receiver stored through (tests/receivers.py)."""
    yield
    while OPENED:
        OPENED.pop().close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def signature_vectors() -> list[dict[str, str]]:
    """Bodies, keys and the signatures PHP's hash_hmac computes (copied from shared/)."""
    vectors: list[dict[str, str]] = json.loads(
        (Path(__file__).parent / "data" / "signature-vectors.json").read_text("utf-8")
    )
    return vectors
