"""``wisepops.django.models`` and its migration, in-process on the example's SQLite
database: the rows ``Lead.objects.store`` writes, and tables LeadStore made first."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import attrs
import pytest

import wisepops
from wisepops.db import LeadStore

from .receivers import load_django_receiver

BODY = b"""[
 {"collected_at": "2024-05-01T08:00:00.250Z", "wisepop_id": 1, "email": "a@x.com"},
 {"collected_at": "2024-05-01T08:00:00Z", "wisepop_id": 2, "ip": "\\ud800", "new_key": 1}
]"""


@pytest.fixture
def database(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    return load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")[1]


def stored(database: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(database)) as db:
        return db.execute(
            "SELECT dedupe_key, collected_at, wisepop_id, email, ip, fields, extra, source "
            "FROM wisepops_leads ORDER BY dedupe_key"
        ).fetchall()


def test_store_counts_what_is_new_and_writes_the_rows_leadstore_writes(
    database: str, tmp_path: Path
) -> None:
    from wisepops.django.models import Lead

    contacts = wisepops.parse_payload(BODY)
    assert Lead.objects.store([*contacts, contacts[0]]) == 2  # one body may repeat a record
    assert Lead.objects.store(contacts, "api2") == 0  # a redelivery, or a sync after it
    twin = tmp_path / "twin.sqlite3"
    with LeadStore(twin) as store:
        store.create()
        store.add(contacts)
    assert stored(database) == stored(str(twin))  # unstorable text in extra, as LeadStore
    extra = Lead.objects.filter(wisepop_id=2).values_list("extra", flat=True).get()
    assert extra == {"new_key": 1, "ip": "\ud800"}


def test_a_value_the_database_cannot_hold_stores_nothing_of_the_delivery(database: str) -> None:
    from wisepops.django.models import Lead

    good = wisepops.parse_payload(BODY)[0]
    too_big = attrs.evolve(good, wisepop_id=2**64)  # beyond a BIGINT
    with pytest.raises(OverflowError):
        Lead.objects.store([good, too_big])
    assert stored(database) == []


def test_migrate_adopts_tables_leadstore_made_first(database: str) -> None:
    """As after ``wisepops sync`` on a new database: ``migrate`` as it is, no
    ``--fake-initial``, and the rows stay."""
    from django.core.management import call_command

    from wisepops.django.models import Lead, SyncCursor

    call_command("migrate", "wisepops", "zero", verbosity=0)
    with LeadStore(database) as store:
        store.create()
        store.add(wisepops.parse_payload(BODY))
    call_command("migrate", "wisepops", verbosity=0)
    assert Lead.objects.count() == 2
    assert SyncCursor.objects.count() == 0
    with LeadStore(database) as store:
        store.create()  # and LeadStore still accepts them


def test_store_keeps_each_lead_under_its_website(database: str) -> None:
    from wisepops.django.models import Lead

    contacts = wisepops.parse_payload(BODY)
    assert Lead.objects.store(contacts[:1], website="shop-fr") == 1
    assert Lead.objects.store(contacts[1:]) == 1
    assert sorted(Lead.objects.values_list("website", flat=True)) == ["default", "shop-fr"]
    with pytest.raises(ValueError, match="not 'shop/fr'"):
        Lead.objects.store(contacts, website="shop/fr")


def test_migrate_upgrades_tables_of_the_layout_before_websites(database: str) -> None:
    """Tables the app's first migration (or LeadStore before websites) made, a lead in
    them: ``migrate`` adds the columns, the lead becomes the website ``default``'s, and
    LeadStore accepts the tables."""
    from django.core.management import call_command

    from wisepops.django.models import Lead

    call_command("migrate", "wisepops", "0001", verbosity=0)
    with closing(sqlite3.connect(database)) as db, db:
        db.execute(
            "INSERT INTO wisepops_leads (dedupe_key, collected_at, wisepop_id, extra, source, "
            "stored_at) VALUES ('k', '2024-05-01 08:00:00.000000', 1, '{}', 'webhook', "
            "'2024-05-01 08:00:00.000000')"
        )
    call_command("migrate", "wisepops", verbosity=0)
    assert list(Lead.objects.values_list("dedupe_key", "website")) == [("k", "default")]
    with LeadStore(database) as store:
        store.create()
        assert store.add(wisepops.parse_payload(BODY), website="shop-de") == 2
    Lead.objects.all().delete()


def test_migrate_adopts_the_columns_leadstore_added_first(database: str) -> None:
    from django.core.management import call_command

    from wisepops.django.models import Lead

    call_command("migrate", "wisepops", "0001", verbosity=0)
    with LeadStore(database) as store:
        store.create()  # upgrades the tables before migrate does
    call_command("migrate", "wisepops", verbosity=0)
    assert Lead.objects.store(wisepops.parse_payload(BODY), website="shop-fr") == 2
    Lead.objects.all().delete()
