"""What the commands share: their error type and building a client from the options."""

from __future__ import annotations

import argparse
from typing import Any

from .._client import Client
from .._config import API_KEY_ENV, resolve_api_key


class CommandError(Exception):
    """A failure to report as one line, without a traceback."""


def api_key(args: argparse.Namespace) -> str:
    key = resolve_api_key(args.api_key)
    if key is None:
        raise CommandError(f"no API key: pass --api-key or set ${API_KEY_ENV}")
    return key


def client(args: argparse.Namespace, **options: Any) -> Client:
    return Client(api_key=api_key(args), base_url=args.base_url, **options)
