"""wisepops/_wire/times.py: instants read from ISO 8601, written in UTC with a Z, and the
``collected_after`` argument as it goes out: in UTC, to the millisecond."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import respx

from wisepops._wire.times import format_datetime, parse_datetime
from wisepops.testing import FakeWisepops

from .clients import KINDS, call
from .conftest import BASE_URL
from .servers import listing_calls

UTC = timezone.utc


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


@pytest.mark.parametrize(
    ("collected_after", "sent"),
    [
        (datetime(2024, 3, 1, 2, 0, tzinfo=timezone(timedelta(hours=1))), "2024-03-01T01:00:00Z"),
        (datetime(2024, 3, 1, 1, 0), "2024-03-01T01:00:00Z"),
        (date(2024, 3, 1), "2024-03-01T00:00:00Z"),
        ("2017-03-01T01:00:00+01:00", "2017-03-01T00:00:00Z"),
        (datetime(2024, 3, 1, 1, 0, 0, 389999, tzinfo=timezone.utc), "2024-03-01T01:00:00.389Z"),
    ],
)
@pytest.mark.parametrize("kind", KINDS)
def test_collected_after_encoding(kind: str, collected_after: Any, sent: str) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        route = mock.get("/api1/emails").respond(json=[])
        call(kind, lambda c: c.emails.list(collected_after=collected_after, wisepop_id=7, page=2))
    params = route.calls.last.request.url.params
    assert dict(params) == {"collected_after": sent, "wisepop_id": "7", "page": "2"}


@pytest.mark.parametrize(
    ("since", "sent"),
    [
        (
            datetime(2024, 1, 1, 2, 0, 0, 389999, tzinfo=timezone(timedelta(hours=2))),
            "2024-01-01T00:00:00.389Z",
        ),
        ("2024-01-01T00:00:00.123456789Z", "2024-01-01T00:00:00.123Z"),
        ("2024-01-01", "2024-01-01T00:00:00Z"),
    ],
)
def test_collected_after_goes_out_in_utc_z_to_the_millisecond(since: Any, sent: str) -> None:
    fake = FakeWisepops()
    with fake.client() as client:
        client.emails.list(collected_after=since)
        list(client.emails.iter(collected_after=since))
    assert [c["collected_after"] for c in listing_calls(fake, "/api1/emails")] == [sent, sent]
