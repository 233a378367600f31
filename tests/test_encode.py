"""wisepops/_wire/encode.py: records out as a dict and as one line of JSON, whatever they
hold."""

from __future__ import annotations

import json
from typing import Any

from wisepops import Contact
from wisepops._wire.decode import from_json

from .conftest import record


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
