"""wisepops/_wire/decode.py: both record shapes read leniently, strictly where data would be
corrupted, and alike by the careful parser and the generated fast path."""

from __future__ import annotations

import pickle
import re
import sys
import traceback
import weakref
from datetime import datetime, timezone
from typing import Any, Optional

import attrs
import pytest

from wisepops import Contact, Hook, Popup
from wisepops._wire import decode
from wisepops._wire.decode import RecordError, from_json, list_from_json
from wisepops._wire.records import _Record
from wisepops._wire.schema import Kind, schema_of, wire
from wisepops._wire.schema import record as declared

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
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        del fast.email
    assert pickle.loads(pickle.dumps(fast)) == slow
    assert attrs.evolve(fast, ip="x") == attrs.evolve(slow, ip="x")
    assert weakref.ref(fast)() is fast


def test_an_error_in_a_list_names_the_right_index() -> None:
    with pytest.raises(RecordError, match="record 2: 'wisepop_id' must be an integer"):
        list_from_json(Contact, [record(0), record(1), record(2, wisepop_id="x")])


# --- the generated fast parser against the careful one, built afresh per case --------

# The record parsers: the generated fast one against the careful one, built afresh for
# each case, then the careful one's words and the JSON under both.
#
# ``list_from_json`` caches one generated parser per record class, so a test that goes
# through it checks whichever parser the first call built. Here each case builds its own
# (as mutation testing needs), parses with it and with :func:`from_json` record by
# record, and checks that both give the same records or the same error, and that the
# careful parser ran for exactly the records that need it (unknown keys, coercions,
# zones other than ``Z``, errors): the usual shape never pays for it.

API2 = {
    "collected_at": "2024-01-01T00:00:00.389Z",
    "wisepop_id": 12345,
    "ip": "127.0.0.1",
    "country_code": "FR",
    "form_session": "3f1c0a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
    "fields": {"email": "jane@example.com", "City": "Paris"},
}


def api2(**changes: Any) -> dict[str, Any]:
    value = {**API2, **changes}
    return {key: item for key, item in value.items() if item is not ...}


# (name, class, the JSON value, the indexes the careful parser must see)
CASES: list[tuple[str, type, Any, list[int]]] = [
    ("api1 records", Contact, [record(1), record(2)], []),
    ("api2 records", Contact, [api2(), api2(form_session=None)], []),
    ("an empty page", Contact, [], []),
    ("deprecated keys are dropped", Contact, [record(1, created_at="x", wisepop_name="y")], []),
    ("optional values absent", Contact, [api2(ip=..., country_code=..., form_session=...)], []),
    ("optional values null", Contact, [record(1, ip=None, country_code=None, email=None)], []),
    ("api2 email only in fields", Contact, [api2(fields={"email": "a@b.c"})], []),
    ("api2 fields without email", Contact, [api2(fields={"City": "Paris"})], []),
    ("api2 email in fields not text", Contact, [api2(fields={"email": 42})], []),
    ("email both top and in fields", Contact, [api2(email="top@b.c")], []),
    ("an unknown key", Contact, [record(1), record(2, score=9)], [1]),
    ("both shapes' mappings", Contact, [api2(other_fields={"a": "b"})], [0]),
    ("PHP's [] for a mapping", Contact, [record(1, other_fields=[])], [0]),
    ("a mapping of the wrong type", Contact, [api2(fields="City=Paris")], [0]),
    ("an optional text not text", Contact, [record(1, ip=12), record(2)], [0]),
    ("form_session not text", Contact, [api2(form_session=7)], [0]),
    ("another zone", Contact, [record(1, collected_at="2024-01-01T01:00:00+01:00")], [0]),
    ("a naive time", Contact, [record(1, collected_at="2024-01-01T00:00:00")], [0]),
    ("a time that is no time", Contact, [record(1, collected_at="yesterday")], [0]),
    ("a time that is no string", Contact, [record(1, collected_at=17)], [0]),
    ("a missing time", Contact, [record(1), record(2, collected_at=None)], [1]),
    ("an id that is a boolean", Contact, [record(1, wisepop_id=True)], [0]),
    ("an id below zero", Contact, [record(1, wisepop_id=-1)], [0]),
    ("an id past 64 bits", Contact, [record(1, wisepop_id=2**63)], [0]),
    ("the largest id", Contact, [record(1, wisepop_id=2**63 - 1), record(2, wisepop_id=0)], []),
    ("an id as a string", Contact, [record(1, wisepop_id="12")], [0]),
    ("a record that is no object", Contact, [record(1), 5, record(2)], [1]),
    ("a record that is a list", Contact, [record(1), ["collected_at"]], [1]),
    (
        "pop-ups",
        Popup,
        [
            {
                "id": 1,
                "label": "A",
                "created_at": "2024-01-01T00:00:00Z",
                "activated": True,
                "display_count": 3,
                "click_count": 0,
                "email_count": 1,
            },
            {"id": 2},
        ],
        [],
    ),
    ("a pop-up's PHP flag", Popup, [{"id": 1, "activated": 1}, {"id": 2, "activated": 0}], [0, 1]),
    ("a pop-up's flag not 0 or 1", Popup, [{"id": 1, "activated": 2}], [0]),
    ("a pop-up's count as text", Popup, [{"id": 1, "display_count": "120"}], [0]),
    ("a pop-up's count as a float", Popup, [{"id": 1, "click_count": 3.0}], [0]),
    ("a pop-up's count a boolean", Popup, [{"id": 1, "click_count": True}], [0]),
    ("a pop-up's label not text", Popup, [{"id": 1, "label": 5}], [0]),
    (
        "a pop-up's time in a zone",
        Popup,
        [{"id": 1, "created_at": "2024-01-01T00:00:00+02:00"}],
        [0],
    ),
    ("a pop-up's bad time", Popup, [{"id": 1, "created_at": "soon"}], [0]),
    ("a pop-up without an id", Popup, [{"label": "A"}], [0]),
    (
        "hooks",
        Hook,
        [
            {"id": 1, "target_url": "https://a.example/h", "event": "email"},
            {"id": 2, "target_url": "https://a.example/h", "event": "phone", "wisepop_id": 9},
        ],
        [],
    ),
    (
        "a hook's pop-up as text",
        Hook,
        [{"id": 1, "target_url": "u", "event": "e", "wisepop_id": "9"}],
        [0],
    ),
    ("a hook's url not text", Hook, [{"id": 1, "target_url": 4, "event": "e"}], [0]),
]


def outcome(parse: Any) -> Any:
    """What a parse gives, comparably: each record's type, dict and extra, or the error."""
    try:
        parsed = parse()
    except RecordError as exc:
        return ("error", str(exc))
    return [(type(item), item.to_dict(), dict(getattr(item, "extra", {}))) for item in parsed]


@pytest.mark.parametrize(("name", "cls", "value", "careful"), CASES, ids=[c[0] for c in CASES])
def test_the_fast_parser_agrees_with_the_careful_one_and_skips_it_for_the_usual_shape(
    name: str, cls: type, value: Any, careful: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []

    def counted(cls: type, record: object, index: int) -> Any:
        seen.append(index)
        return from_json(cls, record, index)

    monkeypatch.setattr(decode, "from_json", counted)
    parse = decode._fast_parser(schema_of(cls))  # afresh, with the counted careful parser
    fast = outcome(lambda: parse(value))
    assert fast == outcome(lambda: [from_json(cls, item, i) for i, item in enumerate(value)])
    if sys.version_info >= (3, 11):
        assert seen == careful
    else:  # fromisoformat reads no "Z" before 3.11: such records take the careful way
        assert set(careful) <= set(seen)
    if not isinstance(fast, tuple):  # every record has an extra of its own
        extras = [item.extra for item in parse(value) if hasattr(item, "extra")]
        assert len({id(extra) for extra in extras}) == len(extras)


@pytest.mark.parametrize("value", [{"a": 1}, "[]", None, 3])
def test_anything_but_an_array_names_what_it_got(value: Any) -> None:
    parse = decode._fast_parser(schema_of(Contact))
    with pytest.raises(RecordError) as caught:
        parse(value)
    assert str(caught.value) == f"expected an array of records, got {decode.json_type(value)}"


@declared("stamp")
@attrs.frozen(kw_only=True)
class Stamp(_Record):
    """Two instants, one strict and one optional: their checks are joined in the source."""

    made_at: datetime = attrs.field(metadata=wire(Kind.INSTANT, strict=True))
    seen_at: Optional[datetime] = attrs.field(default=None, metadata=wire(Kind.INSTANT))


STAMPS: list[tuple[str, list[Any], list[int]]] = [
    ("both in UTC", [{"made_at": "2024-01-01T00:00:00Z", "seen_at": "2024-01-02T00:00:00Z"}], []),
    ("the optional one absent", [{"made_at": "2024-01-01T00:00:00Z"}], []),
    ("the optional one in a zone", [{"made_at": "2024-01-01T00:00:00Z",
                                     "seen_at": "2024-01-02T00:00:00+01:00"}], [0]),
    ("the strict one in a zone", [{"made_at": "2024-01-01T00:00:00-05:00"}], [0]),
    ("the optional one unreadable", [{"made_at": "2024-01-01T00:00:00Z", "seen_at": "?"}], [0]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "careful"), STAMPS, ids=[s[0] for s in STAMPS])
def test_a_record_of_two_instants_is_parsed_fast_only_when_both_are_in_utc(
    name: str, value: list[Any], careful: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    test_the_fast_parser_agrees_with_the_careful_one_and_skips_it_for_the_usual_shape(
        name, Stamp, value, careful, monkeypatch
    )


MAX_ID = 2**63 - 1

# (record class, key, value sent, the field's value, whether it went to extra, if any)
LENIENT: list[tuple[type, str, Any, Any, bool]] = [
    (Popup, "activated", True, True, False),
    (Popup, "activated", False, False, False),
    (Popup, "activated", 1, True, False),
    (Popup, "activated", 0, False, False),
    (Popup, "activated", 2, None, True),
    (Popup, "activated", -1, None, True),
    (Popup, "activated", "1", None, True),
    (Popup, "activated", 1.0, None, True),
    (Popup, "display_count", 12, 12, False),
    (Popup, "display_count", "120", 120, False),
    (Popup, "display_count", "0", 0, False),
    (Popup, "display_count", "0120", None, True),
    (Popup, "display_count", "-1", None, True),
    (Popup, "display_count", "9" * 18, int("9" * 18), False),
    (Popup, "display_count", "1" + "0" * 18, None, True),
    (Popup, "display_count", 3.0, 3, False),
    (Popup, "display_count", -3.0, -3, False),
    (Popup, "display_count", 107.0, 107, False),
    (Popup, "display_count", 2.0**53 - 1, 2**53 - 1, False),
    (Popup, "display_count", 2.0**53, None, True),
    (Popup, "display_count", -(2.0**53), None, True),
    (Popup, "display_count", 2.0**54, None, True),
    (Popup, "display_count", 1.5, None, True),
    (Popup, "display_count", True, None, True),
    (Popup, "label", "Newsletter", "Newsletter", False),
    (Popup, "label", 5, None, True),
    (Hook, "wisepop_id", 0, 0, False),
    (Hook, "wisepop_id", 1, 1, False),
    (Hook, "wisepop_id", MAX_ID, MAX_ID, False),
    (Hook, "wisepop_id", MAX_ID + 1, None, True),
    (Hook, "wisepop_id", -1, None, True),
    (Hook, "wisepop_id", True, None, True),
    (Hook, "wisepop_id", "9", None, True),
]


@pytest.mark.parametrize(("cls", "key", "sent", "read", "kept"), LENIENT, ids=repr)
def test_a_lenient_value_is_read_when_nothing_is_lost_else_kept_in_extra(
    cls: type, key: str, sent: Any, read: Any, kept: bool
) -> None:
    value = {"id": 1, key: sent, "unknown": 0}  # read by the careful parser, always
    if cls is Hook:
        value.update(target_url="https://a.example/h", event="email")
    (parsed,) = decode.list_from_json(cls, [value])  # type: ignore[var-annotated]
    assert getattr(parsed, key) == read
    assert type(getattr(parsed, key)) is type(read)
    if schema_of(cls).has_extra:  # a hook has none: what it cannot read is dropped
        assert dict(parsed.extra) == ({key: sent, "unknown": 0} if kept else {"unknown": 0})


# --- the careful parser's words, and the JSON under it ------------------------------------

MESSAGES = [
    (Contact, {"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 10**40},
     "record 0: 'wisepop_id' is out of range: " + "1" + "0" * 29),
    (Contact, {"collected_at": 17, "wisepop_id": 1},
     "record 0: 'collected_at' must be an ISO 8601 string, got an integer"),
    (Contact, {"collected_at": "x" * 60, "wisepop_id": 1},
     f"record 0: 'collected_at' is not an ISO 8601 date-time in range: '{'x' * 40}'"),
    (Hook, {"id": 1, "target_url": 4, "event": "email"},
     "hook 0: 'target_url' must be a string, got an integer"),
    (Hook, {"id": 1, "target_url": "u", "event": None}, "hook 0: 'event' is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "value", "message"), MESSAGES, ids=repr)
def test_a_bad_record_is_named_with_its_key_and_a_short_sight_of_its_value(
    cls: type, value: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecordError) as caught:
        decode.list_from_json(cls, [value])
    assert str(caught.value) == message


JSON = [
    (b"[1]", [1]),
    (b"\xef\xbb\xbf[1]", [1]),  # a byte order mark
    (b"\xef\xbb\xbf\xef\xbb\xbf[1]", [1]),  # even two
    ("[1]".encode("utf-16"), [1]),
    (b'["\xed\xa0\x80"]', ["\ud800"]),  # a lone surrogate, as PHP may write it, kept
    ('["\ud800"]', ["\ud800"]),
]


@pytest.mark.parametrize(("content", "value"), JSON, ids=repr)
def test_json_is_decoded_from_any_unicode_encoding(content: Any, value: Any) -> None:
    assert decode.decode_json(content) == value


REFUSED = [
    (b"[1e400]", "the number 1e400 is out of range"),
    (b"[-1e4000000000000000000000]", "the number -1e40000000000000000 is out of range"),
    (b"[NaN]", "NaN is not a JSON value"),
    (b"[" * 100_000 + b"]" * 100_000, "the JSON is nested too deeply"),
]


@pytest.mark.parametrize(("content", "message"), REFUSED, ids=lambda v: repr(v)[:30])
def test_json_that_no_record_could_hold_is_refused_in_words(content: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        decode.decode_json(content)


@pytest.mark.parametrize(
    ("value", "called"),
    [({}, "an object"), ([], "an array"), ("", "a string"), (1, "an integer"), (1.5, "a number"),
     (True, "a boolean"), (None, "null"), ((1,), "tuple"), (b"", "bytes")],
)  # fmt: skip
def test_json_type_names_a_value_as_json_would_else_by_its_python_type(
    value: Any, called: str
) -> None:
    assert decode.json_type(value) == called


def test_each_record_class_gets_one_parser_built_on_first_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(decode, "_PARSERS", {})
    (first,) = decode.list_from_json(Contact, [record(1)])
    parser = decode._PARSERS[Contact]
    (second,) = decode.list_from_json(Contact, [record(1)])
    assert decode._PARSERS[Contact] is parser  # built once, then reused
    assert first == second
    assert list(decode._PARSERS) == [Contact]


def test_a_traceback_through_the_generated_parser_shows_its_source() -> None:
    """Its source is in ``linecache``, as attrs puts its generated methods."""
    with pytest.raises(RecordError) as caught:
        list_from_json(Contact, [record(1), {"wisepop_id": 1}])
    error = caught.value
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    assert 'File "<wisepops parser of wisepops.Contact>", line' in shown
    assert "append(careful(CLS, record, len(out)))" in shown
