"""Records: parsing both shapes leniently, strict where data would be corrupted."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import wisepops
from wisepops import Contact, Hook, Page, Popup
from wisepops._wire.decode import RecordError, from_json, list_from_json
from wisepops._wire.times import format_datetime, parse_datetime

from .conftest import record

UTC = timezone.utc


def test_api1_record() -> None:
    contact = from_json(Contact, record(5, created_at="2019-01-01", wisepop_name="Old"), 0)
    assert contact == Contact(
        collected_at=datetime(2024, 1, 1, 0, 0, 5, 123000, tzinfo=UTC),
        wisepop_id=12345,
        email="user5@example.com",
        ip="127.0.0.1",
        country_code="US",
        fields={"City": "New York"},
    )
    assert not hasattr(contact, "created_at")
    assert not hasattr(contact, "wisepop_name")


def test_api2_record_takes_the_email_from_fields() -> None:
    contact = from_json(
        Contact,
        {
            "collected_at": "2024-05-01T08:00:00.000Z",
            "wisepop_id": 98765,
            "form_session": "6a1f0c3e",
            "fields": {"email": "marie@example.fr", "phone": "+33612345678"},
        },
        0,
    )
    assert contact.email == "marie@example.fr"
    assert contact.fields == {"email": "marie@example.fr", "phone": "+33612345678"}
    assert contact.form_session == "6a1f0c3e"


def test_php_quirks_empty_array_and_nulls() -> None:
    contact = from_json(
        Contact,
        {
            "collected_at": "2024-01-01T00:00:00Z",
            "wisepop_id": 1,
            "email": None,
            "ip": None,
            "other_fields": [],
        },
        0,
    )
    assert contact.fields == {}
    assert contact.email is None
    assert contact.ip is None


def test_unknown_keys_are_kept_in_extra_and_deprecated_ones_dropped() -> None:
    contact = from_json(
        Contact,
        record(0, brand_new_field={"x": 1}, score=7, created_at="2019-01-01", wisepop_name="Old"),
        0,
    )
    assert contact.email == "user0@example.com"
    assert contact.extra == {"brand_new_field": {"x": 1}, "score": 7}
    (fast,) = list_from_json(Contact, [record(0, score=7)])
    assert fast.extra == {"score": 7}


@pytest.mark.parametrize(
    ("change", "field", "extra"),
    [
        ({"email": 42}, "email", {"email": 42}),
        ({"ip": ["127.0.0.1"]}, "ip", {"ip": ["127.0.0.1"]}),
        ({"country_code": True}, "country_code", {"country_code": True}),
        ({"form_session": {"id": "s"}}, "form_session", {"form_session": {"id": "s"}}),
        ({"other_fields": "x"}, "fields", {"other_fields": "x"}),
        ({"other_fields": [1]}, "fields", {"other_fields": [1]}),
        ({"fields": {"City": "Lyon"}}, "fields", {"other_fields": {"City": "New York"}}),
    ],
)
def test_an_unexpected_optional_value_is_kept_raw_in_extra(
    change: dict[str, Any], field: str, extra: dict[str, Any]
) -> None:
    contact = from_json(Contact, record(3, **change), 3)
    expected_field = {"fields": {"City": "Lyon"} if "fields" in change else {}}.get(field)
    assert getattr(contact, field) == expected_field
    assert contact.extra == extra
    (fast,) = list_from_json(Contact, [record(3, **change)])
    assert fast == contact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-10T10:10:58.389Z", datetime(2019, 10, 10, 10, 10, 58, 389000, tzinfo=UTC)),
        ("2019-10-10T12:10:58+02:00", datetime(2019, 10, 10, 10, 10, 58, tzinfo=UTC)),
        ("2019-10-10T10:10:58", datetime(2019, 10, 10, 10, 10, 58, tzinfo=UTC)),
        ("2019-10-10T10:10:58.1Z", datetime(2019, 10, 10, 10, 10, 58, 100000, tzinfo=UTC)),
        (
            "2019-10-10T05:10:58.1234567-05:00",
            datetime(2019, 10, 10, 10, 10, 58, 123456, tzinfo=UTC),
        ),
    ],
)
def test_collected_at_becomes_an_aware_utc_datetime(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


def test_the_iso_fallback_parses_what_old_pythons_cannot() -> None:
    from wisepops._wire.times import _parse_iso_fallback

    assert _parse_iso_fallback("2019-10-10T05:10:58.1234567-05:00") == datetime(
        2019, 10, 10, 5, 10, 58, 123456, tzinfo=timezone(timedelta(hours=-5))
    )
    assert _parse_iso_fallback("2019-10-10 10:10Z") == datetime(2019, 10, 10, 10, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="10/10/2019"):
        _parse_iso_fallback("10/10/2019")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"collected_at": None}, "record 3: 'collected_at' is missing"),
        ({"collected_at": "yesterday"}, "record 3: 'collected_at' is not an ISO 8601"),
        ({"collected_at": 1700000000}, "record 3: 'collected_at' must be an ISO 8601 string"),
        ({"wisepop_id": None}, "record 3: 'wisepop_id' is missing"),
        ({"wisepop_id": "12345"}, "record 3: 'wisepop_id' must be an integer, got a string"),
        ({"wisepop_id": True}, "record 3: 'wisepop_id' must be an integer, got a boolean"),
        ({"wisepop_id": 12345.0}, "record 3: 'wisepop_id' must be an integer, got a number"),
        ({"wisepop_id": -1}, "record 3: 'wisepop_id' is out of range: -1"),
        ({"wisepop_id": 2**63}, "record 3: 'wisepop_id' is out of range: 9223372036854775808"),
        ({"collected_at": ["2024"]}, "record 3: 'collected_at' must be an ISO 8601 string"),
        ({"collected_at": "0001-01-01T00:00:00+01:00"}, "'collected_at' is not an ISO 8601"),
        ({"collected_at": "9999-12-31T23:59:59-01:00"}, "'collected_at' is not an ISO 8601"),
        ({"collected_at": "2024-01-01T00:00:00\ud800"}, r"range: '2024-01-01T00:00:00\\ud800'"),
    ],
)
def test_bad_records_name_the_index_and_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(")):
        from_json(Contact, record(3, **change), 3)


def test_a_record_that_is_not_an_object() -> None:
    with pytest.raises(RecordError, match="record 2: expected an object, got an array"):
        from_json(Contact, [], 2)


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


def test_to_dict_and_to_json_round_trip() -> None:
    contact = from_json(Contact, record(7, form_session="s"), 0)
    assert from_json(Contact, contact.to_dict(), 0) == contact
    assert from_json(Contact, json.loads(contact.to_json()), 0) == contact
    assert "extra" not in contact.to_dict()  # the same keys as before, when nothing is new
    newer = from_json(Contact, record(7, score=3), 0)
    assert newer.to_dict()["extra"] == {"score": 3}


def test_to_json_is_one_line_of_utf8_even_with_a_lone_surrogate() -> None:
    fine = from_json(Contact, record(1, email="zoë@example.com"), 0)
    assert '"zoë@example.com"' in fine.to_json()
    broken = from_json(Contact, record(1, email="\ud800@example.com"), 0)
    text = broken.to_json()
    text.encode("utf-8")  # writable as it is
    assert "\\ud800" in text
    assert json.loads(text)["email"] == "\ud800@example.com"
    assert "\n" not in text


def test_a_value_nested_too_deep_to_encode_is_written_clipped_not_raised() -> None:
    deep: list[Any] = ["bottom"]
    for _ in range(100_000):  # beyond any recursion limit, though a parser never sees this
        deep = [deep]
    contact = from_json(Contact, record(1, email=None, other_fields={"q": deep}, survey=deep), 0)
    assert len(contact.dedupe_key) == 32
    text = contact.to_json()
    written = json.loads(text)
    assert written["email"] is None
    assert "[nested too deeply]" in text
    assert "bottom" not in text


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


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2024, 1, 1, 12, 0, tzinfo=UTC), "2024-01-01T12:00:00Z"),
        (datetime(2024, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2))), "2024-01-01T12:00:00Z"),
        (datetime(2024, 1, 1, 12, 0), "2024-01-01T12:00:00Z"),
        (datetime(2024, 1, 1, 12, 0, 0, 389000, tzinfo=UTC), "2024-01-01T12:00:00.389Z"),
        (datetime(2024, 1, 1, 12, 0, 0, 5, tzinfo=UTC), "2024-01-01T12:00:00.000005Z"),
    ],
)
def test_datetimes_go_out_as_rfc3339_utc_with_z(value: datetime, text: str) -> None:
    assert format_datetime(value) == text


def test_popups_are_lenient() -> None:
    popups = list_from_json(
        Popup,
        [
            {
                "id": 1,
                "label": "Welcome",
                "created_at": "2024-01-01T00:00:00Z",
                "activated": True,
                "display_count": 10,
                "click_count": 2,
                "email_count": 1,
                "new_metric": 5,
            },
            {"id": 2},
            {
                "id": 3,
                "label": 7,
                "created_at": "last week",
                "activated": 1,
                "display_count": "120",
                "click_count": 4.0,
                "email_count": True,
            },
        ],
    )
    assert popups == [
        Popup(
            id=1,
            label="Welcome",
            created_at=datetime(2024, 1, 1, tzinfo=UTC),
            activated=True,
            display_count=10,
            click_count=2,
            email_count=1,
            extra={"new_metric": 5},
        ),
        Popup(id=2),
        # Coerced where nothing is lost; else None, with the raw value kept in extra.
        Popup(
            id=3,
            activated=True,
            display_count=120,
            click_count=4,
            extra={"label": 7, "created_at": "last week", "email_count": True},
        ),
    ]


def test_a_popup_without_id_is_refused() -> None:
    with pytest.raises(RecordError, match="pop-up 1: 'id' is missing"):
        list_from_json(Popup, [{"id": 1}, {"label": "x"}])


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


AGREEMENT_CASES = [
    record(1),
    record(2, other_fields=[], email=None),
    record(3, ip=None, country_code=None),
    {
        "collected_at": "2024-05-01T08:00:00.000Z",
        "wisepop_id": 9,
        "form_session": "s",
        "fields": {"email": "m@example.fr", "phone": "+33612345678"},
    },
    {"collected_at": "2024-05-01T10:00:00+02:00", "wisepop_id": 9, "fields": {"email": 5}},
    {"collected_at": "2024-05-01T08:00:00", "wisepop_id": 9},
    {"collected_at": "2024-05-01T08:00:00.1234567Z", "wisepop_id": 9, "other_fields": None},
]


@pytest.mark.parametrize("value", AGREEMENT_CASES)
def test_the_fast_path_builds_the_same_frozen_contact(value: dict[str, Any]) -> None:
    (fast,) = list_from_json(Contact, [value])
    slow = from_json(Contact, value, 0)
    assert type(fast) is Contact
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    assert fast.dedupe_key == slow.dedupe_key
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.wisepop_id = 1  # type: ignore[misc]


def test_an_error_in_a_list_names_the_right_index() -> None:
    with pytest.raises(RecordError, match="record 2: 'wisepop_id' must be an integer"):
        list_from_json(Contact, [record(0), record(1), record(2, wisepop_id="x")])


def test_a_popup_that_is_not_an_object() -> None:
    with pytest.raises(RecordError, match="pop-up 0: expected an object, got an integer"):
        list_from_json(Popup, [1])


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
