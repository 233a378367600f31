"""``wisepops demo``: the whole SDK, end to end, offline, on the embedded fake."""

from __future__ import annotations

import argparse
import contextlib
import io
from typing import Any

import httpx

from .._client import Client
from .._loopback import LoopbackServer
from .._wire.records import Contact
from ..testing import FakeWisepops
from .samples import country_of
from .webhook import describe, receiver

DEMO_KEY = "demo-key-not-a-real-one"

PEOPLE = [
    ("jane@example.com", {"City": "New York", "Plan": "Pro"}),
    ("marie@example.fr", {"City": "Paris", "Plan": "Free"}),
    ("kenji@example.jp", {"City": "Osaka", "Plan": "Pro"}),
]


def register(commands: Any) -> None:
    demo = commands.add_parser(
        "demo",
        help="run the SDK end to end on a local fake: no network, no API key",
        description="Start a fake WisePops and a webhook receiver on loopback, create a "
        "hook, collect contacts, deliver and verify the signed webhooks, export.",
    )
    demo.set_defaults(run=run)


def step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}", flush=True)


def run(args: argparse.Namespace) -> int:
    fake = FakeWisepops(api_key=DEMO_KEY)
    popup = fake.add_popup("Newsletter sign-up", display_count=1200, click_count=96)
    received: list[Contact] = []

    def on_reject(status: int, reason: str) -> None:
        print(f"    receiver: rejected with {status}: {reason}")

    with contextlib.ExitStack() as servers:
        # Everything here is on loopback: proxies from the environment must not apply.
        http = servers.enter_context(httpx.Client(trust_env=False))
        api_url = servers.enter_context(fake.serve())
        inbox = servers.enter_context(
            LoopbackServer(receiver(DEMO_KEY, received.extend, on_reject))
        )
        step(1, f"A fake WisePops is serving the API on {api_url} (loopback only).")
        hook_url = f"{inbox.url}/wisepops/webhook"
        step(2, f"A webhook receiver is listening on {hook_url}.")
        with Client(DEMO_KEY, base_url=api_url, http_client=http) as client:
            hook = client.v2.hooks.create(hook_url, event="email", wisepop_id=popup.id)
            step(3, f"client.v2.hooks.create(...) -> hook {hook.id} for pop-up {popup.id}.")

            for email, fields in PEOPLE:
                country = country_of(fields["City"])
                fake.collect(email, popup.id, fields, country_code=country)
            step(
                4,
                f"{len(PEOPLE)} visitors filled in the form; WisePops queued "
                f"{len(fake.deliveries)} signed deliveries.",
            )

            results = fake.deliver(http_client=http)
            step(
                5,
                "WisePops POSTed them; the receiver checked X-Wisepops-Signature "
                "and parsed each one:",
            )
            for result in results:
                print(f"    {result.status_code}  {result.delivery.target_url}")
            for contact in received:
                print(f"    {describe(contact)}")

            step(6, "A tampered copy of the first delivery (jane -> mallory) is POSTed:")
            original = results[0].delivery
            tampered = original.body.replace(b"jane", b"mallory")
            status = http.post(hook_url, content=tampered, headers=dict(original.headers))
            print(f"    the receiver answered {status.status_code}")

            step(7, "client.v2.contacts.iter() exports what was collected, as JSON lines:")
            out = io.StringIO()
            for contact in client.v2.contacts.iter():
                out.write(contact.to_json() + "\n")
            print("    " + out.getvalue().rstrip("\n").replace("\n", "\n    "))

            (stats,) = client.v2.popups.list()
            step(
                8,
                f"client.v2.popups.list(): '{stats.label}' was shown {stats.display_count} "
                f"times and collected {stats.email_count} emails.",
            )

            client.v2.hooks.delete(hook.id)
            step(9, f"client.v2.hooks.delete({hook.id}); stopped both servers.")
    ok = len(received) == len(PEOPLE) and status.status_code == 401
    print("\nDemo complete: " + ("every step worked." if ok else "something went wrong."))
    return 0 if ok else 1
