"""What ``wisepops status`` computes, through ``LeadStore.status`` on SQLite and PostgreSQL:
leads by source, the last 24 hours and the 14-day chart, the last sync run, the last
webhook, the leads webhooks missed; and when a monitor is alarmed."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import attrs
import pytest

import wisepops
from wisepops import _status
from wisepops.db import LeadStore, Run, StoreError
from wisepops.testing import FakeWisepops

from .conftest import API_KEY

NOW = datetime(2024, 5, 15, 12, tzinfo=timezone.utc)


def lead(hours_ago: float, n: int) -> wisepops.Contact:
    return wisepops.Contact(
        collected_at=NOW - timedelta(hours=hours_ago), wisepop_id=1, email=f"u{n}@example.com"
    )


def test_leads_by_source_today_and_a_day_each_of_the_last_14(store: LeadStore) -> None:
    store.add([lead(1, 0), lead(30, 1)], website="shop-fr")  # today; the 14th; a webhook's
    store.add([lead(2, 2), lead(25, 3), lead(24 * 13 + 11, 4)], "api2", website="shop-fr")
    store.add([lead(24 * 14, 5)], "api1", website="shop-fr")  # before the chart's first day
    store.add([lead(1, 6)], website="shop-de")
    (status,) = store.status(["shop-fr"], now=NOW)
    assert (status.website, status.leads, dict(status.by_source)) == (
        "shop-fr",
        6,
        {"webhook": 2, "api1": 1, "api2": 3},
    )
    assert status.last_24h == 2  # 1 and 2 hours ago; 25 hours ago is not
    assert status.newest_collected_at == NOW - timedelta(hours=1)
    days = [day for day, _ in status.per_day]
    assert days[0] == datetime(2024, 5, 2).date()
    assert days[-1] == NOW.date()
    assert len(days) == 14
    assert status.per_day[-1][1] == {"webhook": 1, "api1": 0, "api2": 1}  # 11:00 and 10:00
    assert status.per_day[-2][1] == {"webhook": 1, "api1": 0, "api2": 1}  # 30 and 25 hours ago
    assert status.per_day[0][1] == {"webhook": 0, "api1": 0, "api2": 1}  # 13 days 11 h: 01:00
    assert sum(sum(counts.values()) for _, counts in status.per_day) == 5


def test_missed_counts_leads_a_sync_found_after_the_first_a_webhook_stored(
    store: LeadStore,
) -> None:
    """The first stored by a webhook, not the earliest collected: 20 and 21 are delivered
    first, then 5 and 6, late; the sync finds the rest. Missed: 22 to 29, 8 of them."""
    contacts = [lead(100 - n, n) for n in range(30)]
    store.add(contacts[20:22], website="shop-fr")
    store.add(contacts[5:7], website="shop-fr")
    store.add(contacts, "api2", website="shop-fr")
    store.add([lead(1, 99)], "api2", website="shop-de")  # no webhook there: none missed
    fr, de = store.status(["shop-fr", "shop-de"], now=NOW)
    assert (fr.missed_by_webhooks, de.missed_by_webhooks) == (8, 0)
    assert fr.by_source == {"webhook": 4, "api1": 0, "api2": 26}
    assert fr.last_webhook_at is not None
    assert de.last_webhook_at is None


def test_the_last_sync_is_the_latest_run_of_each_website(store: LeadStore) -> None:
    fake = FakeWisepops(API_KEY)
    fake.collect()
    with fake.client() as client:
        store.sync(client, website="shop-fr")
        store.sync(client, api="v1", website="shop-fr")
        store.sync(client, website="shop-de")
    fr, de, unknown = store.status(["shop-fr", "shop-de", "shop-it"], now=NOW)
    assert fr.last_sync == store.runs(website="shop-fr", limit=1)[0]
    assert fr.last_sync is not None
    assert fr.last_sync.api == "v1"
    assert de.last_sync == store.runs(website="shop-de", limit=1)[0]
    assert (unknown.leads, unknown.last_sync) == (0, None)
    assert [s.website for s in store.status()] == ["shop-de", "shop-fr"]  # the tables'


def test_status_reads_only_and_says_which_table_is_missing(database_url: str) -> None:
    with LeadStore(database_url) as store, pytest.raises(StoreError) as caught:
        store.status()
    assert "has no table wisepops_leads" in str(caught.value)
    with LeadStore(database_url) as store, pytest.raises(StoreError):
        store.status()  # still none: nothing was made


RUN = Run(
    id=1,
    website="shop-fr",
    api="v2",
    walk="{}",
    started_at=NOW - timedelta(minutes=10),
    finished_at=NOW - timedelta(minutes=9),
    new=690,
    seen=700,
    calls=1,
    error=None,
)
WORKING = _status.Status(
    website="shop-fr",
    leads=700,
    by_source={"webhook": 10, "api1": 0, "api2": 690},
    last_24h=700,
    newest_collected_at=NOW,
    last_sync=RUN,
    last_webhook_at=None,
    missed_by_webhooks=3,
    per_day=[],
)


@pytest.mark.parametrize(
    ("run", "max_age", "problem"),
    [
        (RUN, None, None),
        (RUN, timedelta(minutes=10), None),
        (RUN, timedelta(minutes=5), "the last sync finished 9 min ago, over 5m"),
        (None, None, "never synced"),
        (
            attrs.evolve(RUN, finished_at=None, new=None, seen=None, calls=None),
            None,
            "the last sync, started 2024-05-15 11:50:00Z, is unfinished: killed, or running",
        ),
        (
            attrs.evolve(RUN, error="AuthenticationError: HTTP 401"),
            None,
            "the last sync failed: AuthenticationError: HTTP 401",
        ),
    ],
)
def test_a_monitor_is_alarmed_unless_the_last_sync_finished_cleanly_and_recently(
    run: Run | None, max_age: timedelta | None, problem: str | None
) -> None:
    status = attrs.evolve(WORKING, last_sync=run)
    assert status.problem(NOW, max_age) == problem
    assert _status.exit_status([WORKING, status], NOW, max_age) == (0 if problem is None else 1)


def test_no_website_at_all_is_not_working() -> None:
    assert _status.exit_status([], NOW, None) == 1


def test_the_json_has_the_issues_keys_times_in_utc_and_nulls() -> None:
    assert WORKING.to_dict() == {
        "website": "shop-fr",
        "leads": 700,
        "by_source": {"webhook": 10, "api1": 0, "api2": 690},
        "last_24h": 700,
        "newest_collected_at": "2024-05-15T12:00:00Z",
        "last_sync": {
            "started_at": "2024-05-15T11:50:00Z",
            "finished_at": "2024-05-15T11:51:00Z",
            "new": 690,
            "seen": 700,
            "calls": 1,
            "error": None,
        },
        "last_webhook_at": None,
        "missed_by_webhooks": 3,
    }
    assert attrs.evolve(WORKING, last_sync=None).to_dict()["last_sync"] is None


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("1d", timedelta(days=1)),
    ],
)
def test_an_age_is_a_whole_number_and_a_unit(text: str, age: timedelta) -> None:
    assert _status.parse_age(text) == age
    assert _status.age_text(age) == text


@pytest.mark.parametrize("text", ["", "2", "h", "0s", "-1h", "1.5h", "2 h", "2H", "1w", "\uff12h"])
def test_anything_else_is_refused_naming_the_forms(text: str) -> None:
    with pytest.raises(ValueError, match=r"not an age such as 90s, 30m, 2h or 1d"):
        _status.parse_age(text)


def test_it_imports_neither_sqlalchemy_nor_django() -> None:
    code = (
        "import sys, wisepops._status; print(sorted({'sqlalchemy', 'django'} & set(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"
