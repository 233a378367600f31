"""What the commands share: their errors, argument types, building a client, printing."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
import unicodedata
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from typing import Any, Callable, Optional

import httpx

from .._client import Client
from .._config import API_KEY_ENV, resolve_api_key
from .._errors import (
    APIConnectionError,
    AuthenticationError,
    RateLimitError,
    WebsitesError,
    WisepopsError,
)
from .._websites import DEFAULT_WEBSITE, WEBSITES_ENV, chosen, read_websites
from .._wire.times import parse_datetime


class CommandError(Exception):
    """A failure to report as one line, without a traceback: exit status 1."""


class UsageError(CommandError):
    """An argument the command refuses, reported as argparse reports its own: exit status 2."""


@contextlib.contextmanager
def refusals_as_usage() -> Iterator[None]:
    """Report the SDK's refusal of an argument as a usage error.

    The SDK raises ``ValueError`` or ``TypeError`` only for arguments, before any
    request; everything else it raises is a ``WisepopsError`` (some of which are
    ``ValueError`` too: those stay failures).
    """
    try:
        yield
    except WisepopsError:
        raise
    except (ValueError, TypeError) as exc:
        raise UsageError(str(exc)) from None


def api_key(args: argparse.Namespace) -> str:
    key = resolve_api_key(args.api_key)
    if key is None:
        raise CommandError(f"no API key: pass --api-key or set ${API_KEY_ENV}")
    return key


def iso_datetime(text: str) -> datetime:
    """``--since``: an ISO 8601 time, or argparse's own one-line error."""
    try:
        return parse_datetime(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None


def websites(args: argparse.Namespace) -> dict[str, str]:
    """The websites a command acts for, by name: ``--api-key`` is the one website
    ``default``; else ``$WISEPOPS_WEBSITES``, else ``$WISEPOPS_API_KEY``. ``--website``
    (repeatable) chooses among them; one not configured is a usage error."""
    if args.api_key is not None or not os.environ.get(WEBSITES_ENV):
        configured = {DEFAULT_WEBSITE: api_key(args)}  # the Client checks the key
    else:
        configured = read_websites()
    try:
        return chosen(configured, args.website)
    except WebsitesError as exc:
        raise UsageError(str(exc)) from None


def add_website_argument(parser: argparse.ArgumentParser) -> None:
    """``--website NAME``, here and in ``manage.py wisepops_sync``."""
    parser.add_argument(
        "--website",
        action="append",
        metavar="NAME",
        help=f"only this website of ${WEBSITES_ENV} (repeatable; default: every one)",
    )


def client(args: argparse.Namespace, key: Optional[str] = None, **options: Any) -> Client:
    """A client with ``key``, else ``--api-key`` or ``$WISEPOPS_API_KEY``."""
    with refusals_as_usage():  # a --base-url that is not a URL
        return Client(api_key=key or api_key(args), base_url=args.base_url, **options)


def message(exc: Exception, *, several_websites: bool = False) -> str:
    """A failure in words, on one line. A refused key was read from ``--api-key`` or
    ``$WISEPOPS_API_KEY``, or with ``several_websites``, from ``$WISEPOPS_WEBSITES``."""
    if isinstance(exc, AuthenticationError):
        key_from = (
            f"its key in ${WEBSITES_ENV}" if several_websites else f"--api-key or ${API_KEY_ENV}"
        )
        return f"WisePops rejected the API key (401): check {key_from}"
    if isinstance(exc, APIConnectionError):
        return f"could not reach WisePops: {exc}"
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        return f"{exc} (WisePops asks to wait {exc.retry_after:.0f} s)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)


def int_between(low: int, high: Optional[int]) -> Callable[[str], int]:
    """An argparse ``type``: an integer from ``low`` to ``high`` (``None``: no limit).

    Anything else is refused by argparse itself: one line, exit status 2.
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low or (high is not None and value > high):
            limits = f"{low} or more" if high is None else f"from {low:,} to {high:,}"
            raise argparse.ArgumentTypeError(f"must be {limits}, got {value}")
        return value

    return parse


positive_int = int_between(1, None)
"""A pop-up's or a hook's id, a count: 1 or more."""
port_number = int_between(0, 65535)
"""A TCP port; 0 lets the system pick a free one."""


def printable(text: str) -> str:
    """``text`` on one line: control characters and lone surrogates escaped, as repr() does."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)


def _width(text: str) -> int:
    """Columns a terminal gives ``text``: two for wide East Asian characters."""
    return sum(
        0 if unicodedata.combining(char) else 2 if unicodedata.east_asian_width(char) in "WF" else 1
        for char in text
    )


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Collection[int] = ()) -> str:
    """Columns two spaces apart, padded to their widest cell; those in ``right`` (numbers)
    aligned right. Cells are made printable, so that a label cannot break a row."""
    lines = [list(header)] + [[printable(cell) for cell in row] for row in rows]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for line in lines:
        cells = []
        for i, cell in enumerate(line):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in right else cell + pad)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


class Progress:
    """Records, pages and rate on one refreshed stderr line, when stderr is a terminal."""

    def __init__(self, enabled: bool, pages: str = "pages") -> None:
        self.enabled = enabled
        self._unit = pages
        self.records = 0
        self.pages = 0
        self._started = time.monotonic()
        self._shown = 0.0

    def on_response(self, response: httpx.Response) -> None:
        if response.is_success:
            self.pages += 1

    def record(self) -> None:
        self.records += 1
        self._refresh()

    def set(self, records: int, pages: int) -> None:
        self.records, self.pages = records, pages
        self._refresh()

    def _refresh(self) -> None:
        now = time.monotonic()
        if self.enabled and now - self._shown >= 0.2:
            self._shown = now
            self._show(now)

    def _show(self, now: float) -> None:
        rate = self.records / max(now - self._started, 1e-9)
        print(
            f"\r{self.records:,} records · {self.pages:,} {self._unit} · {rate:,.0f} records/s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    def finish(self) -> None:
        if self.enabled and self.records:
            self._show(time.monotonic())
            print(file=sys.stderr)
