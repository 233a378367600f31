"""Instants on the wire: ISO 8601 in, UTC to the millisecond out.

WisePops stores and sends times to the millisecond, in UTC; a time without a zone means UTC.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Optional, Union

UTC = timezone.utc

DateLike = Union[datetime, date, str]
"""What a ``collected_after`` argument may be."""

_ISO_FALLBACK = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(?:([Zz])|([+-])(\d{2}):?(\d{2}))?"
)


def _parse_iso_fallback(text: str) -> datetime:
    """The ISO 8601 forms that ``datetime.fromisoformat`` only accepts from Python 3.11."""
    match = _ISO_FALLBACK.fullmatch(text)
    if match is None:
        raise ValueError(text)
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    tz = None
    if zulu:
        tz = UTC
    elif sign:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        tz = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year),
        int(month),
        int(day),
        int(hour or 0),
        int(minute or 0),
        int(second or 0),
        micro,
        tzinfo=tz,
    )


def parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time into an aware UTC datetime; no zone means UTC.

    Raises ``ValueError`` for anything else, a time that is out of range in UTC
    (``0001-01-01T00:00:00+01:00``) included.
    """
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _parse_iso_fallback(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    if parsed.tzinfo is not UTC:
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValueError(f"{text!r} is out of range in UTC") from None
    return parsed


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken as UTC, as the API does."""
    if value.tzinfo is UTC:
        return value
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_millisecond(value: datetime) -> datetime:
    """``value`` cut to the millisecond, the precision WisePops stores and sends."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, as precise as ``value`` needs; naive means UTC."""
    value = as_utc(value)
    timespec = "seconds"
    if value.microsecond:
        timespec = "milliseconds" if value.microsecond % 1000 == 0 else "microseconds"
    return value.replace(tzinfo=None).isoformat(timespec=timespec) + "Z"


def format_wire(value: datetime) -> str:
    """As WisePops writes an instant: UTC, always three digits of milliseconds, ``Z``."""
    return as_utc(value).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def as_instant(value: DateLike) -> datetime:
    """A ``collected_after`` argument as an aware UTC datetime.

    A naive datetime is taken as UTC, as the API does; a date means its midnight UTC; a
    str must be ISO 8601.
    """
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, date):
        return datetime.combine(value, time(), tzinfo=UTC)
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            raise ValueError(
                f"collected_after must be an ISO 8601 date-time in range, got {value[:40]!a}"
            ) from None
    raise TypeError(
        f"collected_after must be a datetime, a date or a str, got {type(value).__name__}"
    )


def format_collected_after(value: datetime) -> str:
    """The API's own form: UTC, ``Z``, cut to the millisecond (the records' precision)."""
    return format_datetime(to_millisecond(value))


def query_instant(value: Optional[DateLike]) -> Optional[str]:
    """A ``collected_after`` argument as sent; ``None`` when not given."""
    return None if value is None else format_collected_after(as_instant(value))
