"""``wisepops erase`` as a process, against two websites on one base URL and a SQLite
table: one line a part, what WisePops was asked, what went, and the status."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from wisepops.db import LeadStore

from .websites import T0, TwoWebsites, run_wisepops

JANE = "jane.doe@example.com"


@pytest.fixture
def sites() -> TwoWebsites:
    sites = TwoWebsites(leads=4)
    at = T0 + timedelta(seconds=100)
    sites.fakes["shop-fr"].collect(email=JANE, collected_at=at)
    sites.fakes["shop-de"].collect(fields={"phone": "+33612345678"}, collected_at=at, email=None)
    return sites


@pytest.fixture
def url(sites: TwoWebsites) -> Iterator[str]:
    with sites.serve() as url:
        yield url


@pytest.fixture
def db(tmp_path: Path, sites: TwoWebsites) -> str:
    """The leads table, synced from both websites: 4 of others, Jane's two."""
    url = f"sqlite:///{tmp_path / 'leads.sqlite3'}"
    with LeadStore(url) as store:
        store.create()
        for name in sites.fakes:
            with sites.client(name) as client:
                store.sync(client, website=name)
    return url


def erase(url: str, db: str, *args: str, **env: str) -> tuple[int, str, str]:
    """``wisepops erase`` as a process: its status, stdout and stderr, never a key."""
    status, out, err = run_wisepops(url, "erase", "--db", db, *args, **env)
    assert JANE not in (out + err).casefold()  # the person is never echoed
    return status, out, err


def leads(db: str) -> int:
    engine = sa.create_engine(db)
    with engine.connect() as connection:
        count: int = connection.exec_driver_sql("SELECT COUNT(*) FROM wisepops_leads").scalar_one()
    engine.dispose()
    return int(count)


def deletes(sites: TwoWebsites) -> list[tuple[str, bytes]]:
    return [
        (name, r.content)
        for name, fake in sites.fakes.items()
        for r in fake.requests
        if r.method == "DELETE"
    ]


def test_two_websites_are_each_asked_once_and_the_table_is_cleared(
    sites: TwoWebsites, url: str, db: str
) -> None:
    assert leads(db) == 6
    status, out, err = erase(
        url, db, "--email", JANE, "--phone", "+33 6 12 34 56 78", WISEPOPS_WEBSITES=sites.variable
    )
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        "shop-fr: WisePops erased the person (1 record)",
        "shop-de: WisePops erased the person (1 record)",
        "leads table: 2 leads erased; the person stays suppressed",
    ]
    sent = [b'{"email":"jane.doe@example.com","phone":"+33612345678"}']
    assert deletes(sites) == [("shop-fr", sent[0]), ("shop-de", sent[0])]
    assert leads(db) == 4


def test_a_dry_run_sends_nothing_changes_nothing_and_says_what_would_go(
    sites: TwoWebsites, url: str, db: str, tmp_path: Path
) -> None:
    before = (tmp_path / "leads.sqlite3").read_bytes()
    status, out, _ = erase(
        url, db, "--email", JANE.upper(), "--dry-run", WISEPOPS_WEBSITES=sites.variable
    )
    assert status == 0
    assert out.splitlines() == [
        "shop-fr: WisePops not asked (dry run)",
        "shop-de: WisePops not asked (dry run)",
        "leads table: 1 lead would go (dry run: nothing changed)",
    ]
    assert deletes(sites) == []
    assert (tmp_path / "leads.sqlite3").read_bytes() == before
    assert leads(db) == 6


def test_website_asks_only_that_one_and_still_clears_the_whole_table(
    sites: TwoWebsites, url: str, db: str
) -> None:
    status, out, _ = erase(
        url, db, "--email", JANE, "--website", "shop-de", WISEPOPS_WEBSITES=sites.variable
    )
    assert status == 0
    assert out.splitlines()[0] == "shop-de: WisePops erased the person (0 records)"
    assert [name for name, _ in deletes(sites)] == ["shop-de"]
    assert leads(db) == 5


def test_local_only_needs_no_key_and_asks_no_one(sites: TwoWebsites, url: str, db: str) -> None:
    status, out, _ = erase(url, db, "--phone", "+33612345678", "--local-only")
    assert (status, out) == (0, "leads table: 1 lead erased; the person stays suppressed\n")
    assert deletes(sites) == []


def test_a_part_that_fails_is_its_line_the_rest_is_done_and_the_status_is_1(
    sites: TwoWebsites, url: str, db: str
) -> None:
    websites = f"shop-it=it-key-0123456789,{sites.variable}"
    status, out, err = erase(url, db, "--email", JANE, WISEPOPS_WEBSITES=websites)
    assert status == 1
    assert err.splitlines() == [
        "wisepops: error: shop-it: WisePops did not erase the person: WisePops rejected the "
        "API key (401): check its key in $WISEPOPS_WEBSITES",
        "wisepops: error: 1 of 4 parts failed; the others are done, and the same command can "
        "be run again",
    ]
    assert out.splitlines()[-1] == "leads table: 1 lead erased; the person stays suppressed"
    assert leads(db) == 5


def test_a_database_file_that_is_not_there_is_a_failed_part_not_a_new_file(
    sites: TwoWebsites, url: str, tmp_path: Path
) -> None:
    missing = tmp_path / "typo.sqlite3"
    status, _, err = erase(url, str(missing), "--email", JANE, WISEPOPS_WEBSITES=sites.variable)
    assert status == 1
    assert f"leads table: nothing erased: no database file {missing}" in err
    assert not missing.exists()


def test_when_every_part_fails_it_does_not_say_the_others_are_done(
    url: str, tmp_path: Path
) -> None:
    status, _, err = erase(url, str(tmp_path / "typo.sqlite3"), "--email", JANE, "--local-only")
    assert status == 1
    assert err.splitlines()[-1] == (
        "wisepops: error: nothing was erased; the same command can be run again once the "
        "cause is mended"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give an email, a phone number or both"),
        (["--email", "jane"], "not an email address: 'jane'"),
        (["--phone", "0612345678"], "not a phone number in international form"),
        (["--email", JANE, "--website", "shop-it"], "no website named 'shop-it'"),
        (["--email", JANE, "--local-only", "--website", "shop-fr"], "not with --local-only"),
    ],
)
def test_bad_arguments_are_status_2_in_one_line_and_nothing_is_sent(
    sites: TwoWebsites, url: str, db: str, args: list[str], says: str
) -> None:
    status, out, err = erase(url, db, *args, WISEPOPS_WEBSITES=sites.variable)
    assert (status, out) == (2, "")
    assert err.startswith("wisepops erase: error: ")
    assert says in err
    assert err.count("\n") == 1
    assert deletes(sites) == []
    assert leads(db) == 6


def test_a_sync_after_the_erasure_stores_none_of_the_person(
    sites: TwoWebsites, url: str, db: str
) -> None:
    erase(url, db, "--email", JANE, "--local-only")
    with LeadStore(db) as store:  # WisePops still lists her: she was erased here only
        store.sync(sites.client("shop-fr"), website="shop-fr", collected_after=T0)
    assert leads(db) == 5
