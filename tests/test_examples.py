"""The receivers users copy, driven through each framework's own test client.

Each stores into a SQLite file of its own; the assertions read that file, as a user
would. ``test_receiver_processes.py`` runs the same files under real servers.
"""

from __future__ import annotations

import asyncio
import importlib
import io
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, NamedTuple

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import wisepops

from .receivers import KEY, TABLES, URL, load_django_receiver, load_receiver, rows

MAX = 1024 * 1024


class Reply(NamedTuple):
    status: int
    json: Any


Post = Callable[[bytes, dict[str, str]], Reply]


class Receiver(NamedTuple):
    post: Post
    database: str
    table: str

    def stored(self) -> list[dict[str, Any]]:
        return rows(self.database, self.table)


def flask_receiver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Receiver:
    database = tmp_path / "leads.sqlite3"
    client = load_receiver("flask", monkeypatch, database).app.test_client()

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, data=body, headers=headers)
        return Reply(response.status_code, response.get_json())

    return Receiver(post, str(database), TABLES["flask"])


def django_receiver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Receiver:
    from django.test import Client

    _, database = load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    client = Client(raise_request_exception=False)

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, data=body, content_type="application/json", headers=headers)
        text = response.content.decode()
        return Reply(response.status_code, json.loads(text) if text.startswith("{") else text)

    return Receiver(post, database, TABLES["django"])


def fastapi_receiver(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Receiver:
    from fastapi.testclient import TestClient

    database = tmp_path / "leads.sqlite3"
    client = TestClient(
        load_receiver("fastapi", monkeypatch, database).app, raise_server_exceptions=False
    )

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, content=body, headers=headers)
        is_json = response.headers["content-type"] == "application/json"
        return Reply(response.status_code, response.json() if is_json else response.text)

    return Receiver(post, str(database), TABLES["fastapi"])


@pytest.fixture(
    params=[flask_receiver, django_receiver, fastapi_receiver], ids=["flask", "django", "fastapi"]
)
def receiver(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Receiver:
    factory: Callable[[pytest.MonkeyPatch, Path], Receiver] = request.param
    return factory(monkeypatch, tmp_path)


@pytest.fixture
def vector(signature_vectors: list[dict[str, str]]) -> dict[str, str]:
    (api2,) = [v for v in signature_vectors if v["name"] == "api2-fields-shape"]
    return api2


def signed(body: bytes, signature: str | None = None) -> dict[str, str]:
    return {
        wisepops.SIGNATURE_HEADER: signature or wisepops.sign(body, KEY),
        "Content-Type": "application/json",
    }


def summary(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row in the same terms for every framework (Django writes dates its way)."""
    collected_at = datetime.fromisoformat(row["collected_at"]).replace(tzinfo=timezone.utc)
    return {
        "dedupe_key": row["dedupe_key"],
        "collected_at": collected_at,
        "wisepop_id": row["wisepop_id"],
        "email": row["email"],
        "ip": row["ip"],
        "country_code": row["country_code"],
        "form_session": row["form_session"],
        "fields": json.loads(row["fields"]),
    }


def test_a_php_signed_delivery_is_stored(receiver: Receiver, vector: dict[str, str]) -> None:
    body = vector["body"].encode()
    reply = receiver.post(body, signed(body, vector["signature"]))
    assert reply == Reply(200, {"received": 1, "new": 1})
    (contact,) = wisepops.parse_payload(body)
    assert [summary(row) for row in receiver.stored()] == [
        {
            "dedupe_key": contact.dedupe_key,
            "collected_at": datetime(2024, 5, 1, 8, tzinfo=timezone.utc),
            "wisepop_id": 98765,
            "email": "marie@example.fr",
            "ip": "203.0.113.7",
            "country_code": "FR",
            "form_session": "6a1f0c3e-3b7e-4a2b-9f1d-2c8e5b7a9d10",
            "fields": {"email": "marie@example.fr", "phone": "+33612345678", "Prénom": "Marie"},
        }
    ]


def test_a_redelivery_is_acknowledged_but_not_stored_twice(
    receiver: Receiver, vector: dict[str, str]
) -> None:
    body = vector["body"].encode()
    receiver.post(body, signed(body, vector["signature"]))
    assert receiver.post(body, signed(body)) == Reply(200, {"received": 1, "new": 0})
    assert len(receiver.stored()) == 1


def test_several_records_in_one_delivery(
    receiver: Receiver, signature_vectors: list[dict[str, str]]
) -> None:
    (api1,) = [v for v in signature_vectors if v["name"] == "seed-example-api1"]
    body = api1["body"].encode()
    assert receiver.post(body, signed(body)) == Reply(200, {"received": 2, "new": 2})
    assert [row["email"] for row in receiver.stored()] == ["jane@example.com", "john@example.com"]


def test_a_tampered_delivery_is_refused(receiver: Receiver, vector: dict[str, str]) -> None:
    body = vector["body"].replace("marie@", "mallory@").encode()
    assert receiver.post(body, signed(body, vector["signature"])).status == 401
    assert receiver.stored() == []


def test_an_unsigned_delivery_is_refused(receiver: Receiver, vector: dict[str, str]) -> None:
    reply = receiver.post(vector["body"].encode(), {"Content-Type": "application/json"})
    assert reply.status == 401
    assert receiver.stored() == []


def test_a_signed_but_malformed_delivery_is_a_400(receiver: Receiver) -> None:
    body = b'[{"email": "x@example.com", "wisepop_id": 1}]'
    reply = receiver.post(body, signed(body))
    assert reply == Reply(400, {"error": "record 0: 'collected_at' is missing"})


def test_a_body_of_exactly_the_cap_is_read_and_one_byte_more_is_a_413(
    receiver: Receiver,
) -> None:
    fits = b"[" + b" " * (MAX - 2) + b"]"  # an empty array, padded to 1 MiB
    assert receiver.post(fits, signed(fits)) == Reply(200, {"received": 0, "new": 0})
    beyond = b"[" + b" " * (MAX - 1) + b"]"
    assert receiver.post(beyond, signed(beyond)).status == 413


def record(**overrides: Any) -> dict[str, Any]:
    value = {"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@example.com"}
    value.update(overrides)
    return value


# Signed bodies a parser cannot read. Written as JSON text, since json.dumps cannot write
# most of them.
HOSTILE = {
    "wisepop_id beyond 64 bits": '"wisepop_id": 9223372036854775808',
    "NaN in the fields": '"fields": {"score": NaN}',
    "collected_at before year 1 in UTC": '"collected_at": "0001-01-01T00:00:00+01:00"',
    "collected_at after year 9999 in UTC": '"collected_at": "9999-12-31T23:59:59-01:00"',
}


def hostile_body(override: str) -> bytes:
    """A good record, then one with ``override`` in place of a good value of that key."""
    key = override.split('"')[1]
    good = json.dumps(record())
    bad = json.dumps({**record(email="b@example.com"), key: "HOLE"})
    bad = bad.replace(f'"{key}": "HOLE"', override)
    return f"[{good}, {bad}]".encode()


@pytest.mark.parametrize("override", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_signed_value_that_cannot_be_stored_is_a_400_and_stores_nothing(
    receiver: Receiver, override: str
) -> None:
    """The sender learns why (never a 500, which reads as the receiver's fault), and the
    good record beside the bad one is not stored either: the delivery is all or nothing."""
    body = hostile_body(override)
    reply = receiver.post(body, signed(body))
    assert reply.status == 400
    assert reply.json["error"]
    assert receiver.stored() == []


def test_what_the_sdk_does_not_model_is_stored_too(receiver: Receiver) -> None:
    """A 200 promises the delivery is kept: a new server key, or a value of a type the
    SDK does not expect, is stored in the extra column rather than dropped."""
    body = json.dumps([record(score={"nps": 9}, country_code=42)]).encode()
    assert receiver.post(body, signed(body)).status == 200
    (row,) = receiver.stored()
    assert row["country_code"] is None
    assert json.loads(row["extra"]) == {"score": {"nps": 9}, "country_code": 42}


any_text = st.text(st.characters(blacklist_categories=()), max_size=8)  # surrogates too
any_number = st.integers() | st.floats()  # beyond 64 bits, NaN, infinities
any_value: st.SearchStrategy[Any] = any_text | any_number | st.none()
stored_records = st.fixed_dictionaries(
    {
        "collected_at": st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
        "wisepop_id": st.integers(),
    },
    optional={
        "email": any_value,
        "ip": any_value,
        "country_code": any_value,
        "form_session": any_value,
        "fields": st.dictionaries(any_text, any_value, max_size=3),
    },
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(stored_records, max_size=3))
def test_any_signed_delivery_is_answered_200_or_400(
    receiver: Receiver, value: list[dict[str, Any]]
) -> None:
    """Never a 500, which would read as the receiver's fault: records the parser takes,
    with any text, number or date, are stored or refused with the reason."""
    body = json.dumps(value).encode()  # writes NaN, and lone surrogates as \\udxxx
    reply = receiver.post(body, signed(body))
    assert reply.status in (200, 400), reply


def test_a_database_that_fails_is_a_500_not_the_senders_fault(receiver: Receiver) -> None:
    """A 4xx would tell WisePops the delivery is bad; a 5xx says the receiver is, and
    WisePops retries it later."""
    body = json.dumps([record()]).encode()
    with closing(sqlite3.connect(receiver.database)) as db:
        db.execute(f"ALTER TABLE {receiver.table} RENAME TO moved_away")
        try:
            assert receiver.post(body, signed(body)).status == 500
        finally:  # Django's tests share one database
            db.execute(f"ALTER TABLE moved_away RENAME TO {receiver.table}")


def test_the_django_example_can_be_imported_twice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module, _ = load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    again = importlib.reload(module)
    assert again.urlpatterns[0].pattern.describe() == "'wisepops/'"


def test_the_django_example_refuses_get(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from django.test import Client

    load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    assert Client().get(URL, headers={"Host": "localhost"}).status_code == 405


def test_the_django_migration_matches_the_model(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A model changed without its migration would break ``migrate`` for users."""
    from django.core.management import call_command

    load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    call_command("makemigrations", "wisepops", check=True, dry_run=True, verbosity=0)


def test_django_answers_400_to_a_host_it_does_not_allow(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The trap the README warns of: with DEBUG=False, a delivery to a host missing from
    ALLOWED_HOSTS, such as the made-up host of a test, is refused with a bare 400."""
    from django.conf import settings

    from wisepops.testing import FakeWisepops

    module, _ = load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    fake = FakeWisepops(api_key=KEY)
    with fake.client() as client:
        client.hooks.create("https://myapp.example/wisepops/webhook")
    fake.collect(email="a@example.com")
    assert [r.status_code for r in fake.deliver(module.application)] == [400]
    monkeypatch.setattr(settings, "ALLOWED_HOSTS", [*settings.ALLOWED_HOSTS, "myapp.example"])
    assert [r.status_code for r in fake.deliver(module.application)] == [200]


def chunks(total: int) -> Iterator[bytes]:
    """``total`` bytes of JSON whitespace in 64 KiB pieces: sent chunked, no Content-Length."""
    piece = 64 * 1024
    for start in range(0, total, piece):
        yield b" " * min(piece, total - start)


async def asgi_post(app: Any, content: Any, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        return await client.post(URL, content=content, headers=headers)


def test_the_django_view_keeps_its_cap_under_asgi(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, vector: dict[str, str]
) -> None:
    """Copied into a project served by ASGI, where Django's own limit is 2.5 MiB and a
    chunked body is read whole: 1.5 MiB streamed is refused, a delivery is stored."""
    from django.core.asgi import get_asgi_application

    load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    app = get_asgi_application()

    async def streamed() -> AsyncIterator[bytes]:
        for chunk in chunks(MAX * 3 // 2):
            yield chunk

    assert asyncio.run(asgi_post(app, streamed(), {})).status_code == 413
    body = vector["body"].encode()
    response = asyncio.run(asgi_post(app, body, signed(body, vector["signature"])))
    assert (response.status_code, response.json()) == (200, {"received": 1, "new": 1})


def test_the_flask_cap_holds_for_a_chunked_body(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Werkzeug would cut the body at MAX_CONTENT_LENGTH and check the signature of what
    is left; the receiver refuses it instead."""
    module = load_receiver("flask", monkeypatch, tmp_path / "leads.sqlite3")
    body = b"[" + b" " * (2 * MAX) + b"]"
    response = module.app.test_client().post(
        URL,
        input_stream=io.BytesIO(body),
        headers={**signed(body), "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},  # as gunicorn and Werkzeug set
    )
    assert response.status_code == 413


def test_flask_under_a_server_that_cannot_read_a_chunked_body_answers_411(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, vector: dict[str, str]
) -> None:
    """Without wsgi.input_terminated, Werkzeug reads a body without Content-Length as
    empty: a genuine delivery would get a misleading 401."""
    module = load_receiver("flask", monkeypatch, tmp_path / "leads.sqlite3")
    body = vector["body"].encode()
    headers = {**signed(body, vector["signature"]), "Transfer-Encoding": "chunked"}
    response = module.app.test_client().post(URL, input_stream=io.BytesIO(body), headers=headers)
    assert response.status_code == 411


def test_the_fastapi_cap_holds_without_a_content_length(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A chunked upload declares no length: the receiver stops reading past the cap."""
    from fastapi.testclient import TestClient

    module = load_receiver("fastapi", monkeypatch, tmp_path / "leads.sqlite3")
    response = TestClient(module.app).post(URL, content=chunks(MAX * 5 // 4))
    assert response.status_code == 413
