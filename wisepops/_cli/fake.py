"""``wisepops fake``: the fake WisePops in the foreground, to try the other commands on."""

from __future__ import annotations

import argparse
import contextlib
import errno
import shlex
import sys
import threading
from typing import Any

from .._config import API_KEY_ENV, BASE_URL_ENV
from ..testing import FakeWisepops
from . import samples
from ._common import CommandError, int_between, port_number

FAKE_KEY = "fake-key-not-a-real-one"
DEFAULT_PORT = 8765
DEFAULT_CONTACTS = 50
MAX_CONTACTS = 100_000  # the fake holds them in memory


def register(commands: Any) -> None:
    fake = commands.add_parser(
        "fake",
        help="run a fake WisePops on loopback, with sample data, until Ctrl-C",
        description="Serve a fake WisePops on 127.0.0.1, seeded with sample contacts, "
        "pop-ups and hooks, until Ctrl-C. It prints the two lines to paste into another "
        "shell, so that the other commands (and your own code) talk to it. No network, "
        "no API key of yours.",
    )
    fake.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        help=f"the port to listen on (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    fake.add_argument(
        "--contacts",
        type=int_between(0, MAX_CONTACTS),
        default=DEFAULT_CONTACTS,
        metavar="N",
        help=f"how many sample contacts to hold (default {DEFAULT_CONTACTS})",
    )
    fake.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    fake = FakeWisepops(api_key=FAKE_KEY)
    samples.seed(fake, args.contacts)
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(fake.serve(port=args.port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise CommandError(
                f"port {args.port} is in use (by another 'wisepops fake'?): "
                "pass --port 0 to pick a free one"
            ) from None
        try:  # from the first line printed: a Ctrl-C after it is how one stops the fake
            print(f"export {BASE_URL_ENV}={shlex.quote(url)}")
            print(f"export {API_KEY_ENV}={shlex.quote(FAKE_KEY)}", flush=True)
            print(
                f"wisepops: a fake WisePops is serving {url} with {len(fake.contacts):,} "
                f"contacts, {len(samples.POPUPS)} pop-ups and {len(fake.hooks)} hooks.\n"
                "Paste the two lines above into another shell, then try 'wisepops popups', "
                "'wisepops hooks list' or 'wisepops emails export'. Ctrl-C stops it.",
                file=sys.stderr,
                flush=True,
            )
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
    print("wisepops: the fake stopped", file=sys.stderr)
    return 0
