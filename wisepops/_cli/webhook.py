"""``wisepops webhook sign|verify|send|listen``: try webhooks from a terminal."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import httpx

from .._errors import PayloadError, SignatureVerificationError
from .._loopback import Handler, LoopbackServer
from .._webhooks import SIGNATURE_HEADER, sign, unwrap, verify_signature
from .._wire.encode import wire_body
from .._wire.records import Contact
from .._wire.times import format_datetime
from ._common import CommandError, api_key, port_number, positive_int, printable


def register(commands: Any, key: argparse.ArgumentParser) -> None:
    """The actions take ``--api-key`` (``key``) and never ``--base-url``: they sign with
    the key and talk to a receiver, never to the API."""
    group = commands.add_parser("webhook", help="sign, verify, send and receive deliveries")
    actions = group.add_subparsers(title="actions", metavar="ACTION", required=True)

    signer = actions.add_parser("sign", parents=[key], help="print the signature of stdin")
    signer.set_defaults(run=_sign)

    verifier = actions.add_parser(
        "verify", parents=[key], help="check a signature of stdin; exit 0 if valid, else 1"
    )
    verifier.add_argument("--signature", required=True, help="the X-Wisepops-Signature value")
    verifier.set_defaults(run=_verify)

    sender = actions.add_parser(
        "send", parents=[key], help="POST a signed delivery to URL, like the dashboard's test"
    )
    sender.add_argument("url", help="the receiver's URL")
    sender.add_argument("--payload", type=Path, help="a JSON file to send (default: a sample)")
    sender.add_argument(
        "--api", choices=["v1", "v2"], default="v2", help="the sample's record shape (default v2)"
    )
    sender.set_defaults(run=_send)

    listener = actions.add_parser(
        "listen", parents=[key], help="receive deliveries locally, verify and print them"
    )
    listener.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    listener.add_argument(
        "--port", type=port_number, default=8000, help="the port (default 8000; 0 picks one)"
    )
    listener.add_argument(
        "--count", type=positive_int, help="stop after this many valid deliveries"
    )
    listener.set_defaults(run=_listen)


def _sign(args: argparse.Namespace) -> int:
    print(sign(sys.stdin.buffer.read(), api_key(args)))
    return 0


def _verify(args: argparse.Namespace) -> int:
    if not verify_signature(sys.stdin.buffer.read(), args.signature, api_key(args)):
        raise CommandError("the signature does not match the body and key")
    print("valid signature")
    return 0


def sample_body(api: str) -> bytes:
    """A delivery like the dashboard's "Test hook" sends, in the given API's shape."""
    contact = Contact(
        collected_at=datetime.now(timezone.utc).replace(microsecond=0),
        wisepop_id=12345,
        email="jane@example.com",
        ip="127.0.0.1",
        country_code="US",
        fields={"Gender": "female", "City": "New York"},
    )
    return wire_body([contact], "api2" if api == "v2" else "api1")


def _send(args: argparse.Namespace) -> int:
    body = args.payload.read_bytes() if args.payload else sample_body(args.api)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, api_key(args))}
    try:
        response = httpx.post(args.url, content=body, headers=headers, timeout=30.0)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise CommandError(
            f"could not deliver to {args.url}: {type(exc).__name__}: {_one_line(str(exc))}"
        ) from None
    if not response.is_success:
        raise CommandError(refusal(response))
    answer = printable(_one_line(response.text))[:200]  # {"received": 1, "new": 1}, say
    print(
        f"delivered: the receiver answered {response.status_code}"
        + (f": {answer}" if answer else "")
    )
    return 0


def refusal(response: httpx.Response) -> str:
    """One line on a receiver's refusal: its status, and where it redirects or why it refused.

    The reason is the receiver's own ``{"error": ...}`` when it answers JSON; an HTML
    error page says nothing a line could hold.
    """
    status = f"the receiver answered {response.status_code} {response.reason_phrase}".rstrip()
    location = response.headers.get("Location")
    if response.is_redirect and location:
        target = response.url.join(location)  # Django's APPEND_SLASH sends a relative one
        return f"{status}, to {target} (a POST is not followed: point the hook at that URL)"
    try:
        body = response.json()
    except ValueError:  # HTML, text, or nothing
        return status
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str) and error.strip():
        return f"{status}: {_one_line(error)[:200]}"
    return status


def _one_line(text: str) -> str:
    return " ".join(text.split())


def receiver(
    key: str,
    on_contacts: Callable[[list[Contact]], None],
    on_reject: Callable[[int, str], None],
) -> Handler:
    """An HTTP handler that verifies and parses deliveries, as a real receiver must."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method != "POST":
            return httpx.Response(405, json={"error": "POST only"})
        try:
            contacts = unwrap(request.content, request.headers.get(SIGNATURE_HEADER), key)
        except SignatureVerificationError as exc:
            on_reject(401, str(exc))
            return httpx.Response(401, json={"error": "invalid or missing signature"})
        except PayloadError as exc:  # the parser's one error: the sender learns why
            on_reject(400, str(exc))
            return httpx.Response(400, json={"error": str(exc)})
        on_contacts(contacts)
        return httpx.Response(200, json={"received": len(contacts)})

    return handle


def describe(contact: Contact) -> str:
    """One line for a received record: when, which pop-up, who, and the form's fields.

    Control characters and lone surrogates are escaped, as ``repr()`` would: the line
    stays one line, printable on any terminal.
    """
    when = format_datetime(contact.collected_at)
    fields = json.dumps(dict(contact.fields), ensure_ascii=False)
    return printable(f"{when}  pop-up {contact.wisepop_id}  {contact.email}  {fields}")


def _listen(args: argparse.Namespace) -> int:
    key = api_key(args)
    done = threading.Event()
    received = 0
    lock = threading.Lock()

    def on_contacts(contacts: list[Contact]) -> None:
        nonlocal received
        with lock:
            for contact in contacts:
                print(describe(contact), flush=True)
            received += 1
            if args.count is not None and received >= args.count:
                done.set()

    def on_reject(status: int, reason: str) -> None:
        print(f"rejected ({status}): {reason}", file=sys.stderr, flush=True)

    with LoopbackServer(receiver(key, on_contacts, on_reject), args.host, args.port) as server:
        print(f"listening on {server.url}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
        done.wait()
    return 0
