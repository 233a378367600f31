"""Records: parsing both shapes leniently, strict where data would be corrupted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from wisepops import Contact, Hook, Page, Popup
from wisepops._records import (
    RecordError,
    contact_from_json,
    contacts_from_json,
    format_datetime,
    parse_datetime,
    popups_from_json,
)

from .conftest import record

UTC = timezone.utc


def test_api1_record() -> None:
    contact = contact_from_json(record(5, created_at="2019-01-01", wisepop_name="Old"), 0)
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
    contact = contact_from_json(
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
    contact = contact_from_json(
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


def test_unknown_keys_are_ignored() -> None:
    contact = contact_from_json(record(0, brand_new_field={"x": 1}), 0)
    assert contact.email == "user0@example.com"


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
    from wisepops._records import _parse_iso_fallback

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
        ({"email": 42}, "record 3: 'email' must be a string or null, got an integer"),
        ({"other_fields": "x"}, "record 3: 'other_fields' must be an object, got a string"),
        ({"other_fields": [1]}, "record 3: 'other_fields' must be an object, got an array"),
    ],
)
def test_bad_records_name_the_index_and_the_key(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordError, match=message.replace("(", r"\(")):
        contact_from_json(record(3, **change), 3)


def test_a_record_that_is_not_an_object() -> None:
    with pytest.raises(RecordError, match="record 2: expected an object, got an array"):
        contact_from_json([], 2)


def test_records_are_frozen_values() -> None:
    contact = contact_from_json(record(1), 0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        contact.email = "other@example.com"  # type: ignore[misc]
    assert contact == contact_from_json(record(1), 0)
    assert len({contact, contact_from_json(record(1), 0)}) == 1


def test_dedupe_key_is_stable_and_distinguishes_records() -> None:
    api1 = contact_from_json(record(1), 0)
    same_in_api2_shape = contact_from_json(
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
    keys = {contact_from_json(other, 0).dedupe_key for other in others}
    assert api1.dedupe_key not in keys
    assert len(keys) == 3


def test_dedupe_key_uses_form_session_when_there_is_no_email() -> None:
    first = contact_from_json(record(1, email=None, other_fields=None, form_session="a"), 0)
    second = contact_from_json(record(1, email=None, other_fields=None, form_session="b"), 0)
    assert first.dedupe_key != second.dedupe_key


def test_to_json_round_trips() -> None:
    contact = contact_from_json(record(7, form_session="s"), 0)
    assert contact_from_json(contact.to_json(), 0) == contact


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
    popups = popups_from_json(
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
        ]
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
        ),
        Popup(id=2),
    ]


def test_a_popup_without_id_is_refused() -> None:
    with pytest.raises(RecordError, match="pop-up 1: 'id' is missing"):
        popups_from_json([{"id": 1}, {"label": "x"}])


def test_page_is_iterable_and_knows_whether_more_may_follow() -> None:
    full: Page[int] = Page(items=(1, 2), page=1, page_size=2)
    short: Page[int] = Page(items=(1,), page=3, page_size=2)
    assert list(full) == [1, 2]
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
    (fast,) = contacts_from_json([value])
    slow = contact_from_json(value, 0)
    assert type(fast) is Contact
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    assert fast.dedupe_key == slow.dedupe_key
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        fast.wisepop_id = 1  # type: ignore[misc]


def test_an_error_in_a_list_names_the_right_index() -> None:
    with pytest.raises(RecordError, match="record 2: 'wisepop_id' must be an integer"):
        contacts_from_json([record(0), record(1), record(2, wisepop_id="x")])


def test_a_popup_that_is_not_an_object() -> None:
    with pytest.raises(RecordError, match="pop-up 0: expected an object, got an integer"):
        popups_from_json([1])
