"""wisepops.db.LeadStore: every lead once, from webhooks and from the API, on SQLite and on
a real PostgreSQL (every test taking ``database_url`` runs on both)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import QueuePool

import wisepops
from wisepops._leads import LEAD_COLUMNS, SYNC_COLUMNS
from wisepops.db import LEADS_TABLE, Api, LeadStore, StoreError, _column
from wisepops.testing import FakeWisepops

from .conftest import API_KEY
from .websites import T0 as SITES_T0
from .websites import TwoWebsites

T0 = datetime(2024, 5, 2, 10, 11, 12, 345000, tzinfo=timezone.utc)


def contact(n: int, **values: Any) -> wisepops.Contact:
    values.setdefault("email", f"user{n}@example.com")
    return wisepops.Contact(collected_at=T0 + timedelta(seconds=n), wisepop_id=12345, **values)


def stored(store: LeadStore) -> list[wisepops.Contact]:
    """The rows, read back as the contacts they came from, oldest first."""
    names = [f.name for f in fields()]
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(store.leads).order_by("collected_at")).mappings()
        return [
            wisepops.Contact(**{name: row[name] for name in names}, extra=row["extra"])
            for row in rows
        ]


def fields() -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(wisepops.Contact) if f.name != "extra"]


def column(store: LeadStore, name: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.scalars(sa.select(store.leads.c[name]).order_by("collected_at")))


def test_add_stores_each_contact_once_and_says_how_many_were_new(store: LeadStore) -> None:
    delivery = [contact(0), contact(1)]
    assert store.add(delivery) == 2
    assert store.add(delivery) == 0  # WisePops delivered it again
    assert store.add([contact(1), contact(2), contact(2)]) == 1
    assert [c.email for c in stored(store)] == [f"user{n}@example.com" for n in range(3)]
    assert column(store, "source") == ["webhook"] * 3


def test_rows_read_back_equal_the_records_non_ascii_included(store: LeadStore) -> None:
    contacts = [
        contact(0, ip="203.0.113.7", country_code="CH", fields={"City": "Zürich", "Name": "Zoë"}),
        contact(1, email="相田@例え.jp", fields={"Städte": ["東京", "🙂"], "n": 3, "ok": True}),
        contact(2, email=None, form_session="s-1", fields={"phone": "+33 6 12 34 56 78"}),
        contact(3, extra={"tomorrow": {"nested": [1, 2.5, None]}}),
    ]
    store.add(contacts)
    assert stored(store) == contacts
    assert all(c.collected_at.tzinfo is timezone.utc for c in stored(store))


def test_a_text_no_database_holds_goes_to_extra_and_nothing_is_lost(store: LeadStore) -> None:
    hostile = contact(0, email="a\x00b", ip="\ud800", fields={"x": "\x00\udc00"})
    assert store.add([hostile]) == 1
    [row] = stored(store)
    assert (row.email, row.ip) == (None, None)
    assert row.extra == {"email": "a\x00b", "ip": "\ud800"}
    assert row.fields == {"x": "\x00\udc00"}
    assert store.add([hostile]) == 0  # still the same lead


def test_collected_at_is_a_timestamp_in_utc(store: LeadStore, database_url: str) -> None:
    store.add([contact(0)])
    with store.engine.connect() as connection:
        if database_url.startswith("postgresql"):
            kind = connection.scalar(
                sa.text(
                    "SELECT data_type FROM information_schema.columns "
                    "WHERE table_name = :t AND column_name = 'collected_at'"
                ),
                {"t": LEADS_TABLE},
            )
            assert kind == "timestamp with time zone"
            connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")
        raw = connection.exec_driver_sql("SELECT collected_at FROM wisepops_leads").scalar()
    if isinstance(raw, str):  # SQLite: the UTC wall time, sortable as text
        assert raw == "2024-05-02 10:11:12.345000"
    else:
        assert raw == T0
    assert column(store, "collected_at") == [T0]


def test_the_columns_are_the_records_declaration(store: LeadStore) -> None:
    names = [c["name"] for c in sa.inspect(store.engine).get_columns(LEADS_TABLE)]
    assert names == [
        "dedupe_key",
        *(f.name for f in fields()),
        "extra",
        "source",
        "website",
        "stored_at",
    ]


def test_create_twice_changes_nothing(store: LeadStore) -> None:
    store.add([contact(0)])
    store.create()
    assert store.add([contact(0)]) == 0


def test_writing_before_create_says_to_call_it(database_url: str) -> None:
    store = LeadStore(database_url)
    with pytest.raises(StoreError, match=r"no table wisepops_leads: call LeadStore.create\(\)"):
        store.add([contact(0)])
    store.close()


def test_a_table_of_another_layout_is_refused_with_the_difference(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            f"CREATE TABLE {LEADS_TABLE} (dedupe_key VARCHAR(32) PRIMARY KEY, "
            "collected_at VARCHAR(40), email TEXT, owner TEXT NOT NULL)"
        )
    store = LeadStore(engine)
    with pytest.raises(StoreError) as caught:
        store.create()
    message = str(caught.value)
    assert "wisepops_leads" in message
    assert "collected_at is VARCHAR(40), not DATETIME" in message
    assert "no column wisepop_id" in message
    assert "a column owner that must be filled" in message
    with pytest.raises(StoreError):
        store.add([contact(0)])
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM wisepops_leads").scalar() == 0
    engine.dispose()


def test_a_column_of_your_own_that_may_stay_empty_is_fine(database_url: str) -> None:
    store = LeadStore(database_url)
    store.create()
    with store.engine.begin() as connection:
        connection.exec_driver_sql(f"ALTER TABLE {LEADS_TABLE} ADD COLUMN crm_id TEXT")
    fresh = LeadStore(store.engine)
    assert fresh.add([contact(0)]) == 1
    store.close()


def test_eight_threads_adding_overlapping_deliveries_store_each_once(store: LeadStore) -> None:
    contacts = [contact(n) for n in range(200)]
    errors: list[BaseException] = []
    new: list[int] = []

    def deliver(worker: int) -> None:
        try:
            for start in range(0, 200, 20):  # every worker sends every record, in batches
                batch = contacts[(start + worker * 20) % 200 :][:20]
                new.append(store.add(batch))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(new) == 200
    assert stored(store) == contacts


def test_eight_stores_creating_the_tables_at_once_all_succeed(database_url: str) -> None:
    """As the workers of several receivers and a sync do, started together on an empty
    database: without taking turns, all but one failed on SQLite and most on PostgreSQL."""
    assert created_at_once(database_url) == []


def created_at_once(database_url: str, count: int = 8) -> list[BaseException]:
    """What ``count`` stores calling ``create()`` at the same instant raised."""
    stores = [LeadStore(database_url) for _ in range(count)]
    start = threading.Barrier(len(stores))
    errors: list[BaseException] = []

    def create(store: LeadStore) -> None:
        start.wait()
        try:
            store.create()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    return errors


@pytest.mark.parametrize("hook_api", ["api1", "api2"])
def test_a_webhook_and_a_sync_of_the_same_lead_leave_one_row(
    store: LeadStore, hook_api: str
) -> None:
    fake = FakeWisepops(API_KEY)
    with fake.client() as client:
        hooks = client.hooks if hook_api == "api1" else client.v2.hooks
        hooks.create("https://receiver.example/hook")
        for n in range(5):
            fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(seconds=n))
        for delivery in fake.deliveries[1::2]:  # the receiver got two of the five
            signature = delivery.headers[wisepops.SIGNATURE_HEADER]
            assert store.add(wisepops.unwrap(delivery.body, signature, API_KEY)) == 1
        result = store.sync(client)
    assert (result.new, result.seen, result.calls) == (3, 5, 1)
    assert [c.dedupe_key for c in stored(store)] == [c.dedupe_key for c in fake.contacts]
    assert column(store, "source") == ["api2", "webhook", "api2", "webhook", "api2"]


@pytest.mark.parametrize("api", ["v1", "v2"])
def test_a_sync_resumes_where_the_last_one_stopped(store: LeadStore, api: Api) -> None:
    fake = FakeWisepops(API_KEY)
    for n in range(2500):
        fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(seconds=n // 3))
    with fake.client(max_retries=0) as client:
        fake.fail_next(500, after=2)  # the third page fails: the run stops there
        with pytest.raises(wisepops.InternalServerError):
            store.sync(client, api=api)
        first = len(stored(store))
        assert 0 < first < 2500  # what the first two pages held is kept
        result = store.sync(client, api=api)
        assert result.new == 2500 - first
        assert len(stored(store)) == 2500
        again = store.sync(client, api=api)
    assert (again.new, again.seen, again.calls) == (0, 0, 1)
    assert again.cursor == result.cursor
    assert again.cursor.collected_at == fake.contacts[-1].collected_at


def test_each_filter_keeps_its_own_cursor(store: LeadStore) -> None:
    fake = FakeWisepops(API_KEY)
    for n in range(6):
        fake.collect(wisepop_id=1 + n % 2, collected_at=T0 + timedelta(seconds=n))
    with fake.client() as client:
        assert store.sync(client, wisepop_id=1).new == 3
        assert store.sync(client, wisepop_id=2).new == 3
        assert store.sync(client, collected_after=T0 + timedelta(seconds=3)).seen == 2
        assert store.sync(client, api="v1").seen == 6
        assert store.sync(client, wisepop_id=1).calls == 1


def test_sync_takes_a_client_and_a_known_api(store: LeadStore) -> None:
    fake = FakeWisepops(API_KEY)
    with pytest.raises(TypeError, match=r"takes a wisepops\.Client, not AsyncClient"):
        store.sync(fake.async_client())  # type: ignore[arg-type]
    with fake.client() as client, pytest.raises(ValueError, match='"v1" or "v2", not \'v3\''):
        store.sync(client, api="v3")  # type: ignore[arg-type]


def test_a_path_is_a_sqlite_database_and_the_url_shows_no_password(tmp_path: Path) -> None:
    store = LeadStore(tmp_path / "leads.sqlite3")
    store.create()
    assert (tmp_path / "leads.sqlite3").exists()
    store.close()
    secret = LeadStore("postgresql://user:s3cret@db.example/leads")
    assert repr(secret) == "LeadStore('postgresql+psycopg://user:***@db.example/leads')"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("nonsense://", "no driver for nonsense"),
        ("postgresq://u@h/db", "no driver for postgresq: a URL starts sqlite:// or postgresql://"),
        ("postgresql://u@h:5543x/db", "not a database URL: its port is not a number: '5543x'"),
        ("sqlite://leads.sqlite3", "not a database URL: Invalid SQLite URL: sqlite://leads.sqlite3"
         " (a file is sqlite:///relative/path or sqlite:////absolute/path)"),
        ("sqlite:////no/such/folder/leads.sqlite3",
         "cannot use sqlite:////no/such/folder/leads.sqlite3: the folder /no/such/folder does "
         "not exist"),
        ("sqlite:////proc/leads.sqlite3",
         "cannot use sqlite:////proc/leads.sqlite3: the folder /proc is not writable here"),
    ],
)  # fmt: skip
def test_a_database_that_cannot_be_used_is_a_store_error_in_one_line(url: str, says: str) -> None:
    """What the CLI prints after "wisepops: error: ": one line that says what to fix."""
    with pytest.raises(StoreError) as caught:
        LeadStore(url).create()
    message = str(caught.value)
    assert message.startswith(says)
    assert "\n" not in message
    if "postgresq:" in url:
        assert "pip install" not in message  # the extra is installed: a typo, not a driver


def test_import_wisepops_never_imports_sqlalchemy_and_the_db_module_names_the_extra() -> None:
    code = (
        "import sys, wisepops; assert 'sqlalchemy' not in sys.modules\n"
        "sys.modules['sqlalchemy'] = None\n"
        "try:\n    import wisepops.db\nexcept ModuleNotFoundError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert 'pip install "wisepops[db]"' in out


def pooled(engine: sa.Engine) -> int:
    """How many open connections wait in the engine's pool."""
    assert isinstance(engine.pool, QueuePool)
    return engine.pool.checkedin()


def test_close_ends_the_stores_own_engine_and_leaves_yours_open(database_url: str) -> None:
    with LeadStore(database_url) as store:
        store.create()
        store.add([contact(0)])
        assert pooled(store.engine) == 1  # a connection, pooled
    assert pooled(store.engine) == 0
    yours = sa.create_engine(database_url)
    with LeadStore(yours) as borrowed:
        assert borrowed.add([contact(1)]) == 1
    assert pooled(yours) == 1  # still yours to use, and to dispose
    yours.dispose()


def websites_of(store: LeadStore) -> dict[str, set[str]]:
    """Each website's ``dedupe_key``s, as a query by website reads them."""
    found: dict[str, set[str]] = {}
    with store.engine.connect() as connection:
        for row in connection.execute(sa.select(store.leads.c.website, store.leads.c.dedupe_key)):
            found.setdefault(row.website, set()).add(row.dedupe_key)
    return found


def test_add_and_sync_store_each_lead_under_its_website(store: LeadStore) -> None:
    sites = TwoWebsites(leads=6)
    fr = sites.fakes["shop-fr"].contacts
    assert store.add(fr[:1], website="shop-fr") == 1  # a delivery
    with sites.client("shop-fr") as shop_fr, sites.client("shop-de") as shop_de:
        assert store.sync(shop_fr, website="shop-fr").new == 2
        assert store.sync(shop_de, website="shop-de").new == 3
        again = [store.sync(shop_fr, website="shop-fr"), store.sync(shop_de, website="shop-de")]
    assert websites_of(store) == {
        "shop-fr": sites.keys("shop-fr"),
        "shop-de": sites.keys("shop-de"),
    }
    assert [(r.new, r.calls, r.restarted) for r in again] == [(0, 1, False)] * 2
    assert store.add(wisepops.parse_payload(b"[]")) == 0
    assert column(store, "source")[0] == "webhook"


def test_a_website_name_of_other_characters_is_refused_before_any_write(
    store: LeadStore,
) -> None:
    with pytest.raises(ValueError, match="not 'shop fr'"):
        store.add([contact(0)], website="shop fr")
    with FakeWisepops(API_KEY).client() as client, pytest.raises(ValueError, match="not ''"):
        store.sync(client, website="")
    assert stored(store) == []


def test_a_cursor_made_with_another_key_is_walked_again_and_every_lead_of_both_stored(
    store: LeadStore,
) -> None:
    """The issue's silent loss: website A's key, then B's, into one database and one
    website name; B's leads, interleaved in time with A's, were never stored."""
    sites = TwoWebsites(leads=10)
    with sites.client("shop-fr") as a, sites.client("shop-de") as b:
        first = store.sync(a)
        second = store.sync(b)
        third = store.sync(b)
    assert (first.new, first.restarted) == (5, False)
    assert (second.new, second.seen, second.restarted) == (5, 5, True)
    assert "key changed: walked again from the start" in second.summary()
    assert (third.new, third.calls, third.restarted) == (0, 1, False)  # B's cursor, resumed
    assert websites_of(store) == {"default": sites.keys("shop-fr") | sites.keys("shop-de")}


def test_a_cursor_walked_again_with_since_starts_from_since(store: LeadStore) -> None:
    sites = TwoWebsites(leads=10)
    since = SITES_T0 + timedelta(seconds=4)
    with sites.client("shop-fr") as a, sites.client("shop-de") as b:
        store.sync(a, collected_after=since)
        again = store.sync(b, collected_after=since)
    assert (again.seen, again.restarted) == (3, True)  # B's leads at 5, 7 and 9 seconds


OLD_LAYOUT = {"website", "key_fingerprint"}  # the columns the layout before websites lacks


def old_layout(database_url: str) -> None:
    """The tables as the version before websites made them, a lead and a cursor in them."""
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    metadata = sa.MetaData()
    for name, columns in ((LEADS_TABLE, LEAD_COLUMNS), ("wisepops_sync", SYNC_COLUMNS)):
        sa.Table(name, metadata, *(_column(c) for c in columns if c.name not in OLD_LAYOUT))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:  # as LeadStore.create() left the file
            connection.exec_driver_sql("PRAGMA journal_mode=WAL")
    metadata.create_all(engine)
    old = '{"api": "v2", "collected_after": null, "wisepop_id": null}'
    with engine.begin() as connection:
        connection.execute(
            metadata.tables[LEADS_TABLE]
            .insert()
            .values(
                dedupe_key="k" * 32,
                collected_at=T0,
                wisepop_id=1,
                extra={},
                source="webhook",
                stored_at=T0,
            )
        )
        connection.execute(
            metadata.tables["wisepops_sync"]
            .insert()
            .values(walk=old, cursor=wisepops.Cursor().to_json(), updated_at=T0)
        )
    engine.dispose()


def test_a_table_of_the_layout_before_websites_is_upgraded_and_keeps_its_row(
    database_url: str,
) -> None:
    old_layout(database_url)
    store = LeadStore(database_url)
    with pytest.raises(StoreError, match=r"no column website: call create\(\)"):
        store.add([contact(0)])  # not written to before create() upgrades it
    store.create()
    assert column(store, "website") == ["default"]
    assert store.add([contact(0)], website="shop-fr") == 1
    with FakeWisepops(API_KEY).client() as client:
        assert store.sync(client).calls == 1
    store.close()


def test_eight_stores_upgrading_the_same_old_tables_at_once_all_succeed(
    database_url: str,
) -> None:
    old_layout(database_url)
    assert created_at_once(database_url) == []
    with LeadStore(database_url) as store:
        assert column(store, "website") == ["default"]


_CREATE_WHEN_TOLD = """
import os, sys, time
from wisepops.db import LeadStore
store = LeadStore(sys.argv[1])
ready, go = sys.argv[2], sys.argv[3]
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.0005)
store.create()
store.close()
"""


def test_eight_rounds_of_eight_processes_creating_a_store_on_a_new_sqlite_file_all_start(
    tmp_path: Path,
) -> None:
    """gunicorn's workers, each starting on a fresh file at the same instant: switching the
    new file to WAL must wait its turn like every other write, not fail "database is locked"."""
    for round_ in range(8):
        folder = tmp_path / f"round{round_}"
        folder.mkdir()
        url, go = f"sqlite:///{folder / 'leads.sqlite3'}", folder / "go"
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", _CREATE_WHEN_TOLD, url, str(folder / f"ready{n}"), str(go)],
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(8)
        ]
        while len(list(folder.glob("ready*"))) < 8:
            time.sleep(0.005)
        go.touch()
        said = [(w.communicate(timeout=120)[1], w.returncode) for w in workers]
        failures = [err for err, status in said if status != 0]
        assert failures == [], f"round {round_}: {failures[0]}"


def read_only(path: Path) -> str:
    """A URL that opens ``path`` read-only (as a read-only file would, also for root)."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_a_read_only_sqlite_file_is_a_store_error_in_one_line(tmp_path: Path) -> None:
    """What a user catches: StoreError, not the driver's sqlite3.OperationalError."""
    path = tmp_path / "leads.sqlite3"
    with LeadStore(path) as store:
        store.create()
    with LeadStore(read_only(path)) as store, pytest.raises(StoreError) as caught:
        store.add([contact(1)])
    assert "readonly" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_engine_made_by_sqlalchemys_pysqlite_recipe_creates_adds_and_syncs(
    tmp_path: Path,
) -> None:
    """SQLAlchemy's documented recipe for SQLite transactions: the driver in autocommit,
    and BEGIN emitted by a "begin" event."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'leads.sqlite3'}")

    @sa.event.listens_for(engine, "connect")
    def do_connect(dbapi_connection: Any, connection_record: Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def do_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    store = LeadStore(engine)
    store.create()
    assert store.add([contact(1), contact(2)]) == 2
    fake = FakeWisepops(API_KEY)
    fake.collect(email="synced@example.com")
    with fake.client() as client:
        assert store.sync(client).new == 1
    assert len(stored(store)) == 3
    engine.dispose()


def test_check_writable_refuses_a_read_only_store_and_leaves_a_writable_one_as_it_was(
    store: LeadStore, tmp_path: Path
) -> None:
    store.check_writable()
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM wisepops_sync").scalar() == 0
    path = tmp_path / "leads.sqlite3"
    with LeadStore(path) as created:
        created.create()
    with LeadStore(read_only(path)) as refused, pytest.raises(StoreError) as caught:
        refused.check_writable()
    assert "readonly database" in str(caught.value)
