"""Properties that hold for any input: hostile bytes get typed errors, never surprises."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import wisepops
from wisepops import PayloadError, parse_payload, sign, verify_signature
from wisepops._wire.decode import from_json, list_from_json
from wisepops._wire.records import Contact

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"

# Text with lone surrogates too: JSON can escape them (\ud800), and Python decodes them.
texts = st.text() | st.text(st.characters(categories=["Cs", "Ll", "Nd"]))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | texts,  # NaN and infinities too
    lambda children: st.lists(children) | st.dictionaries(texts, children),
    max_leaves=30,
)

timestamps = (
    st.datetimes(timezones=st.timezones()).map(lambda dt: dt.isoformat())
    | st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-00:01", "2024-01-01Z"])
    | texts
)
maybe_text = st.none() | texts | st.integers() | json_values
records = st.fixed_dictionaries(
    {},
    optional={
        "collected_at": timestamps | st.integers(),
        "wisepop_id": st.integers() | st.text() | st.booleans() | st.floats(),
        "email": maybe_text,
        "ip": maybe_text,
        "country_code": maybe_text,
        "form_session": maybe_text,
        "fields": st.none() | st.dictionaries(st.text(), json_values) | st.just([]) | st.integers(),
        "other_fields": st.none() | st.dictionaries(st.text(), json_values) | st.just([]),
        "created_at": json_values,
        "wisepop_name": json_values,
        "a_new_key": json_values,
    },
)


def usable(contacts: list[wisepops.Contact]) -> None:
    """What a receiver or an export does with each contact must work, whatever it holds."""
    for contact in contacts:
        assert len(contact.dedupe_key) == 32
        text = contact.to_json()
        text.encode("utf-8")
        assert json.loads(text) == json.loads(json.dumps(contact.to_dict()))
        assert contact.collected_at.utcoffset() is not None


def parses_or_refuses(body: Any) -> None:
    try:
        contacts = parse_payload(body)
    except PayloadError:
        return  # the one error it may raise
    assert isinstance(contacts, list)
    assert all(isinstance(contact, wisepops.Contact) for contact in contacts)
    usable(contacts)


def listing_of(body: bytes) -> wisepops.Client:
    answer = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    transport = httpx.MockTransport(lambda request: answer)
    return wisepops.Client(
        "key-123456", max_retries=0, http_client=httpx.Client(transport=transport)
    )


@given(st.binary())
@example(b"[" * 100_000)
@example(b'{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1e400}')
@example(b"[" + b"1" * 5000 + b"]")
@example(b"\xef\xbb\xbf[]")
def test_any_bytes_parse_or_raise_payload_error(body: bytes) -> None:
    parses_or_refuses(body)


@given(json_values)
def test_any_json_value_parses_or_raises_payload_error(value: Any) -> None:
    parses_or_refuses(json.dumps(value))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, max_size=5) | records, st.booleans())
@example([{"collected_at": "0001-01-01T00:00:00+01:00", "wisepop_id": 1}], True)
@example([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "\ud800"}], False)
@example([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "fields": {"a": 1e400}}], True)
def test_any_record_like_payload_parses_or_raises_payload_error(value: Any, ascii: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii)  # not ASCII: lone surrogates stay raw
    parses_or_refuses(body)
    if ascii:
        parses_or_refuses(body.encode())


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=60)
@given(st.lists(records, max_size=4) | json_values)
@example([{"collected_at": "0001-01-01T00:00:00+01:00", "wisepop_id": 1}])
@example([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "\ud800"}])
def test_any_listing_gives_usable_contacts_or_a_validation_error(value: Any) -> None:
    with listing_of(json.dumps(value).encode()) as client:
        try:
            page = client.emails.list()
        except wisepops.APIResponseValidationError:
            return
        usable(list(page))
        if not page.items:
            return
        # The same full page for every request: a server that ignores collected_after.
        walked: list[wisepops.Contact] = []
        with warnings.catch_warnings():  # about the instant it moves past: not the point
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.raises(wisepops.APIResponseValidationError, match="already yielded"):
                walked.extend(client.v2.contacts.iter(page_size=len(page)))
        assert len(walked) == len(page)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records, min_size=1, max_size=3))
def test_the_fast_and_the_careful_parser_agree(value: list[dict[str, Any]]) -> None:
    try:
        careful = [from_json(Contact, record, index) for index, record in enumerate(value)]
    except ValueError as careful_error:
        with pytest.raises(ValueError, match=re.escape(str(careful_error))):
            list_from_json(Contact, value)
        return
    assert list_from_json(Contact, value) == careful


@given(st.binary() | st.text(), st.none() | st.text() | st.binary(), st.text(min_size=1))
def test_verify_returns_a_bool_for_any_header(body: Any, header: Any, key: str) -> None:
    assert verify_signature(body, header, key) in (True, False)


@given(st.binary(), st.text(min_size=1), st.sampled_from([str.lower, str.upper, " {} \t".format]))
def test_a_signature_verifies_however_its_header_is_dressed(
    body: bytes, key: str, dress: Any
) -> None:
    signature = sign(body, key)
    assert verify_signature(body, dress(signature), key)
    assert verify_signature(bytearray(body), signature, [key + "-old", key])


@given(st.binary(), st.binary(), st.text(min_size=1))
def test_a_signature_does_not_verify_another_body(body: bytes, other: bytes, key: str) -> None:
    if body != other:
        assert not verify_signature(other, sign(body, key), key)
