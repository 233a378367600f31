"""What the commands share: their error type and building a client from the options."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from typing import Any

import httpx

from .._client import Client
from .._config import API_KEY_ENV, resolve_api_key
from .._wire.times import parse_datetime


class CommandError(Exception):
    """A failure to report as one line, without a traceback."""


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


def client(args: argparse.Namespace, **options: Any) -> Client:
    return Client(api_key=api_key(args), base_url=args.base_url, **options)


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
