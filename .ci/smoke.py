"""Exercise the installed wheel's public surface against wisepops.testing.

Run from outside the source tree, in a venv holding only the wheel (and mypy, which
checks this file with --strict against the installed package's py.typed).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import wisepops
from wisepops.resources import Contacts
from wisepops.testing import FakeWisepops


def count(contacts: Contacts) -> int:
    return sum(1 for _ in contacts.iter(page_size=2))


def main() -> None:
    source_tree = Path(__file__).resolve().parent.parent / "wisepops"
    assert Path(wisepops.__file__).resolve().parent != source_tree, "not the installed wheel"
    assert (Path(wisepops.__file__).parent / "py.typed").is_file()

    fake = FakeWisepops(api_key="smoke-key")
    fake.add_popup("Smoke", popup_id=1)
    with fake.client() as client:
        hook = client.v2.hooks.create("https://example.com/hook", event="email")
        for n in range(5):
            fake.collect(email=f"s{n}@example.com", wisepop_id=1, fields={"n": str(n)})
        assert count(client.v2.contacts) == 5
        page: wisepops.Page[wisepops.Contact] = client.emails.list()
        assert [c.email for c in page] == [f"s{n}@example.com" for n in range(5)]
        assert client.v2.popups.list()[0].email_count == 5
        assert client.v2.data_privacy.delete(email="s0@example.com") == 1
        client.v2.hooks.delete(hook.id)

    delivery = fake.deliveries[0]
    signature = delivery.headers[wisepops.SIGNATURE_HEADER]
    (contact,) = wisepops.unwrap(delivery.body, signature, "smoke-key")
    assert contact.email == "s0@example.com"
    assert wisepops.verify_signature(delivery.body, wisepops.sign(delivery.body, "k"), "k")
    try:
        wisepops.parse_payload(b"[1]")
    except wisepops.PayloadError as exc:
        assert "record 0" in str(exc)
    else:
        raise AssertionError("a record that is not an object was accepted")

    async def run_async() -> int:
        async with fake.async_client() as client:
            return len([c async for c in client.v2.contacts.iter()])

    assert asyncio.run(run_async()) == 4

    demo = subprocess.run(
        [str(Path(sys.executable).with_name("wisepops")), "demo"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Demo complete: every step worked." in demo.stdout
    print(f"smoke test of the installed wisepops {wisepops.__version__}: ok")


if __name__ == "__main__":
    main()
