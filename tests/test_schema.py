"""wisepops/_wire/schema.py: one declaration per record, and all that is derived from it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Optional

import attrs
import pytest

from wisepops import Contact, Hook, Popup
from wisepops._wire.decode import RecordError, from_json, list_from_json
from wisepops._wire.encode import api_record, to_dict
from wisepops._wire.records import _Record
from wisepops._wire.schema import EXTRA, Kind, record, schema_of, wire


@record("gadget")
@attrs.frozen(kw_only=True)
class Gadget(_Record):
    """A record declared in a test, as a maintainer would add one: one line a field."""

    id: int = attrs.field(metadata=wire(Kind.ID, strict=True))
    seen_at: Optional[datetime] = attrs.field(default=None, metadata=wire(Kind.INSTANT))
    score: Optional[int] = attrs.field(default=None, metadata=wire(Kind.COUNT, api1="points"))
    live: Optional[bool] = attrs.field(default=None, metadata=wire(Kind.FLAG, api2=None))
    tags: Mapping[str, Any] = attrs.field(factory=dict, hash=False, metadata=wire(Kind.MAPPING))
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False, metadata=EXTRA)


def test_a_new_record_is_parsed_fast_and_carefully_alike_from_its_declaration() -> None:
    usual = {"id": 1, "seen_at": "2024-01-01T00:00:00.5Z", "score": 7, "live": True, "tags": {}}
    odd = {"id": 2, "points": "12", "live": 1, "tags": [], "new": "kept"}
    fast, careful = list_from_json(Gadget, [usual, odd])
    assert fast == from_json(Gadget, usual, 0)
    assert fast.seen_at == datetime(2024, 1, 1, 0, 0, 0, 500000, tzinfo=timezone.utc)
    assert careful == Gadget(id=2, score=12, live=True, extra={"new": "kept"})
    with pytest.raises(RecordError, match=r"gadget 1: 'id' is missing"):
        list_from_json(Gadget, [usual, {"score": 1}])


def test_a_new_record_is_written_in_each_api_shape_and_as_a_dict() -> None:
    gadget = Gadget(id=3, score=4, live=False, extra={"new": 1})
    assert api_record(gadget, "api1") == {
        "id": 3,
        "seen_at": None,
        "points": 4,
        "live": False,
        "tags": [],
    }
    assert api_record(gadget, "api2") == {"id": 3, "seen_at": None, "score": 4, "tags": []}
    assert to_dict(gadget) == gadget.to_dict()
    assert gadget.to_dict() == {
        "id": 3,
        "seen_at": None,
        "score": 4,
        "live": False,
        "tags": {},
        "extra": {"new": 1},
    }
    assert schema_of(Gadget).columns == ("id", "seen_at", "score", "live")


def test_strictness_and_a_default_cannot_disagree() -> None:
    with pytest.raises(TypeError, match=r"Broken.id: strict xor a default"):

        @record("broken")
        @attrs.frozen
        class Broken:
            id: int = attrs.field(default=0, metadata=wire(Kind.ID, strict=True))


@pytest.mark.parametrize(
    ("hook", "named"),
    [
        ({"validator": attrs.validators.instance_of(int)}, "a validator on 'id'"),
        ({"converter": int}, "a converter on 'id'"),
    ],
)
def test_a_validator_or_converter_is_refused_where_the_record_is_declared(
    hook: dict[str, Any], named: str
) -> None:
    """The fast parser builds records without ``__init__``: a check there would run when a
    record is made by hand or parsed carefully, and not when parsed fast."""
    with pytest.raises(TypeError, match=f"record Checked has {named}: .* without __init__"):

        @record("checked")
        @attrs.frozen
        class Checked:
            id: int = attrs.field(metadata=wire(Kind.ID, strict=True), **hook)


def test_a_post_init_hook_is_refused_where_the_record_is_declared() -> None:
    with pytest.raises(TypeError, match=r"record Hooked has __attrs_post_init__: "):

        @record("hooked")
        @attrs.frozen
        class Hooked:
            id: int = attrs.field(metadata=wire(Kind.ID, strict=True))

            def __attrs_post_init__(self) -> None:
                raise AssertionError("never reached by the fast parser")


def test_the_declarations_of_the_public_records() -> None:
    contact = schema_of(Contact)
    assert [f.name for f in contact.fields if f.strict] == ["collected_at", "wisepop_id"]
    assert contact.columns == (
        "collected_at",
        "wisepop_id",
        "email",
        "ip",
        "country_code",
        "form_session",
    )
    assert {"created_at", "wisepop_name", "fields", "other_fields"} <= contact.modelled
    assert [f.name for f in schema_of(Popup).fields if f.strict] == ["id"]
    assert not schema_of(Popup).fields[0].api1  # only api2 lists pop-ups
    assert [f.name for f in schema_of(Hook).fields] == ["id", "target_url", "event", "wisepop_id"]
