"""The ``wisepops`` command: export or sync leads, manage hooks, see pop-ups, run a fake.

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

from .._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL
from .._errors import WisepopsError
from .._version import __version__
from . import demo, erase, export, fake, hooks, popups, status, sync, webhook
from ._common import CommandError, UsageError, message

__all__ = ["main"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """An argument parser whose mistakes are one line, like every other failure here.

    The parsed namespace keeps the innermost command's parser (the first to finish), so
    that an argument the command itself refuses is reported as argparse reports its own.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, self.usage_line(message))

    def usage_line(self, message: str) -> str:
        return f"{self.prog}: error: {message} (see {self.prog} --help)\n"

    def parse_known_args(  # type: ignore[override] # only ever called with a namespace or None
        self, args: Optional[Sequence[str]] = None, namespace: Optional[argparse.Namespace] = None
    ) -> tuple[argparse.Namespace, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        if not hasattr(parsed, "command_parser"):
            parsed.command_parser = self
        return parsed, extras


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wisepops",
        description="Export WisePops leads, manage hooks, see pop-ups' metrics, try "
        "webhooks. Start with 'wisepops demo', or 'wisepops fake' to try the other "
        "commands: both run offline, with no API key.",
    )
    parser.add_argument("--version", action="version", version=f"wisepops {__version__}")
    key = argparse.ArgumentParser(add_help=False)  # what signing webhooks needs
    key.add_argument(
        "--api-key",
        help=f"the website's API key (default: ${API_KEY_ENV}; prefer the variable, "
        "as arguments show up in process lists and shell history)",
    )
    api = argparse.ArgumentParser(add_help=False, parents=[key])  # what calling the API needs
    api.add_argument(
        "--base-url", help=f"the API's root (default: ${BASE_URL_ENV} or {DEFAULT_BASE_URL})"
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    export.register(commands, api)
    sync.register(commands, api)
    status.register(commands)
    erase.register(commands, api)
    hooks.register(commands, api)
    popups.register(commands, api)
    webhook.register(commands, key)
    fake.register(commands)
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
    except UsageError as exc:
        command: _Parser = args.command_parser
        print(command.usage_line(str(exc)), end="", file=sys.stderr)
        return EXIT_USAGE
    except (CommandError, WisepopsError, ValueError, OSError) as exc:
        # ValueError: unforeseen, yet still one line; arguments are refused as usage errors.
        print(f"wisepops: error: {message(exc)}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("wisepops: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _show_warning(message: Warning | str, *args: object, **kwargs: object) -> None:
    print(f"wisepops: warning: {message}", file=sys.stderr, flush=True)
