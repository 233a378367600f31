"""The Flask and FastAPI receivers store through ``LeadStore`` into ``wisepops_leads``, the
table ``wisepops sync`` fills, on SQLite and on a real PostgreSQL (each test taking
``database_url`` runs on both); and they refuse to start on a database they cannot use.

``test_examples.py`` holds what every receiver, Django's included, answers on SQLite.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, NamedTuple, Protocol

import pytest
import sqlalchemy as sa

import wisepops
from wisepops.db import LeadStore
from wisepops.testing import FakeWisepops

from .receivers import EXAMPLES, KEY, URL, load_receiver
from .test_receiver_processes import READY_WITHIN, SERVERS, environment, free_port, started

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


class Reply(NamedTuple):
    status: int
    json: Any


class Send(Protocol):
    def __call__(self, body: bytes, headers: dict[str, str], path: str = URL) -> Reply: ...


class Receiver(NamedTuple):
    send: Send  # posts a body with these headers to the app, in-process
    store: LeadStore  # the one the app writes through

    def post(self, body: bytes) -> Reply:
        """``body``, signed."""
        return self.send(body, {wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)})

    def stored(self) -> list[dict[str, Any]]:
        """Every row, oldest lead first, as SQLAlchemy reads the store's table."""
        with self.store.engine.connect() as connection:
            query = sa.select(self.store.leads).order_by("collected_at")
            return [dict(row) for row in connection.execute(query).mappings()]


@contextlib.contextmanager
def flask_sender(app: Any) -> Iterator[Send]:
    client = app.test_client()

    def send(body: bytes, headers: dict[str, str], path: str = URL) -> Reply:
        response = client.post(path, data=body, headers=headers)
        return Reply(response.status_code, response.get_json())

    yield send


@contextlib.contextmanager
def fastapi_sender(app: Any) -> Iterator[Send]:
    from fastapi.testclient import TestClient

    with TestClient(app, raise_server_exceptions=False) as client:

        def send(body: bytes, headers: dict[str, str], path: str = URL) -> Reply:
            response = client.post(path, content=body, headers=headers)
            is_json = response.headers["content-type"] == "application/json"
            return Reply(response.status_code, response.json() if is_json else response.text)

        yield send


SENDERS: dict[str, Callable[[Any], contextlib.AbstractContextManager[Send]]] = {
    "flask": flask_sender,
    "fastapi": fastapi_sender,
}


@pytest.fixture(params=SENDERS)
def receiver(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[Receiver]:
    module = load_receiver(request.param, monkeypatch, database_url)
    with SENDERS[request.param](module.app) as send:
        yield Receiver(send, module.store)
    module.store.engine.dispose()


@pytest.fixture
def two_websites(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> Receiver:
    """The receiver, with ``WISEPOPS_WEBSITES`` naming two websites."""
    for name in SENDERS:
        module = sys.modules.get(f"examples.{name}_receiver")
        if module is not None:
            monkeypatch.setattr(module, "WEBSITES", wisepops.read_websites(WEBSITES))
    return receiver


WEBSITES = {"shop-fr": "fr-key-0123456789abcdef", "shop-de": "de-key-0123456789abcdef"}
DELIVERY = b'[{"collected_at": "2024-05-01T08:00:00Z", "wisepop_id": 1, "email": "a@x.com"}]'


def signed(key: str) -> dict[str, str]:
    return {wisepops.SIGNATURE_HEADER: wisepops.sign(DELIVERY, key)}


def test_a_websites_url_takes_its_own_key_only_and_stores_under_its_name(
    two_websites: Receiver,
) -> None:
    send = two_websites.send
    de = f"{URL}/shop-de"
    assert send(DELIVERY, signed(WEBSITES["shop-fr"]), de) == (
        401,
        {"error": "invalid or missing signature"},
    )
    assert send(DELIVERY, signed(WEBSITES["shop-de"]), de) == (200, {"received": 1, "new": 1})
    assert send(DELIVERY, signed(KEY), f"{URL}/shop-it") == (404, {"error": "no such website"})
    assert [row["website"] for row in two_websites.stored()] == ["shop-de"]


def test_the_plain_url_stores_under_the_website_whose_key_signed(
    two_websites: Receiver,
) -> None:
    send = two_websites.send
    second = DELIVERY.replace(b"a@x.com", b"b@x.com")
    assert send(DELIVERY, signed(WEBSITES["shop-fr"])).status == 200
    assert (
        send(second, {wisepops.SIGNATURE_HEADER: wisepops.sign(second, WEBSITES["shop-de"])})[0]
        == 200
    )
    assert send(DELIVERY, signed(KEY)).status == 401  # no website has this key
    assert [(r["email"], r["website"]) for r in two_websites.stored()] == [
        ("a@x.com", "shop-fr"),
        ("b@x.com", "shop-de"),
    ]


def test_one_website_is_default_on_either_url(receiver: Receiver) -> None:
    assert receiver.send(DELIVERY, signed(KEY), f"{URL}/default").status == 200
    assert [row["website"] for row in receiver.stored()] == ["default"]


def test_an_erased_persons_redelivery_is_a_200_and_nothing_is_stored(receiver: Receiver) -> None:
    """WisePops retries until it gets a 2xx: an erased person's delivery is acknowledged,
    counted neither new nor an error, and not stored, on either URL; others' still are."""
    assert receiver.post(DELIVERY) == (200, {"received": 1, "new": 1})
    assert receiver.store.erase(email=" A@X.com") == 1
    assert receiver.post(DELIVERY) == (200, {"received": 1, "new": 0})
    assert receiver.send(DELIVERY, signed(KEY), f"{URL}/default") == (
        200,
        {"received": 1, "new": 0},
    )
    other = DELIVERY.replace(b"a@x.com", b"b@x.com")
    assert receiver.post(other) == (200, {"received": 1, "new": 1})
    assert [row["email"] for row in receiver.stored()] == ["b@x.com"]


def test_a_webhook_and_a_sync_of_the_same_leads_leave_one_row_each(
    receiver: Receiver, database_url: str
) -> None:
    """Two of five leads come by webhook, then a sync lists all five: five rows, and the
    sync counts as new only the three the receiver missed."""
    fake = FakeWisepops(KEY)
    with fake.client() as client:
        client.v2.hooks.create("http://localhost/wisepops/webhook")
        for n in range(5):
            fake.collect(email=f"user{n}@example.com", collected_at=T0 + timedelta(seconds=n))
        delivered = fake.deliveries[1::2]
        answers = [receiver.post(delivery.body) for delivery in delivered]
        assert answers == [Reply(200, {"received": 1, "new": 1})] * 2
        assert receiver.post(delivered[0].body) == Reply(200, {"received": 1, "new": 0})  # again
        sync = LeadStore(database_url)
        result = sync.sync(client)
        sync.engine.dispose()
    assert (result.new, result.seen) == (3, 5)
    rows = receiver.stored()
    assert [row["source"] for row in rows] == ["api2", "webhook", "api2", "webhook", "api2"]
    assert [row["dedupe_key"] for row in rows] == [c.dedupe_key for c in fake.contacts]
    assert [(row["collected_at"], row["email"]) for row in rows] == [
        (c.collected_at, c.email) for c in fake.contacts
    ]
    assert all(row["collected_at"].tzinfo is timezone.utc for row in rows)


def test_a_text_no_database_holds_is_kept_in_extra_and_acknowledged(receiver: Receiver) -> None:
    """A lone surrogate or a NUL cannot go in a text column (PostgreSQL refuses both):
    the value goes to ``extra`` as sent, so the 200 drops nothing, and the sender is not
    told to give up on a lead it collected."""
    body = (
        b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, '
        b'"email": "\\ud800@example.com", "form_session": "a\\u0000b", '
        b'"fields": {"x\\u0000": "\\udfff"}}]'
    )
    assert receiver.post(body) == Reply(200, {"received": 1, "new": 1})
    (row,) = receiver.stored()
    assert (row["email"], row["form_session"]) == (None, None)
    assert row["extra"] == {"email": "\ud800@example.com", "form_session": "a\x00b"}
    assert row["fields"] == {"x\x00": "\udfff"}
    assert receiver.post(body) == Reply(200, {"received": 1, "new": 0})  # the same lead


def test_what_a_parser_refuses_is_a_400_and_nothing_is_stored(receiver: Receiver) -> None:
    good = {"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@example.com"}
    body = f'[{json.dumps(good)}, {{"collected_at": "2024-01-01T00:00:00Z"}}]'.encode()
    assert receiver.post(body) == Reply(400, {"error": "record 1: 'wisepop_id' is missing"})
    unsigned = receiver.send(body, {})
    assert unsigned == Reply(401, {"error": "invalid or missing signature"})
    assert receiver.stored() == []


def test_a_database_that_fails_is_a_500(receiver: Receiver) -> None:
    """A 5xx says the receiver is at fault, and WisePops retries; never a 4xx."""
    body = json.dumps([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1}]).encode()
    with receiver.store.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE wisepops_leads RENAME TO moved_away")
    assert receiver.post(body).status == 500
    with receiver.store.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE moved_away RENAME TO wisepops_leads")
    assert receiver.post(body) == Reply(200, {"received": 1, "new": 1})  # once it is back


STARTS = {name: SERVERS[name] for name in ("flask-script", "flask-gunicorn", "fastapi-uvicorn")}


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX servers and signals")
@pytest.mark.parametrize("server", STARTS.values(), ids=STARTS.keys())
@pytest.mark.parametrize(
    ("database", "says"),
    [
        ("/no/such/folder/leads.sqlite3", "the folder /no/such/folder does not exist"),
        ("postgresql://leads:s3cret@127.0.0.1:{port}/leads", "Connection refused"),
        ("sqlite:///file:{tmp}/leads.sqlite3?mode=ro&uri=true", "write a readonly database"),
    ],
    ids=["a path in no folder", "a PostgreSQL that does not answer", "a read-only URL"],
)
def test_a_receiver_whose_database_cannot_be_used_refuses_to_start(
    server: Any, database: str, says: str, tmp_path: Path
) -> None:
    """As for a missing key: one line naming the variable and the reason, the password
    hidden, and gunicorn stops rather than boot worker after worker."""
    database = database.format(port=free_port(), tmp=tmp_path)  # nothing listens there
    with LeadStore(tmp_path / "leads.sqlite3") as store:  # what the read-only URL opens
        store.create()
    argv = [arg.format(port=free_port()) for arg in server.argv]
    log = tmp_path / "server.log"
    env = environment(tmp_path, WISEPOPS_API_KEY=KEY, WISEPOPS_DB=database)
    with started(argv, env, log) as process:
        status = process.wait(timeout=READY_WITHIN)
    output = log.read_text()
    (line,) = [line for line in output.splitlines() if line.startswith("WISEPOPS_DB: ")]
    assert status != 0
    assert line.startswith("WISEPOPS_DB: cannot use ")
    assert says in line
    assert "s3cret" not in output
    if "gunicorn" not in argv:
        assert output == line + "\n"


@pytest.mark.parametrize("name", SENDERS)
def test_the_names_a_receivers_docstring_lists_are_all_a_copy_needs(name: str) -> None:
    """The view and the names its docstring lists, with the imports: ``ruff --select F``
    finds nothing undefined but the app, which a project has its own of."""
    source = (EXAMPLES / f"{name}_receiver.py").read_text()
    module = ast.parse(source)
    listed = set(re.findall(r"``(\w+)``", source.split("\n\n")[1]))
    assert {"store", "WEBSITES"} <= listed
    copied = [
        node
        for node in module.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
        or {
            target.id if isinstance(target, ast.Name) else target.name
            for target in ast.walk(node)
            if isinstance(target, (ast.Name, ast.FunctionDef, ast.AsyncFunctionDef))
            and isinstance(getattr(target, "ctx", ast.Store()), ast.Store)
        }
        & (listed | {"wisepops_webhook"})
    ]
    copy = "\n\n".join(ast.unparse(node) for node in copied)
    checked = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F821", "--output-format", "json",
         "--stdin-filename", "copy.py", "-"],
        input=copy, capture_output=True, text=True, check=False,
    )  # fmt: skip
    undefined = {finding["message"] for finding in json.loads(checked.stdout)}
    assert undefined == {"Undefined name `app`"}
