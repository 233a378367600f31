"""``wisepops hooks create|delete|list|ensure``."""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, TypeVar

import httpx

from .._client import Client
from .._errors import WisepopsError
from .._operations import API2_HOOKS
from .._wire.encode import to_json
from .._wire.records import Hook
from ._common import (
    CommandError,
    UsageError,
    add_website_argument,
    client,
    message,
    positive_int,
    refusals_as_usage,
    table,
    websites,
)


def register(commands: Any, api: argparse.ArgumentParser) -> None:
    group = commands.add_parser("hooks", help="create, list, ensure and delete webhooks")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    create = actions.add_parser("create", parents=[api], help="create a hook; prints its id")
    _hook_arguments(create, events="the form block to forward (default email; v1: email only)")
    create.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    add_website_argument(create)
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
    add_website_argument(ensure)
    ensure.set_defaults(run=_ensure)

    lister = actions.add_parser(
        "list", parents=[api], help="a table of the hooks: id, event, pop-up and URL (api2)"
    )
    lister.add_argument("--json", action="store_true", help="a JSON array, for scripts")
    add_website_argument(lister)
    lister.set_defaults(run=_list)

    delete = actions.add_parser("delete", parents=[api], help="delete a hook by id")
    delete.add_argument("id", type=positive_int, help="the hook's id")
    delete.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="API version (default v2)"
    )
    add_website_argument(delete)
    delete.set_defaults(run=_delete)


def _hook_arguments(parser: argparse.ArgumentParser, events: str) -> None:
    parser.add_argument(
        "url",
        help="the absolute http(s) URL WisePops will POST records to; {website} in it "
        "becomes each website's name",
    )
    parser.add_argument("--event", choices=API2_HOOKS.events, default="email", help=events)
    parser.add_argument(
        "--wisepop-id", type=positive_int, metavar="N", help="only records from this pop-up"
    )


T = TypeVar("T")


def _each_website(
    args: argparse.Namespace, act: Callable[[Client, str], T], **options: Any
) -> list[tuple[str, T]]:
    """``act(client, name)`` for each website of ``$WISEPOPS_WEBSITES`` (or
    ``--website``), each with its own key over one connection pool. A failure stops the
    command; with several websites its line names the website."""
    chosen = websites(args)
    done = []
    with client(args, next(iter(chosen.values())), **options) as api:
        for name, key in chosen.items():
            try:
                done.append((name, act(api.with_options(api_key=key), name)))
            except WisepopsError as exc:
                if len(chosen) == 1:
                    raise
                raise CommandError(f"{name}: {message(exc, several_websites=True)}") from None
    return done


def _url(args: argparse.Namespace, website: str) -> str:
    return str(args.url).replace("{website}", website)


def _print_ids(done: list[tuple[str, Hook]]) -> None:
    for name, hook in done:
        print(f"{name}: {hook.id}" if len(done) > 1 else hook.id)


def _create(args: argparse.Namespace) -> int:
    def create(api: Client, website: str) -> Hook:
        hooks = api.v2.hooks if args.api == "v2" else api.hooks
        with refusals_as_usage():  # a relative URL, an event api1 does not have
            return hooks.create(_url(args, website), event=args.event, wisepop_id=args.wisepop_id)

    _print_ids(_each_website(args, create))
    return 0


def _ensure(args: argparse.Namespace) -> int:
    posted: list[httpx.Request] = []  # a POST made: a hook was created

    def on_request(request: httpx.Request) -> None:
        if request.method == "POST":
            posted.append(request)

    def ensure(api: Client, website: str) -> tuple[Hook, bool]:
        before = len(posted)
        with refusals_as_usage():
            hook = api.v2.hooks.ensure(
                _url(args, website), event=args.event, wisepop_id=args.wisepop_id
            )
        return hook, len(posted) > before

    http = httpx.Client(event_hooks={"request": [on_request]})
    try:
        done = _each_website(args, ensure, http_client=http)
    finally:
        http.close()
    _print_ids([(name, hook) for name, (hook, _) in done])
    for name, (hook, created) in done:
        named = f"{name}: " if len(done) > 1 else ""
        print(
            f"wisepops: {named}{'created' if created else 'found'} hook {hook.id}", file=sys.stderr
        )
    return 0


def _list(args: argparse.Namespace) -> int:
    done = _each_website(args, lambda api, website: sorted(api.v2.hooks.list(), key=_id))
    hooks = [(name, hook) for name, found in done for hook in found]
    if args.json:
        print(to_json([{"website": name, **hook.to_dict()} for name, hook in hooks]))
    elif hooks:
        several = len(done) > 1  # the website column, when there is more than one
        header = ["WEBSITE"] * several + ["ID", "EVENT", "POP-UP", "URL"]
        rows = [[name] * several + _row(hook) for name, hook in hooks]
        print(table(header, rows, right={int(several)}))
    else:
        print("wisepops: no hooks; create one with 'wisepops hooks ensure URL'", file=sys.stderr)
    return 0


def _id(hook: Hook) -> int:
    return hook.id


def _row(hook: Hook) -> list[str]:
    popup = "all" if hook.wisepop_id is None else str(hook.wisepop_id)
    return [str(hook.id), hook.event, popup, hook.target_url]


def _delete(args: argparse.Namespace) -> int:
    if len(websites(args)) > 1:
        raise UsageError("a hook's id is one website's: say which with --website NAME")

    def delete(api: Client, website: str) -> None:
        (api.v2.hooks if args.api == "v2" else api.hooks).delete(args.id)

    _each_website(args, delete)
    return 0
