"""AsyncClient under trio: requests over loopback, real waits between retries, timeouts."""

from __future__ import annotations

import pytest
import trio

import wisepops
import wisepops._client
from wisepops.testing import FakeWisepops

from .clients import call
from .conftest import API_KEY, REAL_SLEEPS


@pytest.fixture
def real_sleeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the autouse ``sleeps`` fixture: the clients really wait."""
    monkeypatch.setattr(wisepops._client, "_sleep", REAL_SLEEPS[0])
    monkeypatch.setattr(wisepops._client, "_async_sleep", REAL_SLEEPS[1])


@pytest.mark.usefixtures("real_sleeps")
def test_a_retry_under_trio_really_waits_then_succeeds() -> None:
    fake = FakeWisepops(api_key=API_KEY)
    fake.collect(email="a@example.com")
    fake.fail_next(503, retry_after="0.05")

    async def main(url: str) -> tuple[list[str | None], float]:
        async with wisepops.AsyncClient(API_KEY, base_url=url) as client:
            started = trio.current_time()
            page = await client.v2.contacts.list()
            return [contact.email for contact in page], trio.current_time() - started

    with fake.serve() as url:
        emails, elapsed = trio.run(main, url)
    assert emails == ["a@example.com"]
    assert len(fake.requests) == 2
    assert elapsed >= 0.05


@pytest.mark.usefixtures("real_sleeps")
def test_a_timeout_under_trio_is_an_api_timeout_error() -> None:
    fake = FakeWisepops(api_key=API_KEY)
    fake.time_out_next()

    async def main(url: str) -> None:
        async with wisepops.AsyncClient(API_KEY, base_url=url, timeout=0.3, max_retries=0) as c:
            with trio.fail_after(10):  # the SDK's timeout must fire first
                await c.emails.list()

    with fake.serve() as url, pytest.raises(wisepops.APITimeoutError):
        trio.run(main, url)


def test_iteration_and_the_escape_hatch_under_trio() -> None:
    fake = FakeWisepops()
    for n in range(5):
        fake.collect(email=f"u{n}@example.com")
    fake.fail_next(500, path="/api2/contacts", after=1)  # page 2 fails once, then works
    contacts = call("trio", lambda c: c.v2.contacts.iter(page_size=2), fake=fake)
    assert [contact.email for contact in contacts] == [f"u{n}@example.com" for n in range(5)]
    popups = call("trio", lambda c: c.with_options(max_retries=0).request("GET", "/api2/wisepops"),
                  fake=fake)  # fmt: skip
    assert popups.json() == []
