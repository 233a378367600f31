"""Walking a listing page by page, without I/O: the clients only fetch what it asks for."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable, Generic, Optional, TypeVar

from ._errors import APIResponseValidationError
from ._operations import Operation
from ._records import Page

T = TypeVar("T")


class PageWalk(Generic[T]):
    """Which page to fetch next, and when to stop.

    It stops after a short page. A server that sends the same records again for the next
    page number raises :class:`APIResponseValidationError` rather than looping forever or
    yielding duplicates. Only the first and last record of the previous page are kept.
    """

    def __init__(self, page_operation: Callable[[int], Operation[Page[T]]]) -> None:
        self._page_operation = page_operation
        self._next: Optional[Operation[Page[T]]] = page_operation(1)  # checks the arguments now
        self._previous_ends: Optional[tuple[T, T]] = None

    def next_operation(self) -> Optional[Operation[Page[T]]]:
        """The request for the next page, or ``None`` when the listing is exhausted."""
        return self._next

    def accept(self, page: Page[T]) -> Sequence[T]:
        """Take a fetched page; return its records to yield."""
        items = page.items
        ends = (items[0], items[-1]) if items else None
        if ends is not None and ends == self._previous_ends:
            raise APIResponseValidationError(
                f"page {page.page} repeats the records of page {page.page - 1}; "
                "stopping rather than yielding them twice"
            )
        self._previous_ends = ends
        self._next = self._page_operation(page.page + 1) if page.has_next else None
        return items
