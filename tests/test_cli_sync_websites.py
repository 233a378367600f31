"""``wisepops sync`` over every website of ``WISEPOPS_WEBSITES``, against two websites
with different keys and different leads on one base URL (the issue's checks)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from .websites import DE_KEY, FR_KEY, TwoWebsites, run_wisepops


@pytest.fixture
def sites() -> TwoWebsites:
    return TwoWebsites(leads=2500)  # 1,250 each: two pages each


@pytest.fixture
def url(sites: TwoWebsites) -> Iterator[str]:
    with sites.serve() as url:
        yield url


def sync(url: str, tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    """``wisepops sync`` as a process: its status, stdout and stderr, never a key."""
    return run_wisepops(url, "sync", "--db", str(tmp_path / "l.sqlite3"), *args, **env)


def by_website(tmp_path: Path) -> dict[str, set[str]]:
    """``SELECT website, dedupe_key FROM wisepops_leads``, grouped: each key once."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'l.sqlite3'}")
    found: dict[str, set[str]] = {}
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT website, dedupe_key FROM wisepops_leads").all()
    engine.dispose()
    for row in rows:
        found.setdefault(str(row.website), set()).add(str(row.dedupe_key))
    assert sum(map(len, found.values())) == len(rows)
    return found


def test_every_website_is_synced_once_under_its_name_then_costs_a_call_each(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    status, out, err = sync(url, tmp_path, WISEPOPS_WEBSITES=sites.variable)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "shop-fr: 1,250 new of 1,250 seen in 2 calls; the next run starts after "
        "2024-05-01T08:41:38.000Z",
        "shop-de: 1,250 new of 1,250 seen in 2 calls; the next run starts after "
        "2024-05-01T08:41:39.000Z",
    ]
    assert by_website(tmp_path) == {
        "shop-fr": sites.keys("shop-fr"),
        "shop-de": sites.keys("shop-de"),
    }
    assert (sites.calls("shop-fr"), sites.calls("shop-de")) == (2, 2)

    status, out, _ = sync(url, tmp_path, WISEPOPS_WEBSITES=sites.variable)
    assert status == 0
    assert [line.split(";")[0] for line in out.splitlines()] == [
        "shop-fr: 0 new of 0 seen in 1 call",
        "shop-de: 0 new of 0 seen in 1 call",
    ]
    assert (sites.calls("shop-fr"), sites.calls("shop-de")) == (3, 3)

    status, out, _ = sync(url, tmp_path, "--website", "shop-de", WISEPOPS_WEBSITES=sites.variable)
    assert (status, out.count("\n")) == (0, 1)
    assert out.startswith("0 new of 0 seen in 1 call")  # one website synced: its line alone
    assert (sites.calls("shop-fr"), sites.calls("shop-de")) == (3, 4)


def test_one_key_then_another_into_one_database_stores_both_keys_leads(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    """The issue's silent loss: the second run printed 0 new and exited 0."""
    assert sync(url, tmp_path, WISEPOPS_API_KEY=FR_KEY)[0] == 0
    status, out, _ = sync(url, tmp_path, WISEPOPS_API_KEY=DE_KEY)
    assert status == 0
    assert out.startswith(
        "1,250 new of 1,250 seen in 2 calls; key changed: walked again from the start; "
    )
    assert by_website(tmp_path) == {"default": sites.keys("shop-fr") | sites.keys("shop-de")}


def test_a_website_with_a_wrong_key_is_named_and_the_other_synced_in_full(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    wrong = f"shop-fr=wrong0123456789abcdef0123456789,shop-de={DE_KEY}"
    status, out, err = sync(url, tmp_path, WISEPOPS_WEBSITES=wrong)
    assert status == 1
    assert err == (
        "wisepops: error: shop-fr: WisePops rejected the API key (401): check its key in "
        "$WISEPOPS_WEBSITES\n"
    )
    assert out.startswith("shop-de: 1,250 new of 1,250 seen in 2 calls;")
    assert by_website(tmp_path) == {"shop-de": sites.keys("shop-de")}


def test_a_website_not_configured_is_a_usage_error(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    status, out, err = sync(url, tmp_path, "--website", "shop-it", WISEPOPS_WEBSITES=sites.variable)
    assert (status, out) == (2, "")
    assert "no website named 'shop-it'; the websites are shop-fr, shop-de" in err
    assert not (tmp_path / "l.sqlite3").exists()


def test_a_malformed_variable_is_one_line_naming_it(url: str, tmp_path: Path) -> None:
    status, _, err = sync(url, tmp_path, WISEPOPS_WEBSITES=f"shop fr={FR_KEY}")
    assert status == 1
    assert err.startswith("wisepops: error: WISEPOPS_WEBSITES: entry 1: a website's name")
    assert err.count("\n") == 1


def test_api_key_means_the_one_website_default(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    status, out, _ = sync(url, tmp_path, "--api-key", DE_KEY, WISEPOPS_WEBSITES=sites.variable)
    assert status == 0
    assert out.startswith("1,250 new of 1,250 seen")  # one website: no name before the line
    assert by_website(tmp_path) == {"default": sites.keys("shop-de")}
