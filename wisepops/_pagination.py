"""Walking a listing by ``collected_after`` (keyset), without I/O.

Each request asks for what was collected after the newest record yielded (less a
millisecond) and skips what it already yielded at that instant, so the walk is exact
whatever the server does with ``page``, with ``>`` or ``>=`` and with ties; see README.
"""

from __future__ import annotations

import enum
import json
import re
import sys
import warnings
from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Callable, Optional, Union

import attrs

from ._errors import APIResponseValidationError
from ._operations import Operation, list_contacts, list_emails
from ._wire.records import Contact, Page
from ._wire.times import (
    DateLike,
    as_instant,
    format_collected_after,
    format_datetime,
    parse_datetime,
    to_millisecond,
)

ListPage = Callable[[Optional[datetime], Optional[int]], Operation[Page[Contact]]]
"""Builds the request for one page: ``(collected_after, page number or None)``."""

_MILLISECOND = timedelta(milliseconds=1)


_CURSOR_VERSION = 1


@attrs.frozen
class Cursor:
    """Where a walk stands: the newest ``collected_at`` it yielded, and which records at it.

    Keep ``cursor.to_json()`` anywhere a string fits; ``iter(cursor=Cursor.from_json(text))``
    then yields every later record once. ``seen`` counts the ``dedupe_key`` of each record
    yielded at ``collected_at``, so that twins in one millisecond are each yielded once.

    Example::

        walk = client.v2.contacts.iter()
        for contact in walk:
            save(contact)
        saved = walk.cursor.to_json()
    """

    collected_at: Optional[datetime] = None
    seen: Mapping[str, int] = attrs.field(factory=dict, hash=False)

    def to_json(self) -> str:
        """A short JSON string that :meth:`from_json` reads back; it holds no personal data.

        Example: ``Path("cursor.json").write_text(walk.cursor.to_json())``
        """
        at = self.collected_at
        return json.dumps(
            {
                "version": _CURSOR_VERSION,
                "collected_at": None if at is None else format_datetime(at),
                "seen": dict(self.seen),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> Cursor:
        """Read what :meth:`to_json` wrote; ``ValueError`` saying what is wrong otherwise.

        Example: ``client.emails.iter(cursor=Cursor.from_json(Path("cursor.json").read_text()))``
        """
        try:
            saved = json.loads(text)
        except (ValueError, TypeError, RecursionError) as exc:  # RecursionError: deep nesting
            raise ValueError(f"a cursor is JSON text, and this is not: {exc}") from None
        if not isinstance(saved, dict) or saved.get("version") != _CURSOR_VERSION:
            raise ValueError(
                f"not a cursor of this version of wisepops (expected an object with "
                f'"version": {_CURSOR_VERSION}): {_excerpt(text)}'
            )
        at, seen = saved.get("collected_at"), saved.get("seen")
        if at is not None and not isinstance(at, str):
            raise ValueError(f"a cursor's collected_at is an ISO 8601 string or null: {at!r}")
        if not isinstance(seen, dict) or not all(
            _DEDUPE_KEY.fullmatch(key) and type(count) is int and count > 0
            for key, count in seen.items()
        ):
            raise ValueError(
                "a cursor's seen maps dedupe keys (32 hex digits) to counts above 0: "
                + _excerpt(json.dumps(seen))
            )
        if seen and at is None:
            raise ValueError("a cursor with seen records needs their collected_at")
        if at is None:
            return cls(None, seen)
        try:
            return cls(parse_datetime(at), seen)
        except ValueError:
            raise ValueError(
                f"a cursor's collected_at is not an ISO 8601 time: {_excerpt(at)}"
            ) from None

    def _advanced(self, contacts: Sequence[Contact]) -> Cursor:
        """The cursor past ``contacts``, which were just yielded, oldest first."""
        if not contacts:
            return self
        newest = contacts[-1].collected_at
        if self.collected_at is not None and newest < self.collected_at:
            return self  # out of order: a cursor only moves forward
        seen = dict(self.seen) if newest == self.collected_at else {}
        for contact in reversed(contacts):  # the records at the newest instant end the list
            if contact.collected_at != newest:
                break
            key = contact.dedupe_key
            seen[key] = seen.get(key, 0) + 1
        return Cursor(newest, seen)

    def _collected_after(self, inclusive: bool = False) -> Optional[datetime]:
        """What to ask for next: the instant itself while nothing at it has been yielded or
        when the server is known to read ``>=``; else a millisecond before it, so that a
        ``>`` server sends the rest of its instant too.
        """
        at = self.collected_at
        if at is None or not self.seen or inclusive:
            return at
        try:
            return to_millisecond(at) - _MILLISECOND
        except OverflowError:  # the first millisecond of year 1: ask for everything
            return None


_DEDUPE_KEY = re.compile("[0-9a-f]{32}")


def _excerpt(text: Union[str, bytes]) -> str:
    shown = repr(text[:80])
    return shown + ("..." if len(text) > 80 else "")


class Unstick(enum.Enum):
    """The ways out of a full page that held nothing new, tried in this order."""

    NOT_STUCK = enum.auto()
    BY_NUMBER = enum.auto()  # the next page by number, same collected_after
    AT_INSTANT = enum.auto()  # the server ignores page: ask for the instant itself
    PAST_INSTANT = enum.auto()  # that gave it again, so the server reads >=: move past it

    def next(self) -> Optional[Unstick]:
        """The way to try after this one; ``None`` when none is left."""
        ways = list(Unstick)
        index = ways.index(self) + 1
        return ways[index] if index < len(ways) else None


class KeysetWalk:
    """Which page to fetch next, and which of its records to yield; see the module doc.

    Args:
        list_page: builds the request for one page; called once here, so that bad
            arguments raise when ``iter()`` is called, not when it is first iterated.
        since: the caller's ``collected_after``.
        cursor: where an earlier walk stopped, if any; the later of it and ``since`` wins.
    """

    def __init__(
        self,
        list_page: ListPage,
        since: Optional[DateLike] = None,
        cursor: Optional[Cursor] = None,
    ) -> None:
        self._list_page = list_page
        start = Cursor(None if since is None else as_instant(since))
        if cursor is not None and _not_before(cursor.collected_at, start.collected_at):
            start = cursor
        self.position = start  # past every record accepted so far
        self._batch: Sequence[Contact] = ()  # the fresh records of the last page accepted
        self._yielded = (0, start)  # cursor_after()'s last answer: to go on from, never back
        self._after: Optional[datetime] = None  # the collected_after of the current request
        self._page: Optional[int] = None  # a number only while stuck on one instant
        self._start = start.collected_at  # the request's cursor, and what it already yielded
        self._repeats: dict[str, int] = dict(start.seen)
        self._unstick = Unstick.NOT_STUCK  # the last way out of a page with nothing new
        self._stuck_at: Optional[datetime] = None
        self._inclusive = False  # seen to send records at exactly collected_after
        self._previous: Sequence[Contact] = ()
        self._next: Optional[Operation[Page[Contact]]] = None
        self._ask(start._collected_after())

    def _ask(self, after: Optional[datetime]) -> None:
        """Ask by ``collected_after``: the answer starts again at the cursor's instant."""
        if self._after is not None and (after is None or after < self._after):
            after = self._after  # never back: that way is known to give nothing new
        if after is not None:
            after = to_millisecond(after)  # as sent
        self._after, self._page = after, None
        self._start, self._repeats = self.position.collected_at, dict(self.position.seen)
        self._next = self._list_page(after, None)

    def next_operation(self) -> Optional[Operation[Page[Contact]]]:
        """The request for the next page, or ``None`` when the listing is exhausted."""
        return self._next

    def accept(self, page: Page[Contact]) -> Sequence[Contact]:
        """Take a fetched page; return its records to yield."""
        items = page.items
        ignored_page = self._page is not None and items == self._previous
        fresh = () if ignored_page else self._fresh(items)  # the page before, again: nothing
        self._previous = items
        if items and self._after is not None and items[0].collected_at == self._after:
            self._inclusive = True
        self._batch, self._yielded = fresh, (0, self.position)
        self.position = self.position._advanced(fresh)
        ahead = self.position._collected_after(self._inclusive)
        if not page.has_next:
            self._next = None
        elif not fresh and self._page is None and _later(ahead, self._after):
            self._ask(ahead)  # a >= server spent the page on the millisecond before
        elif not fresh:
            self._try_next_way_out(page)
        elif self._page is not None:  # stuck on one instant: carry on by number while it works
            self._page += 1
            self._next = self._list_page(self._after, self._page)
        else:
            at = self.position.collected_at
            if self._stuck_at is not None and at is not None and at > self._stuck_at:
                self._unstick, self._stuck_at = Unstick.NOT_STUCK, None
            self._ask(ahead)
        return fresh

    def cursor_after(self, count: int) -> Cursor:
        """The cursor past the first ``count`` records of the last page accepted; ``count``
        never decreases between two pages."""
        done, cursor = self._yielded
        cursor = cursor._advanced(self._batch[done:count])
        self._yielded = (count, cursor)
        return cursor

    def _fresh(self, contacts: Sequence[Contact]) -> Sequence[Contact]:
        """What was not yielded yet. The page is oldest first, so what was is at its start:
        records older than the cursor of the request, and those at it already yielded
        (counted, since twins are possible). The budget of repeats carries over the pages
        of one ``collected_after``."""
        start, repeats = self._start, self._repeats
        if start is None:
            return contacts
        fresh: list[Contact] = []
        for index, contact in enumerate(contacts):
            at = contact.collected_at
            if at > start:  # past the cursor's instant: all that follows is new
                return [*fresh, *contacts[index:]]
            if at == start:
                key = contact.dedupe_key
                if repeats.get(key, 0) > 0:
                    repeats[key] -= 1
                else:
                    fresh.append(contact)
        return fresh

    def _try_next_way_out(self, page: Page[Contact]) -> None:
        """The next request after a full page that held nothing new: each way out in turn."""
        way = self._unstick.next()
        instant = self.position.collected_at
        if way is None or (way is Unstick.PAST_INSTANT and instant is None):
            raise APIResponseValidationError(
                f"the server answers collected_after={_shown(self._after)} with records "
                "already yielded, whatever is asked: stopping rather than looping"
            )
        self._unstick = way
        if way is Unstick.BY_NUMBER:
            self._stuck_at = instant
            self._page = 2
            self._next = self._list_page(self._after, self._page)
        elif way is Unstick.AT_INSTANT:
            warn_at_caller(  # seen by default, unlike a log record: records are left out
                f"a whole page of {page.page_size} records shares collected_at "
                f"{_shown(instant)} and the server ignores `page`: any more records at that "
                "instant cannot be fetched; moving past it",
                RuntimeWarning,
            )
            self._ask(instant)
        elif instant is not None:  # PAST_INSTANT: the server reads >=
            try:
                self._ask(instant + _MILLISECOND)
            except OverflowError:  # nothing can come after the last millisecond of 9999
                self._next = None


_PACKAGE = str(Path(__file__).parent)


def warn_at_caller(message: str, category: type[Warning]) -> None:
    """Warn, pointing at the first line outside this package: the user's loop."""
    frame: Optional[FrameType] = sys._getframe()
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def _not_before(at: Optional[datetime], than: Optional[datetime]) -> bool:
    return than is None or (at is not None and at >= than)


def _later(at: Optional[datetime], than: Optional[datetime]) -> bool:
    return at is not None and (than is None or at > than)


def _shown(at: Optional[datetime]) -> str:
    return "(none)" if at is None else format_collected_after(at)


def email_walk(
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    cursor: Optional[Cursor] = None,
) -> KeysetWalk:
    """The walk behind ``emails.iter()``."""
    return KeysetWalk(
        lambda after, page: list_emails(after, wisepop_id, page), collected_after, cursor
    )


def contact_walk(
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    page_size: int,
    cursor: Optional[Cursor] = None,
) -> KeysetWalk:
    """The walk behind ``v2.contacts.iter()``."""
    return KeysetWalk(
        lambda after, page: list_contacts(after, wisepop_id, page_size, page),
        collected_after,
        cursor,
    )


class _Walking:
    """What the sync and async walks share: the records of the page in hand, and the cursor."""

    def __init__(self, walk: KeysetWalk) -> None:
        self._walk = walk
        self._batch: Sequence[Contact] = ()
        self._index = 0  # how many of the batch were handed out

    @property
    def cursor(self) -> Cursor:
        """Where the walk stands: past the last record handed out, and no further."""
        return self._walk.cursor_after(self._index)

    def _take(self, page: Page[Contact]) -> Sequence[Contact]:
        self._batch, self._index = self._walk.accept(page), 0
        return self._batch


class Walk(_Walking, Iterator[Contact]):
    """What ``iter()`` returns: every record once, lazily, and the ``cursor`` to resume from.

    Example::

        walk = client.emails.iter(cursor=wisepops.Cursor.from_json(saved))
        for contact in walk:
            save(contact, walk.cursor.to_json())
    """

    def __init__(self, run: Callable[[Operation[Page[Contact]]], Page[Contact]], walk: KeysetWalk):
        super().__init__(walk)
        self._run = run

    def __iter__(self) -> Walk:
        return self

    def __next__(self) -> Contact:
        index, batch = self._index, self._batch
        while index == len(batch):
            operation = self._walk.next_operation()
            if operation is None:
                raise StopIteration
            index, batch = 0, self._take(self._run(operation))
        self._index = index + 1
        return batch[index]

    def pages(self) -> Iterator[Sequence[Contact]]:
        """The records one page at a time: one list per call made, empty when a page held
        nothing new. ``cursor`` is past each list when it is handed out, so that a page
        and its cursor can be committed together.

        Example::

            for page in walk.pages():
                with database.transaction():
                    save_all(page)
                    save_cursor(walk.cursor.to_json())
        """
        if self._index < len(self._batch):  # the rest of the page in hand
            rest, self._index = self._batch[self._index :], len(self._batch)
            yield rest
        while (operation := self._walk.next_operation()) is not None:
            batch = self._take(self._run(operation))
            self._index = len(batch)
            yield batch


class AsyncWalk(_Walking, AsyncIterator[Contact]):
    """What the async ``iter()`` returns: :class:`Walk`, with ``async for``.

    Example::

        walk = client.v2.contacts.iter(cursor=cursor)
        async for contact in walk:
            await save(contact)
        cursor = walk.cursor
    """

    def __init__(
        self,
        run: Callable[[Operation[Page[Contact]]], Awaitable[Page[Contact]]],
        walk: KeysetWalk,
    ):
        super().__init__(walk)
        self._run = run

    def __aiter__(self) -> AsyncWalk:
        return self

    async def __anext__(self) -> Contact:
        index, batch = self._index, self._batch
        while index == len(batch):
            operation = self._walk.next_operation()
            if operation is None:
                raise StopAsyncIteration
            index, batch = 0, self._take(await self._run(operation))
        self._index = index + 1
        return batch[index]

    async def pages(self) -> AsyncIterator[Sequence[Contact]]:
        """:meth:`Walk.pages`, with ``async for``.

        Example: ``async for page in walk.pages(): await save_all(page, walk.cursor)``
        """
        if self._index < len(self._batch):
            rest, self._index = self._batch[self._index :], len(self._batch)
            yield rest
        while (operation := self._walk.next_operation()) is not None:
            batch = self._take(await self._run(operation))
            self._index = len(batch)
            yield batch
