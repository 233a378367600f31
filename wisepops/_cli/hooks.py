"""``wisepops hooks create|delete``."""

from __future__ import annotations

import argparse
from typing import Any

from .._operations import API2_HOOKS
from ._common import client


def register(commands: Any, common: argparse.ArgumentParser) -> None:
    group = commands.add_parser("hooks", help="create and delete webhooks")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=[common], help="create a hook; prints its id")
    create.add_argument("url", help="the absolute http(s) URL WisePops will POST records to")
    create.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    create.add_argument(
        "--event",
        choices=API2_HOOKS.events,
        default="email",
        help="the form block to forward (v1: email only)",
    )
    create.add_argument("--wisepop-id", type=int, metavar="N", help="only records from this pop-up")
    create.set_defaults(run=_create)

    delete = actions.add_parser("delete", parents=[common], help="delete a hook by id")
    delete.add_argument("id", type=int, help="the hook's id")
    delete.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    delete.set_defaults(run=_delete)


def _create(args: argparse.Namespace) -> int:
    with client(args) as api:
        hooks = api.v2.hooks if args.api == "v2" else api.hooks
        hook = hooks.create(args.url, event=args.event, wisepop_id=args.wisepop_id)
    print(hook.id)
    return 0


def _delete(args: argparse.Namespace) -> int:
    with client(args) as api:
        (api.v2.hooks if args.api == "v2" else api.hooks).delete(args.id)
    return 0
