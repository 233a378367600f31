"""The ``wisepops`` command: export or sync leads, manage hooks, try webhooks, run a demo.

Imported only by the console script and ``python -m wisepops``, never by ``import
wisepops``. Every failure ends as one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Sequence
from typing import Callable, NoReturn, Optional

from .._config import API_KEY_ENV, BASE_URL_ENV
from .._errors import APIConnectionError, AuthenticationError, RateLimitError, WisepopsError
from .._version import __version__
from . import demo, export, hooks, sync, webhook
from ._common import CommandError

__all__ = ["main"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, like every other failure here."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wisepops",
        description="Export WisePops leads, manage hooks, and try webhooks. "
        "Start with 'wisepops demo': it runs offline, with no API key.",
    )
    parser.add_argument("--version", action="version", version=f"wisepops {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--api-key",
        help=f"the website's API key (default: ${API_KEY_ENV}; prefer the variable, "
        "as arguments show up in process lists and shell history)",
    )
    common.add_argument(
        "--base-url", help=f"the API's root (default: ${BASE_URL_ENV} or https://app.wisepops.com)"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    export.register(commands, common)
    sync.register(commands, common)
    hooks.register(commands, common)
    webhook.register(commands, common)
    demo.register(commands)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        with warnings.catch_warnings():  # each warning the SDK gives, as one line
            warnings.simplefilter("always", RuntimeWarning)
            warnings.showwarning = _show_warning
            return run(args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except (CommandError, WisepopsError, ValueError, OSError) as exc:
        # ValueError: an argument the SDK refused, like a relative hook URL.
        print(f"wisepops: error: {_message(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("wisepops: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _show_warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    print(f"wisepops: warning: {message}", file=sys.stderr, flush=True)


def _message(exc: Exception) -> str:
    if isinstance(exc, AuthenticationError):
        return f"WisePops rejected the API key (401): check --api-key or ${API_KEY_ENV}"
    if isinstance(exc, APIConnectionError):
        return f"could not reach WisePops: {exc}"
    if isinstance(exc, RateLimitError) and exc.retry_after is not None:
        return f"{exc} (WisePops asks to wait {exc.retry_after:.0f} s)"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc)
