"""A person's erasure from the leads tables, and their suppression: written once for
``wisepops.db`` and ``wisepops.django``, on a DB-API cursor, needing neither SQLAlchemy
nor Django.

A person is an email (trimmed, case-folded) and a phone in international form (``+`` and
digits), either or both. They are found in a lead's ``email`` column and in any value of
its ``fields`` and ``extra``, at any depth. An erased identifier is kept only as an
HMAC-SHA256 under a secret made once per database (the table ``wisepops_erasure``), so that
a redelivery or a sync can be recognised without the identifier being kept as text.

Exactness with many processes: every writer reads the suppression inside the transaction
that inserts, after a lock an erasure holds for its whole transaction (on SQLite the write
lock, on PostgreSQL an advisory lock, shared by writers, exclusive for an erasure), so an
erasure is never undone by a delivery running at the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, Optional, Protocol

from ._leads import ERASURE_TABLE, LEADS_TABLE, ROW_ORDER, SUPPRESSED_TABLE
from ._operations import _PHONE

Kind = Literal["email", "phone"]
Identifier = tuple[Kind, str]
"""An identifier of a person, normalised: ``("email", "jane@example.com")``."""

LOCK = 0x7769736570657261  # PostgreSQL's advisory lock: shared by writers, exclusive to erase
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_SEPARATORS = re.compile(r"[\s\-.()/]")
_CHUNK = 500  # hashes per IN (...): within every SQLite's limit of parameters
_EMAIL_AT, _FIELDS_AT, _EXTRA_AT = (ROW_ORDER.index(n) for n in ("email", "fields", "extra"))


class Cursor(Protocol):
    """What this module needs of a DB-API cursor (the driver's, or Django's wrapper)."""

    def execute(self, statement: str, parameters: Sequence[Any] = ..., /) -> Any: ...
    def executemany(self, statement: str, parameters: Sequence[Sequence[Any]], /) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> Any: ...


# --- identifiers -------------------------------------------------------------------------


def email(text: object) -> Optional[str]:
    """``text`` as a normalised email (trimmed, case-folded), or ``None`` if it is not one."""
    if not isinstance(text, str):
        return None
    folded = text.strip().casefold()
    return folded if _EMAIL.fullmatch(folded) else None


def phone(text: object) -> Optional[str]:
    """``text`` as a phone in international form, ``+`` then digits, or ``None``: spaces,
    ``-``, ``.``, ``/`` and brackets are dropped, a leading ``00`` read as ``+``. A number
    without its country code (``06 12 34 56 78``) cannot be told apart from other digits."""
    if not isinstance(text, str):
        return None
    compact = _PHONE_SEPARATORS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    return compact if _PHONE.fullmatch(compact) else None


def person(
    email_address: Optional[str] = None, phone_number: Optional[str] = None
) -> frozenset[Identifier]:
    """The identifiers of the person to erase; ``ValueError`` saying why when neither is
    given or one is not an email or a phone."""
    if email_address is None and phone_number is None:
        raise ValueError("give an email, a phone number or both")
    found: set[Identifier] = set()
    if email_address is not None:
        normal = email(email_address)
        if normal is None:
            raise ValueError(f"not an email address: {email_address!r}")
        found.add(("email", normal))
    if phone_number is not None:
        normal = phone(phone_number)
        if normal is None:
            raise ValueError(
                f"not a phone number in international form (+ then 6 to 15 digits, "
                f"like +14155552671): {phone_number!r}"
            )
        found.add(("phone", normal))
    return frozenset(found)


def identifiers(email_value: object, fields: object, extra: object) -> set[Identifier]:
    """Every email and phone in a lead: its ``email``, and any text in ``fields`` and
    ``extra`` (JSON, or its text as a database returns it), at any depth."""
    found: set[Identifier] = set()
    for text in (email_value, *_texts(_json(fields)), *_texts(_json(extra))):
        normal = email(text)
        if normal is not None:
            found.add(("email", normal))
            continue
        normal = phone(text)
        if normal is not None:
            found.add(("phone", normal))
    return found


def _json(value: object) -> object:
    if isinstance(value, str):  # SQLite, and a json column read as text
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _texts(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def digest(secret: str, identifier: Identifier) -> str:
    """The keyed hash an identifier is kept as: HMAC-SHA256 under the database's secret."""
    kind, value = identifier
    message = f"{kind}\x1f{value}".encode("utf-8", "surrogatepass")
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


def new_secret() -> str:
    """A database's secret for :func:`digest`, made once: 32 random bytes, in hex."""
    return secrets.token_hex(32)


FIRST_ROW = (
    f"INSERT INTO {ERASURE_TABLE} (id, secret, suppressed) VALUES (1, {{mark}}, 0) "  # noqa: S608
    "ON CONFLICT (id) DO NOTHING"
)
"""The one row of ``wisepops_erasure``, made where it is missing (``{mark}``: the driver's
parameter mark), by ``LeadStore.create()``, the app's migration, and an erasure."""


# --- in a writer's transaction -----------------------------------------------------------


def erased_rows(
    cursor: Cursor, vendor: str, mark: str, rows: Sequence[Sequence[Any]], *, immediate: bool
) -> set[int]:
    """The positions in ``rows`` (values in ``ROW_ORDER``) of an erased person's leads,
    read in the transaction that is about to insert them.

    Usually one small query: the count of suppressed identifiers, which is 0 until a first
    erasure. ``immediate``: the transaction holds SQLite's write lock already (``BEGIN
    IMMEDIATE``); if not, a first statement that writes takes it, so that a reader does not
    have to upgrade later, which can fail at once with "database is locked".
    """
    if vendor == "postgresql":
        cursor.execute(f"SELECT pg_advisory_xact_lock_shared({LOCK})")
    elif not immediate:  # a write that changes no row (the one row's id is 1): the lock only
        cursor.execute(f"UPDATE {ERASURE_TABLE} SET suppressed = suppressed WHERE id = 0")  # noqa: S608
    cursor.execute(f"SELECT secret, suppressed FROM {ERASURE_TABLE}")  # noqa: S608
    state = cursor.fetchone()
    if state is None or not state[1]:
        return set()
    secret: str = state[0]
    hashes = [
        {digest(secret, found) for found in identifiers(r[_EMAIL_AT], r[_FIELDS_AT], r[_EXTRA_AT])}
        for r in rows
    ]
    suppressed = _suppressed(cursor, mark, set().union(*hashes))
    return {at for at, found in enumerate(hashes) if found & suppressed}


def _suppressed(cursor: Cursor, mark: str, hashes: Iterable[str]) -> set[str]:
    """Which of ``hashes`` are kept in ``wisepops_suppressed``."""
    found: set[str] = set()
    pending = sorted(hashes)
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        cursor.execute(
            f"SELECT hash FROM {SUPPRESSED_TABLE} WHERE hash IN ({', '.join([mark] * len(chunk))})",  # noqa: S608
            chunk,
        )
        found.update(h for (h,) in cursor.fetchall())
    return found


# --- the erasure -------------------------------------------------------------------------


def erase(
    cursor: Cursor,
    vendor: str,
    mark: str,
    who: frozenset[Identifier],
    *,
    erased_at: Any,
    dry_run: bool = False,
) -> int:
    """Delete every lead of ``who`` and keep their identifiers' hashes, in the caller's
    transaction; return how many leads. ``dry_run``: only count them.

    The leads are matched here, in Python, over every row (JSON columns differ between
    databases; an erasure is rare), then deleted by primary key. ``erased_at``: the time
    in the driver's form for the column ``erased_at``.
    """
    if vendor == "sqlite" and not dry_run:  # what it deletes is overwritten with zeros
        cursor.execute("PRAGMA secure_delete=ON")  # this connection's, from now on
    if not dry_run:
        if vendor == "postgresql":  # waits for the writers in flight; new ones wait for it
            cursor.execute(f"SELECT pg_advisory_xact_lock({LOCK})")
        cursor.execute(FIRST_ROW.format(mark=mark), [new_secret()])  # on SQLite, a write first
    cursor.execute(f"SELECT dedupe_key, email, fields, extra FROM {LEADS_TABLE}")  # noqa: S608
    keys = [(key,) for key, *lead in cursor.fetchall() if identifiers(*lead) & who]
    if dry_run:
        return len(keys)
    cursor.execute(f"SELECT secret FROM {ERASURE_TABLE}")  # noqa: S608
    (secret,) = cursor.fetchone()
    cursor.executemany(
        f"INSERT INTO {SUPPRESSED_TABLE} (hash, erased_at) VALUES ({mark}, {mark}) "  # noqa: S608
        "ON CONFLICT (hash) DO NOTHING",
        [(digest(secret, found), erased_at) for found in sorted(who)],
    )
    cursor.execute(
        f"UPDATE {ERASURE_TABLE} SET suppressed = (SELECT COUNT(*) FROM {SUPPRESSED_TABLE})"  # noqa: S608
    )
    if keys:
        cursor.executemany(f"DELETE FROM {LEADS_TABLE} WHERE dedupe_key = {mark}", keys)  # noqa: S608
    return len(keys)


SQLITE_SCRUB = ("VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)")
"""Run after an erasure's commit on SQLite, out of any transaction: ``VACUUM`` rebuilds the
file from the rows left, so no copy survives in a page's free space or on a free page, and
the checkpoint writes the WAL into the file and truncates it to nothing."""


def sqlite_scrub(cursor: Cursor) -> Optional[str]:
    """:data:`SQLITE_SCRUB`; why the WAL could not be emptied, or ``None`` when it was."""
    cursor.execute(SQLITE_SCRUB[0])
    cursor.execute(SQLITE_SCRUB[1])
    busy, *_ = cursor.fetchone()
    if busy:
        return (
            "another connection is reading the database, so its WAL still holds pages from "
            "before the erasure: erase again once it is done"
        )
    return None
