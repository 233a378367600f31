"""``wisepops hooks create|delete|list|ensure``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import httpx

from .._operations import API2_HOOKS
from .._wire.encode import to_json
from .._wire.records import Hook
from ._common import client, positive_int, refusals_as_usage, table


def register(commands: Any, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("hooks", help="create, list, ensure and delete webhooks")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=[api], help="create a hook; prints its id")
    _hook_arguments(create, events="the form block to forward (default email; v1: email only)")
    create.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    create.set_defaults(run=_create)

    ensure = actions.add_parser(
        "ensure",
        parents=[api],
        help="print the id of the hook with this URL, event and pop-up, created if missing",
        description="Print the id of the hook with this URL, event and pop-up; create it "
        "only if there is none, so that running it again (at every deploy, say) never "
        "makes a duplicate. api2 only: api1 cannot list its hooks.",
    )
    _hook_arguments(ensure, events="the form block to forward (default email)")
    ensure.set_defaults(run=_ensure)

    lister = actions.add_parser(
        "list", parents=[api], help="a table of the hooks: id, event, pop-up and URL (api2)"
    )
    lister.add_argument("--json", action="store_true", help="a JSON array, for scripts")
    lister.set_defaults(run=_list)

    delete = actions.add_parser("delete", parents=[api], help="delete a hook by id")
    delete.add_argument("id", type=positive_int, help="the hook's id")
    delete.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    delete.set_defaults(run=_delete)


def _hook_arguments(parser: argparse.ArgumentParser, events: str) -> None:
    parser.add_argument("url", help="the absolute http(s) URL WisePops will POST records to")
    parser.add_argument("--event", choices=API2_HOOKS.events, default="email", help=events)
    parser.add_argument(
        "--wisepop-id", type=positive_int, metavar="N", help="only records from this pop-up"
    )


def _create(args: argparse.Namespace) -> int:
    with client(args) as api:
        hooks = api.v2.hooks if args.api == "v2" else api.hooks
        with refusals_as_usage():  # a relative URL, an event api1 does not have
            hook = hooks.create(args.url, event=args.event, wisepop_id=args.wisepop_id)
    print(hook.id)
    return 0


def _ensure(args: argparse.Namespace) -> int:
    posted: list[httpx.Request] = []  # a POST made: the hook was created

    def on_request(request: httpx.Request) -> None:
        if request.method == "POST":
            posted.append(request)

    http = httpx.Client(event_hooks={"request": [on_request]})
    try:
        with client(args, http_client=http) as api, refusals_as_usage():
            hook = api.v2.hooks.ensure(args.url, event=args.event, wisepop_id=args.wisepop_id)
    finally:
        http.close()
    print(hook.id)
    print(f"wisepops: {'created' if posted else 'found'} hook {hook.id}", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    with client(args) as api:
        hooks = sorted(api.v2.hooks.list(), key=lambda hook: hook.id)
    if args.json:
        print(to_json([hook.to_dict() for hook in hooks]))
    elif hooks:
        print(table(["ID", "EVENT", "POP-UP", "URL"], [_row(hook) for hook in hooks], right={0}))
    else:
        print("wisepops: no hooks; create one with 'wisepops hooks ensure URL'", file=sys.stderr)
    return 0


def _row(hook: Hook) -> list[str]:
    popup = "all" if hook.wisepop_id is None else str(hook.wisepop_id)
    return [str(hook.id), hook.event, popup, hook.target_url]


def _delete(args: argparse.Namespace) -> int:
    with client(args) as api:
        (api.v2.hooks if args.api == "v2" else api.hooks).delete(args.id)
    return 0
