"""The leads layout both ``wisepops.db`` and ``wisepops.django`` build on: written once,
and importable where neither SQLAlchemy nor Django is installed."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import attrs
import pytest

import wisepops
from wisepops import _leads
from wisepops._pagination import Cursor

from .websites import DE_KEY, FR_KEY, TwoWebsites

CONTACT = wisepops.Contact(
    collected_at=datetime(2024, 5, 1, 8, tzinfo=timezone.utc),
    wisepop_id=7,
    email="a@example.com",
    fields={"City": "Paris"},
)


def test_every_field_of_a_contact_is_a_column_of_the_leads_table() -> None:
    """A field added to ``Contact`` is a column of LeadStore's table and the app's model."""
    names = [f.name for f in attrs.fields(wisepops.Contact) if f.name != "extra"]
    assert ("dedupe_key", *names, "extra", "source", "website", "stored_at") == _leads.ROW_ORDER
    key = _leads.LEAD_COLUMNS[0]
    assert (key.primary_key, key.length) == (True, 32)
    assert [c.name for c in _leads.SYNC_COLUMNS if c.primary_key] == ["walk"]


def test_a_row_holds_the_contact_as_it_is() -> None:
    assert _leads.row(CONTACT, CONTACT.dedupe_key, "api2", "shop-fr") == [
        CONTACT.dedupe_key,
        CONTACT.collected_at,
        7,
        "a@example.com",
        None,
        None,
        None,
        {"City": "Paris"},
        {},
        "api2",
        "shop-fr",
    ]


@pytest.mark.parametrize("text", ["a\x00@example.com", "\ud800"], ids=["nul", "surrogate"])
def test_text_no_database_can_hold_goes_to_extra_as_sent(text: str) -> None:
    """Its column is left empty and nothing is lost: a sync cannot stick on it."""
    contact = attrs.evolve(CONTACT, email=text, extra={"new_key": 1})
    values = dict(zip(_leads.ROW_ORDER, _leads.row(contact, "k", "webhook", "default")))
    assert values["email"] is None
    assert values["extra"] == {"new_key": 1, "email": text}
    assert contact.extra == {"new_key": 1}  # the record itself is left as it was


def test_rows_keeps_the_first_of_a_record_a_body_repeats() -> None:
    other = attrs.evolve(CONTACT, email="b@example.com")
    rows = _leads.rows([CONTACT, other, CONTACT], "webhook", "default")
    assert [row[0] for row in rows] == [CONTACT.dedupe_key, other.dedupe_key]


def test_rows_refuse_a_website_name_a_url_or_a_variable_could_not_carry() -> None:
    with pytest.raises(ValueError, match=r"letters, digits, '-' or '_', not 'shop fr'"):
        _leads.rows([], "webhook", "shop fr")


def test_the_walk_id_of_the_longest_name_and_filter_fits_its_column() -> None:
    since = datetime(2024, 5, 1, 8, 0, 0, 999999, tzinfo=timezone.utc)
    longest = _leads.walk_id("w" * 64, "v2", since, -(2**63))
    assert len(longest) <= _leads.SYNC_COLUMNS[0].length  # type: ignore[operator]


def test_a_key_fingerprint_is_short_and_never_the_key() -> None:
    key = "0123456789abcdef0123456789abcdef"
    fingerprint = _leads.key_fingerprint(key)
    assert len(fingerprint) == _leads.FINGERPRINT_LENGTH == 16
    assert fingerprint not in key
    assert fingerprint == _leads.key_fingerprint(key)  # the same key: the same cursor
    assert fingerprint != _leads.key_fingerprint(key[:-1] + "0")


def test_the_walk_id_names_one_instant_one_way() -> None:
    """Whatever zone ``--since`` was given in, ``wisepops sync`` and ``manage.py
    wisepops_sync`` find the same saved cursor."""
    utc = datetime(2024, 5, 1, 8, 0, 0, 250000, tzinfo=timezone.utc)
    paris = utc.astimezone(timezone(timedelta(hours=2)))
    assert _leads.walk_id("a", "v2", utc, None) == _leads.walk_id("a", "v2", paris, None)
    assert _leads.walk_id("a", "v2", utc, None) == (
        '{"api": "v2", "collected_after": "2024-05-01T08:00:00.250Z", "website": "a", '
        '"wisepop_id": null}'
    )
    assert _leads.walk_id("a", "v1", None, 7) != _leads.walk_id("a", "v2", None, 7)
    assert _leads.walk_id("a", "v2", None, 7) != _leads.walk_id("b", "v2", None, 7)


def test_the_summary_says_what_a_run_did_and_where_the_next_starts() -> None:
    empty = _leads.SyncResult(new=0, seen=0, calls=1, cursor=Cursor())
    assert empty.summary() == "0 new of 0 seen in 1 call; nothing listed yet"
    at = datetime(2024, 1, 1, 0, 41, 39, 500000, tzinfo=timezone.utc)
    done = _leads.SyncResult(new=2500, seen=2500, calls=3, cursor=Cursor(collected_at=at))
    assert done.summary() == (
        "2,500 new of 2,500 seen in 3 calls; the next run starts after 2024-01-01T00:41:39.500Z"
    )
    again = attrs.evolve(done, restarted=True)
    assert again.summary() == (
        "2,500 new of 2,500 seen in 3 calls; key changed: walked again from the start; "
        "the next run starts after 2024-01-01T00:41:39.500Z"
    )


def test_a_sync_refuses_what_is_not_a_client_or_an_api() -> None:
    def never(*args: object) -> int:
        raise AssertionError("nothing is stored")

    with pytest.raises(TypeError, match=r"takes a wisepops\.Client, not AsyncClient"):
        _leads.sync(
            wisepops.AsyncClient(api_key="k"),  # type: ignore[arg-type] # what a user might pass
            api="v2",
            collected_after=None,
            wisepop_id=None,
            saved=lambda walk: None,
            commit=never,
        )
    with wisepops.Client(api_key="k") as client, pytest.raises(ValueError, match="not 'v3'"):
        _leads.sync(
            client,
            api="v3",  # type: ignore[arg-type]
            collected_after=None,
            wisepop_id=None,
            saved=lambda walk: None,
            commit=never,
        )


def test_it_imports_neither_sqlalchemy_nor_django() -> None:
    code = "import sys, wisepops._leads; print(sorted({'sqlalchemy', 'django'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "[]\n"


def test_sync_websites_goes_on_past_a_website_that_fails_and_names_it() -> None:
    sites = TwoWebsites(leads=4)
    keys = {"shop-fr": FR_KEY, "shop-bad": "not-a-key-of-any-website", "shop-de": DE_KEY}
    synced: list[str] = []

    def sync_one(client: wisepops.Client, website: str, progress: object) -> _leads.SyncResult:
        list(client.v2.contacts.iter())  # a 401 for the wrong key
        synced.append(website)
        return _leads.SyncResult(new=2, seen=2, calls=1, cursor=Cursor())

    with sites.client("shop-fr", max_retries=0) as client:
        outcomes = list(_leads.sync_websites(client, keys, sync_one, describe=type_of))
    assert synced == ["shop-fr", "shop-de"]
    assert [(o.website, o.failed) for o in outcomes] == [
        ("shop-fr", False),
        ("shop-bad", True),
        ("shop-de", False),
    ]
    assert outcomes[0].line == "shop-fr: 2 new of 2 seen in 1 call; nothing listed yet"
    assert outcomes[1].line == "shop-bad: AuthenticationError"


def type_of(exc: Exception) -> str:
    return type(exc).__name__


def test_one_website_has_no_name_before_its_line() -> None:
    def sync_one(client: wisepops.Client, website: str, progress: object) -> _leads.SyncResult:
        return _leads.SyncResult(new=0, seen=0, calls=1, cursor=Cursor())

    with wisepops.Client(api_key="k") as client:
        (outcome,) = _leads.sync_websites(client, {"default": "k"}, sync_one)
    assert outcome.line == "0 new of 0 seen in 1 call; nothing listed yet"
