"""Walking a listing by ``collected_after`` (keyset), without I/O.

Each request asks for what was collected after the newest record yielded (less a
millisecond) and skips what it already yielded at that instant, so the walk is exact
whatever the server does with ``page``, with ``>`` or ``>=`` and with ties; see README.
"""

from __future__ import annotations

import enum
import sys
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Callable, Optional

import attrs

from ._errors import APIResponseValidationError
from ._operations import Operation, list_contacts, list_emails
from ._wire.records import Contact, Page
from ._wire.times import DateLike, as_instant, format_collected_after, to_millisecond

ListPage = Callable[[Optional[datetime], Optional[int]], Operation[Page[Contact]]]
"""Builds the request for one page: ``(collected_after, page number or None)``."""

_MILLISECOND = timedelta(milliseconds=1)


@attrs.define
class Position:
    """How far a walk got: the newest ``collected_at`` yielded, and which records at it.

    ``seen`` counts the ``dedupe_key`` of each record yielded at ``cursor``, so that two
    identical submissions in the same millisecond are both yielded, once each.
    """

    cursor: Optional[datetime] = None
    seen: dict[str, int] = attrs.Factory(dict)

    def advance(self, contacts: Sequence[Contact]) -> None:
        """Move past ``contacts``, which were just yielded (or written), oldest first."""
        if not contacts:
            return
        newest = contacts[-1].collected_at
        if self.cursor is None or newest > self.cursor:
            self.cursor, self.seen = newest, {}
        elif newest < self.cursor:  # out of order: the cursor only moves forward
            return
        for contact in reversed(contacts):  # the records at the newest instant end the list
            if contact.collected_at != newest:
                break
            key = contact.dedupe_key
            self.seen[key] = self.seen.get(key, 0) + 1

    def collected_after(self, inclusive: bool = False) -> Optional[datetime]:
        """What to ask for next: the cursor itself while nothing at it has been yielded or
        when the server is known to read ``>=``; else a millisecond before it, so that a
        ``>`` server sends the rest of its instant too.
        """
        if self.cursor is None or not self.seen or inclusive:
            return self.cursor
        try:
            return to_millisecond(self.cursor) - _MILLISECOND
        except OverflowError:  # the first millisecond of year 1: ask for everything
            return None


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
        position: where an earlier walk stopped (an export's checkpoint), if any.
    """

    def __init__(
        self,
        list_page: ListPage,
        since: Optional[DateLike] = None,
        position: Optional[Position] = None,
    ) -> None:
        self._list_page = list_page
        if position is None:
            position = Position(cursor=None if since is None else as_instant(since))
        self.position = position
        self._after: Optional[datetime] = None  # the collected_after of the current request
        self._page: Optional[int] = None  # a number only while stuck on one instant
        self._start = position.cursor  # the request's cursor, and what it already yielded
        self._repeats: dict[str, int] = dict(position.seen)
        self._unstick = Unstick.NOT_STUCK  # the last way out of a page with nothing new
        self._stuck_at: Optional[datetime] = None
        self._inclusive = False  # seen to send records at exactly collected_after
        self._previous: Sequence[Contact] = ()
        self._next: Optional[Operation[Page[Contact]]] = None
        self._ask(position.collected_after())

    def _ask(self, after: Optional[datetime]) -> None:
        """Ask by ``collected_after``: the answer starts again at the cursor's instant."""
        if self._after is not None and (after is None or after < self._after):
            after = self._after  # never back: that way is known to give nothing new
        if after is not None:
            after = to_millisecond(after)  # as sent
        self._after, self._page = after, None
        self._start, self._repeats = self.position.cursor, dict(self.position.seen)
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
        self.position.advance(fresh)
        ahead = self.position.collected_after(self._inclusive)
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
            cursor = self.position.cursor
            if self._stuck_at is not None and cursor is not None and cursor > self._stuck_at:
                self._unstick, self._stuck_at = Unstick.NOT_STUCK, None
            self._ask(ahead)
        return fresh

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
        instant = self.position.cursor
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


def _later(at: Optional[datetime], than: Optional[datetime]) -> bool:
    return at is not None and (than is None or at > than)


def _shown(at: Optional[datetime]) -> str:
    return "(none)" if at is None else format_collected_after(at)


def email_walk(
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    position: Optional[Position] = None,
) -> KeysetWalk:
    """The walk behind ``emails.iter()``; ``position`` resumes an earlier one."""
    return KeysetWalk(
        lambda after, page: list_emails(after, wisepop_id, page), collected_after, position
    )


def contact_walk(
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    page_size: int,
    position: Optional[Position] = None,
) -> KeysetWalk:
    """The walk behind ``v2.contacts.iter()``; ``position`` resumes an earlier one."""
    return KeysetWalk(
        lambda after, page: list_contacts(after, wisepop_id, page_size, page),
        collected_after,
        position,
    )
