"""wisepops/_wire/decode.py: both record shapes read leniently, strictly where data would be
corrupted, and alike by the careful parser and the generated fast path."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import attrs
import pytest

from wisepops import Contact, Popup
from wisepops._wire.decode import RecordError, from_json, list_from_json

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


def test_a_popup_that_is_not_an_object() -> None:
    with pytest.raises(RecordError, match="pop-up 0: expected an object, got an integer"):
        list_from_json(Popup, [1])


# --- the fast path -----------------------------------------------------------------------


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
