"""wisepops/_wire/records.py: Contact, Hook, Popup and Page as values: frozen, hashable,
picklable, with a dedupe_key and to_dict()/to_json()."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest

import wisepops
from wisepops import Contact, Hook, Page, Popup
from wisepops._wire.decode import from_json, list_from_json

from .conftest import record

UTC = timezone.utc


def test_records_are_frozen_values() -> None:
    contact = from_json(Contact, record(1), 0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        contact.email = "other@example.com"  # type: ignore[misc]
    assert contact == from_json(Contact, record(1), 0)
    assert len({contact, from_json(Contact, record(1), 0)}) == 1


def test_dedupe_key_is_stable_and_distinguishes_records() -> None:
    api1 = from_json(Contact, record(1), 0)
    same_in_api2_shape = from_json(
        Contact,
        {
            "collected_at": "2024-01-01T02:00:01.123+02:00",
            "wisepop_id": 12345,
            "fields": {"email": "user1@example.com"},
        },
        0,
    )
    assert api1.dedupe_key == same_in_api2_shape.dedupe_key
    assert len(api1.dedupe_key) == 32
    assert "user1" not in api1.dedupe_key
    others = [record(2), record(1, wisepop_id=1), record(1, email="x@example.com")]
    keys = {from_json(Contact, other, 0).dedupe_key for other in others}
    assert api1.dedupe_key not in keys
    assert len(keys) == 3


def test_dedupe_key_uses_the_fields_when_there_is_no_email() -> None:
    def phone(number: str, **change: Any) -> Contact:
        value = {"collected_at": "2024-01-01T00:00:01.123Z", "wisepop_id": 9, **change}
        value.setdefault("fields", {"phone": number, "Consent": "yes"})
        return from_json(Contact, value, 0)

    first = phone("+33612345678", form_session="a")
    reordered = phone("", fields={"Consent": "yes", "phone": "+33612345678"}, form_session="b")
    assert first.dedupe_key == reordered.dedupe_key  # key order and form_session aside
    assert first.dedupe_key != phone("+33699999999").dedupe_key
    assert first.dedupe_key != phone("+33612345678", wisepop_id=10).dedupe_key
    later = phone("+33612345678", collected_at="2024-01-01T00:00:01.124Z")
    assert first.dedupe_key != later.dedupe_key


def test_dedupe_key_is_the_same_by_api1_api2_and_webhook() -> None:
    api1 = record(4, other_fields={"City": "Paris"})
    api2 = {
        "collected_at": "2024-01-01T00:00:04.123Z",
        "wisepop_id": 12345,
        "ip": "127.0.0.1",
        "country_code": "US",
        "form_session": "0f6c",  # api1 has none: it is not part of the key
        "fields": {"City": "Paris", "email": "user4@example.com"},
    }
    webhook = wisepops.parse_payload(json.dumps([api2]).replace("/", "\\/"))
    keys = {from_json(Contact, api1, 0).dedupe_key, from_json(Contact, api2, 0).dedupe_key}
    keys.add(webhook[0].dedupe_key)
    assert len(keys) == 1


def test_every_record_and_page_has_to_dict_and_to_json() -> None:
    hook = Hook(id=1, target_url="https://x.example/h", event="email")
    popup = Popup(id=2, created_at=datetime(2024, 1, 1, tzinfo=UTC), extra={"new": 1})
    page = Page(items=(from_json(Contact, record(1), 0),), page=1, page_size=100)
    assert hook.to_dict() == {
        "id": 1,
        "target_url": "https://x.example/h",
        "event": "email",
        "wisepop_id": None,
    }
    assert popup.to_dict()["created_at"] == "2024-01-01T00:00:00Z"
    assert popup.to_dict()["extra"] == {"new": 1}
    assert json.loads(page.to_json()) == {
        "page": 1,
        "page_size": 100,
        "has_next": False,
        "items": [page.items[0].to_dict()],
    }
    for value in (hook, popup, page):
        assert isinstance(value.to_json(), str)
        assert json.loads(value.to_json()) == value.to_dict()


def test_page_is_iterable_and_knows_whether_more_may_follow() -> None:
    one, two = (
        Hook(id=1, target_url="https://a.example", event="email"),
        Hook(id=2, target_url="https://a.example", event="email"),
    )
    full: Page[Hook] = Page(items=(one, two), page=1, page_size=2)
    short: Page[Hook] = Page(items=(one,), page=3, page_size=2)
    assert list(full) == [one, two]
    assert len(full) == 2
    assert full.has_next
    assert not short.has_next


def test_hook_holds_what_was_sent() -> None:
    hook = Hook(id=1, target_url="https://x.example/h", event="email")
    assert hook.wisepop_id is None


@pytest.mark.parametrize(
    "value", [record(1), record(2, score=9)], ids=["the usual shape", "with a key of its own"]
)
def test_records_pickle_and_copy_as_values(value: dict[str, Any]) -> None:
    """Job queues and process pools pickle what they are handed."""
    (contact,) = list_from_json(Contact, [value])
    assert pickle.loads(pickle.dumps(contact)) == contact
    assert copy.deepcopy(contact) == contact
    assert attrs.evolve(contact, email="x@example.com").extra == contact.extra
    popup = from_json(Popup, {"id": 1, "label": "x", "new_metric": 3}, 0)
    assert pickle.loads(pickle.dumps(popup)) == popup


def test_the_extra_of_a_usual_record_is_one_dict_and_stays() -> None:
    (contact,) = list_from_json(Contact, [record(1)])
    assert contact.extra == {}
    assert contact.extra is contact.extra
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        contact.extra = {"x": 1}  # type: ignore[misc]
