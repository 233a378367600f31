"""Webhook verification and parsing, against the signatures PHP's hash_hmac computes."""

from __future__ import annotations

import array
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

import wisepops
from wisepops import PayloadError, SignatureVerificationError, parse_payload, sign, unwrap
from wisepops import verify_signature as verify

from .conftest import record

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"
BODY = json.dumps([record(1), record(2)]).encode()
GOOD = sign(BODY, KEY)


def test_the_vectors_match_the_shared_reference(signature_vectors: list[dict[str, str]]) -> None:
    for parent in Path(__file__).resolve().parents:
        shared = parent / "shared" / "reference" / "signature-vectors.json"
        if shared.is_file():
            assert json.loads(shared.read_text("utf-8")) == signature_vectors
            return
    pytest.skip(
        "no shared/reference/signature-vectors.json in a directory above this checkout, to "
        "compare tests/data's copy with: run the tests from a checkout placed beside "
        "shared/ to check it (the other signature tests use the copy either way)"
    )


def test_sign_matches_php_hash_hmac(signature_vectors: list[dict[str, str]]) -> None:
    for vector in signature_vectors:
        assert sign(vector["body"], vector["api_key"]) == vector["signature"], vector["name"]


@pytest.mark.parametrize("as_type", [str, bytes, bytearray, memoryview])
def test_verify_accepts_php_signatures_for_every_body_type(
    signature_vectors: list[dict[str, str]], as_type: type
) -> None:
    for vector in signature_vectors:
        body: Any = vector["body"] if as_type is str else as_type(vector["body"].encode())
        assert verify(body, vector["signature"], vector["api_key"]), vector["name"]


def test_one_changed_byte_fails(signature_vectors: list[dict[str, str]]) -> None:
    for vector in signature_vectors:
        tampered = vector["body"].replace("]", " ]", 1)
        assert not verify(tampered, vector["signature"], vector["api_key"]), vector["name"]
        assert not verify(vector["body"], vector["signature"], vector["api_key"] + "x")


def test_header_case_and_surrounding_space_are_ignored() -> None:
    assert verify(BODY, GOOD.upper(), KEY)
    assert verify(BODY, f"  {GOOD}\t\n", KEY)


HEADERS = [
    None,
    "",
    "   ",
    GOOD[:-1],
    GOOD + "0",
    GOOD[:-1] + "g",
    GOOD[:-2] + "é",
    GOOD[:-1] + "\ud800",
    "sha256=" + GOOD,
    GOOD[:32] + " " + GOOD[33:],
    "\x00" * 64,
    "ff" * 32,
    "a" * 5_000_000,
    42,
    ["not", "a", "string"],
]


@pytest.mark.parametrize("header", HEADERS, ids=lambda h: repr(h)[:20])
def test_any_bad_header_is_false_never_an_exception(header: Any) -> None:
    assert verify(BODY, header, KEY) is False


def test_a_bytes_header_from_a_raw_asgi_scope_works() -> None:
    assert verify(BODY, GOOD.encode(), KEY)
    assert not verify(BODY, b"\xff" * 64, KEY)


def test_key_rotation_accepts_any_of_the_keys() -> None:
    assert verify(BODY, GOOD, ["new-key", KEY])
    assert verify(BODY, GOOD, (KEY, "old-key"))
    assert not verify(BODY, GOOD, ["new-key", "old-key"])


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("", "api_key must not be empty"),
        (["good", ""], "api_key must not be empty"),
        ([], "api_key must be a key, or a non-empty sequence of keys"),
    ],
)
def test_an_empty_key_is_a_programming_error(keys: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        verify(BODY, GOOD, keys)
    with pytest.raises(ValueError, match=f"^{message}$"):
        unwrap(BODY, GOOD, keys)


def test_a_key_that_is_not_text_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"^api_key must be a str, got bytes$"):
        verify(BODY, GOOD, [KEY, KEY.encode()])  # type: ignore[list-item]


def test_sign_refuses_an_empty_key_and_a_key_list() -> None:
    with pytest.raises(ValueError, match=r"^api_key must not be empty$"):
        sign(BODY, "")
    with pytest.raises(TypeError, match=r"^api_key must be a str, got list$"):
        sign(BODY, ["a", "b"])  # type: ignore[arg-type]


def test_sign_is_lowercase_hex() -> None:
    assert GOOD.lower() == GOOD
    assert len(GOOD) == 64
    int(GOOD, 16)


# --- parse_payload -----------------------------------------------------------------------


def test_parse_the_api1_shape(signature_vectors: list[dict[str, str]]) -> None:
    contacts = parse_payload(signature_vectors[0]["body"])
    assert [(c.email, c.fields["City"]) for c in contacts] == [
        ("jane@example.com", "New York"),
        ("john@example.com", "Seattle"),
    ]
    assert contacts[0].collected_at == datetime(2019, 10, 10, 10, 10, 58, 389000, timezone.utc)


def test_parse_the_api2_shape(signature_vectors: list[dict[str, str]]) -> None:
    (contact,) = parse_payload(signature_vectors[1]["body"].encode())
    assert contact.email == "marie@example.fr"
    assert contact.form_session == "6a1f0c3e-3b7e-4a2b-9f1d-2c8e5b7a9d10"
    assert contact.fields["Prénom"] == "Marie"
    assert contact.wisepop_id == 98765


def test_parse_a_single_record_object() -> None:
    (contact,) = parse_payload(json.dumps(record(4)))
    assert contact.email == "user4@example.com"


def test_parse_an_empty_array() -> None:
    assert parse_payload(b"[]") == []


def test_parse_php_quirks() -> None:
    body = json.dumps(
        [
            {
                "collected_at": "2024-01-01T00:00:00+02:00",
                "wisepop_id": 1,
                "email": None,
                "ip": None,
                "country_code": None,
                "other_fields": [],
                "created_at": None,
                "wisepop_name": "deprecated",
                "unknown": {"nested": [1, 2]},
            },
        ]
    )
    (contact,) = parse_payload(body)
    assert contact.fields == {}
    assert contact.email is None
    assert contact.collected_at == datetime(2023, 12, 31, 22, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"\xff\xfe[]", "not valid UTF-8"),
        (b"", "not valid JSON"),
        (b"[{]", "not valid JSON"),
        (b"<html></html>", "not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b"[" + b"9" * 5000 + b"]", "not valid JSON"),
        (b'"a string"', "expected a JSON array of records or one record, got a string"),
        (b"null", "got null"),
        (b"[1]", "record 0: expected an object, got an integer"),
        (b"[[]]", "record 0: expected an object, got an array"),
        (
            json.dumps([record(0), record(1, collected_at="31/12/2023")]).encode(),
            "record 1: 'collected_at' is not an ISO 8601 date-time",
        ),
        (
            json.dumps([record(0, collected_at=None)]).encode(),
            "record 0: 'collected_at' is missing",
        ),
        (
            json.dumps([record(0, wisepop_id="12")]).encode(),
            "record 0: 'wisepop_id' must be an integer, got a string",
        ),
        (
            json.dumps([record(0, wisepop_id=1.5)]).encode(),
            "record 0: 'wisepop_id' must be an integer, got a number",
        ),
        (b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "x": NaN}]', "NaN"),
        (b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "x": -Infinity}]', "Inf"),
        (b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "x": 1e400}]', "1e400"),
        (b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": true}]', "got a boolean"),
        (
            json.dumps([record(0, collected_at="0001-01-01T00:00:00+01:00")]).encode(),
            "record 0: 'collected_at' is not an ISO 8601 date-time in range",
        ),
    ],
    ids=lambda v: v[:30] if isinstance(v, (str, bytes)) else None,
)
def test_every_bad_body_is_a_payload_error_naming_the_place(body: bytes, message: str) -> None:
    with pytest.raises(PayloadError, match=message) as caught:
        parse_payload(body)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, wisepops.WisepopsError)


def test_parse_refuses_a_non_text_body() -> None:
    with pytest.raises(TypeError, match="body"):
        parse_payload({"a": 1})  # type: ignore[arg-type]


# --- unwrap ------------------------------------------------------------------------------


def test_unwrap_verifies_then_parses(signature_vectors: list[dict[str, str]]) -> None:
    vector = signature_vectors[1]
    (contact,) = unwrap(vector["body"].encode(), vector["signature"], vector["api_key"])
    assert contact.email == "marie@example.fr"


@pytest.mark.parametrize("header", [None, ""])
def test_unwrap_without_a_signature(header: str | None) -> None:
    with pytest.raises(SignatureVerificationError, match="header is missing"):
        unwrap(BODY, header, KEY)


def test_unwrap_with_a_wrong_signature_does_not_parse() -> None:
    with pytest.raises(SignatureVerificationError) as caught:
        unwrap(b"not even json", GOOD, KEY)
    assert str(caught.value) == (
        "the X-Wisepops-Signature header does not match the body: check the API key, "
        "and that the raw body is verified, not re-serialised JSON"
    )
    assert isinstance(caught.value, ValueError)
    assert KEY not in str(caught.value)


def test_unwrap_of_a_signed_but_malformed_body_is_a_payload_error() -> None:
    body = b'[{"email": "x@example.com"}]'
    with pytest.raises(PayloadError, match="record 0: 'collected_at' is missing"):
        unwrap(body, sign(body, KEY), KEY)


def test_the_header_name() -> None:
    assert wisepops.SIGNATURE_HEADER == "X-Wisepops-Signature"


def test_importing_wisepops_imports_no_web_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys, wisepops; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'django', 'fastapi', 'starlette', 'werkzeug', 'uvicorn'}))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"


def test_a_str_body_that_utf8_cannot_encode_matches_no_signature() -> None:
    """A lone surrogate cannot have been sent by WisePops: no signature matches it."""
    assert verify("[\ud800]", GOOD, KEY) is False
    with pytest.raises(SignatureVerificationError, match="does not match"):
        unwrap("[\ud800]", GOOD, KEY)


@pytest.mark.parametrize(
    ("key", "error", "message"),
    [
        (None, TypeError, "api_key must be a str or a sequence of str, got NoneType"),
        (b"raw-bytes-key", TypeError, "api_key must be a str, got bytes"),
        (42, TypeError, "api_key must be a str or a sequence of str, got int"),
        ([], ValueError, "api_key must be a key, or a non-empty sequence of keys"),
        ("", ValueError, "api_key must not be empty"),
    ],
)
def test_a_key_that_is_not_one_is_the_callers_bug_said_plainly(
    key: Any, error: type[Exception], message: str
) -> None:
    """os.environ.get() gives None when the variable is unset: say so, not 'not iterable'."""
    with pytest.raises(error, match=re.escape(message)):
        verify(b"[]", "0" * 64, key)
    with pytest.raises(error, match=re.escape(message)):
        unwrap(b"[]", "0" * 64, key)


class Header(str):
    """A str subclass, as frameworks hand headers over (markupsafe's Markup, Django's
    SafeString, a request library's case-insensitive value)."""

    def strip(self, chars: str | None = None) -> str:  # a subclass may change its methods
        return "not the signature"


SIGNATURE_FORMS: dict[str, Callable[[str], Any]] = {
    "str subclass": Header,
    "bytes": lambda text: text.encode(),
    "bytearray": lambda text: bytearray(text.encode()),
    "memoryview": lambda text: memoryview(text.encode()),
    "array of bytes": lambda text: array.array("B", text.encode()),
}


@pytest.mark.parametrize("form", SIGNATURE_FORMS, ids=str)
def test_a_signature_in_any_str_subclass_or_bytes_like_object_is_read_as_its_text(
    form: str,
) -> None:
    make = SIGNATURE_FORMS[form]
    header: Any = make(f" {GOOD.upper()} ")
    assert verify(BODY, header, KEY) is True
    assert verify(bytearray(BODY), header, KEY) is True
    assert [c.email for c in unwrap(BODY, header, KEY)] == [
        "user1@example.com",
        "user2@example.com",
    ]
    wrong: Any = make(GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"))
    assert verify(BODY, wrong, KEY) is False
    with pytest.raises(SignatureVerificationError, match="does not match"):
        unwrap(BODY, wrong, KEY)
    with pytest.raises(SignatureVerificationError, match="missing"):
        unwrap(BODY, make(""), KEY)


def test_a_body_in_a_str_subclass_or_any_bytes_like_object_is_verified_as_its_bytes() -> None:
    text = BODY.decode()
    assert verify(Header(text), GOOD, KEY) is True
    assert verify(array.array("B", BODY), GOOD, KEY) is True  # type: ignore[arg-type]
    assert verify(memoryview(BODY)[1:], GOOD, KEY) is False


def test_a_released_memoryview_is_no_signature_and_no_exception() -> None:
    view = memoryview(GOOD.encode())
    view.release()
    assert verify(BODY, view, KEY) is False
    with pytest.raises(SignatureVerificationError):
        unwrap(BODY, view, KEY)
