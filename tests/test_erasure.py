"""A person's erasure (wisepops._erasure, through LeadStore.erase): every lead of theirs on
every website goes, their identifiers are kept only as keyed hashes, and neither a
redelivery nor a sync brings them back; on SQLite no byte of them is left in the files.
Every test taking ``database_url`` runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import wisepops
from wisepops import _erasure
from wisepops.db import LeadStore, StoreError
from wisepops.testing import FakeWisepops

from .conftest import API_KEY
from .websites import TwoWebsites

T0 = datetime(2024, 5, 2, 10, 11, 12, 345000, tzinfo=timezone.utc)
JANE = "jane.doe@example.com"
JANE_PHONE = "+33612345678"


def contact(n: int, **values: Any) -> wisepops.Contact:
    values.setdefault("email", f"user{n}@example.com")
    values.setdefault("fields", {"City": f"Town{n}"})
    return wisepops.Contact(collected_at=T0 + timedelta(seconds=n), wisepop_id=12345, **values)


def janes() -> list[wisepops.Contact]:
    """Jane under two spellings of one email, and a phone-only lead of hers."""
    return [
        contact(100, email=JANE, fields={"Name": "Jane Janeway", "City": "Zyxville"}),
        contact(101, email="  Jane.Doe@EXAMPLE.com ", fields={"Pet": "Quokkaloo"}),
        contact(102, email=None, fields={"phone": "+33 6 12 34 56 78", "Note": "Xenoberry"}),
    ]


def others() -> list[wisepops.Contact]:
    return [contact(n) for n in range(3)]


def emails(store: LeadStore) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.scalars(sa.select(store.leads.c.email).order_by("collected_at")))


# --- identifiers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Jane.Doe@EXAMPLE.com ", "jane.doe@example.com"),
        ("STRASSE@EXAMPLE.DE", "strasse@example.de"),
        ("not an email", None),
        ("jane@localhost", None),
        (42, None),
    ],
)
def test_an_email_is_trimmed_and_case_folded(text: object, expected: str | None) -> None:
    assert _erasure.email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        ("0033.6.12.34.56.78", "+33612345678"),
        ("06 12 34 56 78", None),  # no country code: not told apart from other digits
        ("2024-05-02", None),
        ("+33 6 12 34 56 78 90 12 34 56", None),  # beyond E.164's 15 digits
    ],
)
def test_a_phone_is_read_in_international_form(text: str, expected: str | None) -> None:
    assert _erasure.phone(text) == expected


def test_identifiers_are_found_in_the_email_and_in_any_value_at_any_depth() -> None:
    found = _erasure.identifiers(
        "Jane@Example.com",
        {"Contacts": [{"work": "+44 20 7946 0958"}], "City": "Paris", "n": 3},
        '{"tomorrow": "BOSS@example.com"}',  # a JSON column as a database returns it
    )
    assert found == {
        ("email", "jane@example.com"),
        ("phone", "+442079460958"),
        ("email", "boss@example.com"),
    }


@pytest.mark.parametrize(
    ("email", "phone", "says"),
    [
        (None, None, "give an email, a phone number or both"),
        ("jane", None, "not an email address: 'jane'"),
        (None, "0612345678", "not a phone number in international form"),
    ],
)
def test_an_erasure_of_no_one_or_of_a_malformed_identifier_is_refused_and_changes_nothing(
    store: LeadStore, email: str | None, phone: str | None, says: str
) -> None:
    store.add(janes())
    with pytest.raises(ValueError, match=says):
        store.erase(email=email, phone=phone)
    assert len(emails(store)) == 3


def test_the_hash_is_keyed_so_two_databases_keep_different_hashes() -> None:
    jane: _erasure.Identifier = ("email", JANE)
    one, other = _erasure.new_secret(), _erasure.new_secret()
    assert one != other
    assert _erasure.digest(one, jane) != _erasure.digest(other, jane)
    assert _erasure.digest(one, jane) == _erasure.digest(one, jane)
    assert len(_erasure.digest(one, jane)) == 64


# --- LeadStore.erase ---------------------------------------------------------------------


def test_a_person_is_erased_on_every_website_and_the_count_returned(store: LeadStore) -> None:
    store.add(others())
    store.add(janes()[:2], website="shop-fr")
    store.add(janes()[2:], website="shop-de")
    assert store.erase(email="JANE.DOE@example.com", phone=JANE_PHONE, dry_run=True) == 3
    assert len(emails(store)) == 6  # a dry run changes nothing
    assert store.erase(email="JANE.DOE@example.com", phone=JANE_PHONE) == 3
    assert emails(store) == [f"user{n}@example.com" for n in range(3)]
    assert store.erase(email=JANE) == 0  # again: nothing left


def test_an_email_alone_leaves_the_phone_only_lead_and_the_phone_erases_it(
    store: LeadStore,
) -> None:
    store.add(janes())
    assert store.erase(email=JANE) == 2
    assert emails(store) == [None]
    assert store.erase(phone="0033 6 12 34 56 78") == 1
    assert emails(store) == []


def test_neither_a_redelivery_nor_a_sync_brings_an_erased_person_back(store: LeadStore) -> None:
    store.add(janes() + others())
    store.erase(email=JANE, phone=JANE_PHONE)
    assert store.add(janes()) == 0  # WisePops retries a delivery
    assert store.add([*janes(), contact(7)]) == 1  # a body of both: the others are stored
    fake = FakeWisepops(API_KEY)
    for lead in [*janes(), contact(8, email="Other@example.com")]:
        fake.collect(
            email=lead.email, fields=lead.fields, collected_at=lead.collected_at, wisepop_id=1
        )
    fake.collect(email="JANE.DOE@example.com", fields={}, collected_at=T0 + timedelta(days=1))
    with fake.client() as client:
        result = store.sync(client)
    assert (result.new, result.seen) == (1, 5)  # listed, neither new nor an error
    assert sorted(e for e in emails(store) if e) == sorted(
        ["Other@example.com", "user7@example.com"] + [f"user{n}@example.com" for n in range(3)]
    )


def test_two_websites_synced_after_the_erasure_store_none_of_the_person(
    store: LeadStore,
) -> None:
    sites = TwoWebsites(leads=4)
    sites.fakes["shop-fr"].collect(email=JANE, collected_at=T0)
    sites.fakes["shop-de"].collect(email=JANE.upper(), collected_at=T0)
    store.erase(email=JANE)
    for name in sites.fakes:
        with sites.client(name) as client:
            store.sync(client, website=name)
    assert len(emails(store)) == 4
    assert not any(JANE in (e or "").casefold() for e in emails(store))


def test_the_identifiers_are_kept_only_as_hashes(store: LeadStore) -> None:
    store.add(janes())
    store.erase(email=JANE, phone=JANE_PHONE)
    with store.engine.connect() as connection:
        hashes = connection.execute(sa.text("SELECT hash FROM wisepops_suppressed")).all()
        secret, count = connection.execute(
            sa.text("SELECT secret, suppressed FROM wisepops_erasure")
        ).one()
    assert count == 2
    jane: list[_erasure.Identifier] = [("email", JANE), ("phone", JANE_PHONE)]
    assert sorted(str(h) for (h,) in hashes) == sorted(
        _erasure.digest(str(secret), found) for found in jane
    )


def test_an_erasure_while_another_thread_redelivers_is_never_undone(store: LeadStore) -> None:
    """The redelivery's check and insert are one transaction after the erasure's lock:
    whatever the interleaving, once ``erase`` returns no lead of the person is left."""
    store.add(others())
    stop = threading.Event()
    errors: list[BaseException] = []

    def redeliver() -> None:
        n = 1000
        try:
            while not stop.is_set():
                n += 1
                store.add([contact(n, email=JANE)])
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=redeliver)
    thread.start()
    try:
        while len(emails(store)) < 5:  # some of Jane's are in
            pass
        store.erase(email=JANE)
        assert JANE not in emails(store)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    assert emails(store) == [f"user{n}@example.com" for n in range(3)]


def test_writing_into_tables_made_before_erasure_says_to_call_create(database_url: str) -> None:
    with LeadStore(database_url) as store:
        store.create()
        with store.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE wisepops_suppressed"))
    with LeadStore(database_url) as store:
        with pytest.raises(StoreError, match="no table wisepops_suppressed: call LeadStore"):
            store.add(others())
        store.create()
        assert store.add(others()) == 3


# --- no bytes left (SQLite) --------------------------------------------------------------


def files_hold(folder: Path, text: str) -> list[str]:
    """The database files (the file, its -wal and -shm) that hold ``text`` in any case."""
    needle = text.casefold().encode("utf-8")
    return [p.name for p in sorted(folder.iterdir()) if needle in p.read_bytes().lower()]


def test_on_sqlite_no_byte_of_the_person_is_left_in_the_files(tmp_path: Path) -> None:
    """The person's email in any case and every field value of their rows, nowhere: not in
    the table's pages, nor on a free page or in a page's free space (where a row deleted
    without ``secure_delete``, the default of most SQLite builds, stays), nor in the WAL,
    nor in the index of ``dedupe_key``; while everyone else's data is all there."""
    url = f"sqlite:///{tmp_path / 'leads.sqlite3'}"
    store = LeadStore(url)
    store.create()
    theirs = [contact(n, fields={"City": f"Town{n}", "Bio": "Lorem" * n}) for n in range(300)]
    jane = [*janes(), contact(103, email=JANE, fields={"Diary": "Wombatwhisper" * 200})]
    store.add(theirs[:150] + jane + theirs[150:])
    with store.engine.begin() as connection:  # two of Jane's rows deleted by hand, earlier
        connection.exec_driver_sql("PRAGMA secure_delete=OFF")
        connection.execute(sa.text("DELETE FROM wisepops_leads WHERE email = :e"), {"e": JANE})
    assert files_hold(tmp_path, "Zyxville")  # the test looks where the bytes are
    assert files_hold(tmp_path, "Wombatwhisper")

    assert store.erase(email=JANE, phone=JANE_PHONE) == 2
    secrets = [JANE, "Jane Janeway", "Zyxville", "Quokkaloo", "Xenoberry", "Wombatwhisper"]
    secrets += [lead.dedupe_key for lead in jane]
    for secret in secrets:  # the store still open: its WAL is there
        assert files_hold(tmp_path, secret) == [], secret
    store.close()
    for secret in [*secrets, "+33 6 12 34 56 78"]:
        assert files_hold(tmp_path, secret) == [], secret
    for lead in (theirs[0], theirs[299]):
        assert files_hold(tmp_path, str(lead.email)) == ["leads.sqlite3"]
        assert files_hold(tmp_path, str(lead.fields["City"]) + '"') == ["leads.sqlite3"]


def test_on_sqlite_a_reader_left_open_is_said_and_erasing_again_scrubs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wisepops.db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # not 30 s of waiting
    url = f"sqlite:///{tmp_path / 'leads.sqlite3'}"
    with LeadStore(url) as store:
        store.create()
        store.add(janes() + others())
        reader = sqlite3.connect(tmp_path / "leads.sqlite3", isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT COUNT(*) FROM wisepops_leads").fetchall()  # a snapshot held
        try:
            with pytest.raises(StoreError, match="erased 3 leads and suppressed the person, but"):
                store.erase(email=JANE, phone=JANE_PHONE)
        finally:
            reader.close()
        assert store.erase(email=JANE) == 0  # nothing left to delete; the WAL is emptied
        assert files_hold(tmp_path, "Zyxville") == []
