"""The keyset walk at its edges: what it says when it gives up or skips, where a warning
points, resuming from a saved position, and getting stuck on ties more than once."""

from __future__ import annotations

import pathlib
import warnings
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import httpx
import pytest
import respx

import wisepops
from wisepops._pagination import Position, contact_walk, email_walk
from wisepops.testing import FakeWisepops

from .conftest import API_KEY, BASE_URL, records

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
MS = timedelta(milliseconds=1)


def test_a_server_that_ignores_every_way_out_is_told_in_full_and_warned_at_the_callers_line() -> (
    None
):
    yielded: list[wisepops.Contact] = []
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api1/emails").respond(json=records(0, 100))  # whatever is asked
        with wisepops.Client(API_KEY) as client, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            with pytest.raises(wisepops.APIResponseValidationError) as caught:  # noqa: PT012
                for contact in client.emails.iter():  # the warning points at this line
                    yielded.append(contact)
    assert len(yielded) == 100
    (warning,) = seen
    assert warning.category is RuntimeWarning
    assert str(warning.message) == (
        "a whole page of 100 records shares collected_at 2024-01-01T00:01:39.123Z and the "
        "server ignores `page`: any more records at that instant cannot be fetched; "
        "moving past it"
    )
    lines = pathlib.Path(__file__).read_text("utf-8").splitlines()
    loop = next(n for n, line in enumerate(lines, 1) if "# the warning points at" in line)
    if "mutmut" not in warning.filename:  # mutation testing puts its frames in between
        assert (warning.filename, warning.lineno) == (__file__, loop)
    assert str(caught.value) == (
        "the server answers collected_after=2024-01-01T00:01:39.124Z with records already "
        "yielded, whatever is asked: stopping rather than looping"
    )


@pytest.mark.parametrize(
    "walk",
    [
        lambda position: email_walk(None, 7, position),
        lambda position: contact_walk(None, 7, 250, position),
    ],
    ids=["api1", "api2"],
)
def test_a_walk_resumes_from_a_saved_position(walk: Any) -> None:
    fresh = walk(None).next_operation()
    assert fresh is not None
    assert "collected_after" not in fresh.params
    resumed = walk(Position(cursor=T0 + 5 * MS, seen={"k": 1})).next_operation()
    assert resumed is not None
    assert resumed.params["collected_after"] == "2024-01-01T00:00:00.004Z"  # a ms before
    assert resumed.params["wisepop_id"] == "7"


@pytest.mark.parametrize("inclusive", [False, True], ids=[">", ">="])
def test_each_instant_of_ties_starts_again_from_the_first_way_out(inclusive: bool) -> None:
    """Three instants of ties, each a page and a half, on a server that ignores `page`:
    each is left the same way, with its own warning, rather than the walk, once stuck,
    going straight to a later way out (and giving up) at the next one."""
    fake = FakeWisepops(API_KEY, honour_page=False, inclusive_after=inclusive)
    for group in range(3):
        for n in range(3):  # 3 records in one millisecond, pages of 2
            fake.collect(email=f"g{group}n{n}@x.example", collected_at=T0 + group * 10 * MS)
        fake.collect(email=f"g{group}-after@x.example", collected_at=T0 + (group * 10 + 5) * MS)
    with fake.client() as client, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    reachable = [
        [f"g{g}n0@x.example", f"g{g}n1@x.example", f"g{g}-after@x.example"] for g in range(3)
    ]
    assert yielded == [email for group in reachable for email in group]
    instants = ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.010Z", "2024-01-01T00:00:00.020Z"]
    assert [str(w.message).split(" and ")[0] for w in seen] == [
        f"a whole page of 2 records shares collected_at {instant}" for instant in instants
    ]


def requests_of(fake: FakeWisepops) -> list[tuple[Optional[str], Optional[str]]]:
    """What each request asked for: (collected_after, page)."""
    return [(r.url.params.get("collected_after"), r.url.params.get("page")) for r in fake.requests]


def test_a_page_spent_on_the_millisecond_before_is_followed_by_the_cursor_itself() -> None:
    """A >= server answers "after a millisecond before the cursor" with records of that
    millisecond: the walk learns it reads >=, and asks from the cursor itself next, not
    for the next page by number."""
    fake = FakeWisepops(API_KEY, inclusive_after=True)
    fake.collect(email="a@x.example", collected_at=T0)
    for name in "bcd":
        fake.collect(email=f"{name}@x.example", collected_at=T0 + MS)
    with fake.client() as client:
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert requests_of(fake) == [
        (None, None),
        ("2024-01-01T00:00:00Z", None),  # gives a and b again: a >= server
        ("2024-01-01T00:00:00.001Z", None),  # so from the cursor: b and c
        ("2024-01-01T00:00:00.001Z", None),  # c and d
        ("2024-01-01T00:00:00.001Z", "2"),  # the same instant again: by number
    ]


def test_nothing_comes_after_the_last_millisecond_of_9999() -> None:
    end = datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    fake = FakeWisepops(API_KEY, inclusive_after=True, honour_page=False)
    for name in "xyz":
        fake.collect(email=f"{name}@x.example", collected_at=end)
    with fake.client() as client, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == ["x@x.example", "y@x.example"]  # z cannot be reached: warned
    assert [str(w.message).split(" and ")[0] for w in seen] == [
        "a whole page of 2 records shares collected_at 9999-12-31T23:59:59.999Z"
    ]
    assert requests_of(fake)[-1] == ("9999-12-31T23:59:59.999Z", None)  # then it stops


def contact(email: str, at: datetime = T0) -> dict[str, Any]:
    stamp = at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {"collected_at": stamp, "wisepop_id": 1, "fields": {"email": email}}


def scripted(answers: list[list[dict[str, Any]]]) -> tuple[list[Any], list[Any], int]:
    """Walk api2 at 2 a page against a server answering ``answers`` in turn: what was
    yielded, what each request asked for (collected_after, page), and how many warnings."""
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api2/contacts").mock(
            side_effect=[httpx.Response(200, json=answer) for answer in answers]
        )
        with wisepops.Client(API_KEY) as client, warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            yielded = [item.email for item in client.v2.contacts.iter(page_size=2)]
    asked = [(c.request.url.params.get("collected_after"), c.request.url.params.get("page"))
             for c in route.calls]  # fmt: skip
    return yielded, asked, len(seen)


A, B, C, D = (contact(f"{name}@x.example") for name in "abcd")
BEFORE, AT, PAST = "2023-12-31T23:59:59.999Z", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00.001Z"


def test_the_walk_never_asks_for_an_earlier_collected_after_than_it_already_did() -> None:
    """A server that, asked past an instant, still sends records of that instant (new
    ones, so they are yielded): the next request stays where the walk had got to."""
    yielded, asked, warned = scripted([[A, B], [A, B], [A, B], [A, B], [C, D], []])
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert warned == 1
    assert asked == [
        (None, None),
        (BEFORE, None),  # a millisecond before the instant
        (BEFORE, "2"),  # the next page by number: ignored
        (AT, None),  # the instant itself, where a >= server sends it again
        (PAST, None),  # past it...
        (PAST, None),  # ...and never back, though c and d were at it
    ]


def test_new_records_at_the_instant_it_is_stuck_on_do_not_start_its_ways_out_again() -> None:
    """Unstuck only once past the instant: records still at it move the walk on, but
    when it stalls there again it takes the next way out, not the first again."""
    yielded, asked, warned = scripted([[A, B], [A, B], [A, B], [C, D], [A, B], []])
    assert yielded == ["a@x.example", "b@x.example", "c@x.example", "d@x.example"]
    assert warned == 1
    assert asked == [
        (None, None),
        (BEFORE, None),
        (BEFORE, "2"),
        (AT, None),  # c and d: new, at the same instant
        (AT, None),  # a and b again: stalled at it still
        (PAST, None),  # so past it, rather than by number once more
    ]


def test_a_page_by_number_that_repeats_the_one_before_yields_nothing_again() -> None:
    """Ties come in any order: b before a, twice, is still nothing new."""
    yielded, asked, warned = scripted([[A, B], [B, A], [B, A], [A, B], []])
    assert yielded == ["a@x.example", "b@x.example"]
    assert warned == 1
    assert asked == [(None, None), (BEFORE, None), (BEFORE, "2"), (AT, None), (PAST, None)]


@pytest.mark.parametrize("inclusive", [False, True], ids=[">", ">="])
def test_ties_over_several_pages_are_paged_by_number_to_the_end(inclusive: bool) -> None:
    fake = FakeWisepops(API_KEY, inclusive_after=inclusive)
    for n in range(7):
        fake.collect(email=f"t{n}@x.example", collected_at=T0)
    with fake.client() as client:
        yielded = [contact.email for contact in client.v2.contacts.iter(page_size=2)]
    assert yielded == [f"t{n}@x.example" for n in range(7)]
    assert requests_of(fake) == [
        (None, None),
        (BEFORE, None),
        (BEFORE, "2"),
        (BEFORE, "3"),
        (BEFORE, "4"),
    ]
