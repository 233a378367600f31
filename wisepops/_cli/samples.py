"""Sample data for ``wisepops fake`` and ``wisepops demo``: people whose country is their city's."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta, timezone
from typing import Optional

from .._operations import HookEvent
from ..testing import FakeWisepops

CITIES = {  # city: (country code, a phone prefix there); first names that fit each
    "New York": ("US", "+1212555"),
    "Paris": ("FR", "+3361234"),
    "Osaka": ("JP", "+8190123"),
    "Berlin": ("DE", "+4915123"),
    "London": ("GB", "+4479460"),
    "Madrid": ("ES", "+3461234"),
    "São Paulo": ("BR", "+5511912"),
    "Toronto": ("CA", "+1416555"),
    "Sydney": ("AU", "+6141234"),
    "Milan": ("IT", "+3933123"),
}
PEOPLE = ("Jane", "Marie", "Kenji", "Lukas", "Olivia", "Lucía", "João", "Liam", "Chloe", "Giulia")

NEWSLETTER, DISCOUNT, CALLBACK = 12345, 12346, 12347
POPUPS = (  # id, label, displays, clicks, active
    (NEWSLETTER, "Newsletter sign-up", 1200, 96, True),
    (DISCOUNT, "Exit intent: 10% off", 5400, 310, True),
    (CALLBACK, "Call me back", 800, 44, False),
)
HOOKS: tuple[tuple[str, HookEvent, Optional[int]], ...] = (  # target URL, event, pop-up
    ("https://example.com/wisepops/webhook", "email", None),
    ("https://example.com/wisepops/phone", "phone", CALLBACK),
)
SPREAD = timedelta(days=30)  # the contacts were collected over the last 30 days


def country_of(city: str) -> str:
    return CITIES[city][0]


def seed(fake: FakeWisepops, contacts: int) -> None:
    """Pop-ups, then ``contacts`` contacts (every fifth a phone number), then hooks.

    The hooks come last, so that no delivery is queued for the sample contacts.
    """
    for popup_id, label, displays, clicks, active in POPUPS:
        fake.add_popup(
            label, popup_id=popup_id, display_count=displays, click_count=clicks, activated=active
        )
    now = datetime.now(timezone.utc)
    cities = list(CITIES)
    for n in range(contacts):
        name, city = PEOPLE[n % len(PEOPLE)], cities[n % len(cities)]
        country, phone_prefix = CITIES[city]
        at = now - SPREAD * (contacts - n) / contacts
        fields = {"First name": name, "City": city}
        if n % 5 == 4:  # a phone sign-up: no email
            fields["phone"] = f"{phone_prefix}{n % 10_000:04d}"
            fake.collect(None, CALLBACK, fields, at, country_code=country, event="phone")
            continue
        round_ = n // len(PEOPLE)
        email = f"{_ascii(name).lower()}{round_ + 1 if round_ else ''}@example.com"
        popup = NEWSLETTER if n % 2 == 0 else DISCOUNT
        fake.collect(email, popup, fields, at, country_code=country)
    with fake.client() as client:
        for url, event, only in HOOKS:
            client.v2.hooks.create(url, event=event, wisepop_id=only)


def _ascii(name: str) -> str:
    """``Lucía`` as ``Lucia``: for email addresses."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
