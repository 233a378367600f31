"""``manage.py wisepops_erase`` and the app's suppression, in process: per-website URLs,
syncs of two websites and an erasure together, as a Django project runs them."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import wisepops
from wisepops._wire.encode import wire_body

from .receivers import django_serving_two_websites
from .websites import T0, TwoWebsites

JANE = "jane.doe@example.com"


@pytest.fixture
def sites(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TwoWebsites]:
    with django_serving_two_websites(monkeypatch, tmp_path, leads=4) as sites:
        yield sites


def command(name: str, *args: str) -> tuple[str, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def jane_at(sites: TwoWebsites, website: str, n: int, spelling: str = JANE) -> wisepops.Contact:
    return sites.fakes[website].collect(
        email=spelling, collected_at=T0 + timedelta(seconds=100 + n), fields={"Pet": "Quokka"}
    )


def deliver(website: str, sites: TwoWebsites, contact: wisepops.Contact) -> tuple[int, object]:
    from django.test import Client

    body = wire_body([contact], "api2")
    key = sites.fakes[website].api_key
    answer = Client().post(
        f"/wisepops/webhook/{website}",
        body,
        content_type="application/json",
        headers={wisepops.SIGNATURE_HEADER: wisepops.sign(body, key)},
    )
    return answer.status_code, answer.json()


def emails() -> list[str]:
    from wisepops.django.models import Lead

    return sorted(str(e) for e in Lead.objects.values_list("email", flat=True))


def deletes(sites: TwoWebsites, website: str) -> int:
    return sum(r.method == "DELETE" for r in sites.fakes[website].requests)


def test_per_website_urls_syncs_of_two_websites_and_an_erasure_together(
    sites: TwoWebsites,
) -> None:
    fr = jane_at(sites, "shop-fr", 0)
    de = jane_at(sites, "shop-de", 1, "  Jane.Doe@EXAMPLE.com")
    assert deliver("shop-fr", sites, fr) == (200, {"received": 1, "new": 1})
    command("wisepops_sync")
    assert len(emails()) == 6

    out, err = command("wisepops_erase", "--email", "JANE.DOE@example.com", "--dry-run")
    assert out.splitlines() == [
        "shop-fr: WisePops not asked (dry run)",
        "shop-de: WisePops not asked (dry run)",
        "leads table: 2 leads would go (dry run: nothing changed)",
    ]
    assert (deletes(sites, "shop-fr"), deletes(sites, "shop-de"), len(emails())) == (0, 0, 6)

    out, err = command("wisepops_erase", "--email", "JANE.DOE@example.com")
    assert (out.splitlines(), err) == (
        [
            "shop-fr: WisePops erased the person (1 record)",
            "shop-de: WisePops erased the person (0 records)",  # the fake matches exactly
            "leads table: 2 leads erased; the person stays suppressed",
        ],
        "",
    )
    assert (deletes(sites, "shop-fr"), deletes(sites, "shop-de")) == (2, 2)  # as typed, folded
    assert JANE not in emails()

    # WisePops redelivers, and a walk from the start lists her again: neither stores her
    assert deliver("shop-fr", sites, fr) == (200, {"received": 1, "new": 0})
    assert deliver("shop-de", sites, de) == (200, {"received": 1, "new": 0})
    jane_at(sites, "shop-fr", 2)
    from wisepops.django.models import SyncCursor

    SyncCursor.objects.all().delete()
    out, _ = command("wisepops_sync")
    assert out.splitlines()[0].startswith("shop-fr: 0 new of 3 seen")
    assert len(emails()) == 4
    assert not any("jane" in e.casefold() for e in emails())


def test_a_website_that_fails_is_one_line_the_rest_is_done_and_the_command_fails(
    sites: TwoWebsites, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings
    from django.core.management import CommandError

    monkeypatch.setattr(
        settings, "WISEPOPS_WEBSITES", f"shop-it=it-key-0123456789,{sites.variable}"
    )
    command("wisepops_sync", "--website", "shop-fr")
    jane = jane_at(sites, "shop-fr", 0)
    from wisepops.django.models import Lead

    Lead.objects.store([jane], website="shop-fr")
    out, err = io.StringIO(), io.StringIO()
    from django.core.management import call_command

    with pytest.raises(CommandError, match="1 of 4 parts failed; the others are done"):
        call_command("wisepops_erase", "--email", JANE, stdout=out, stderr=err)
    assert err.getvalue().startswith("shop-it: WisePops did not erase the person: ")
    assert "401" in err.getvalue()
    assert (
        out.getvalue().splitlines()[-1] == "leads table: 1 lead erased; the person stays suppressed"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give an email, a phone number or both"),
        (["--email", "jane"], "not an email address"),
        (["--phone", "06 12 34 56 78"], "not a phone number in international form"),
        (["--email", JANE, "--website", "shop-it"], "no website named 'shop-it'"),
    ],
)
def test_bad_arguments_are_refused_with_status_2_and_nothing_is_sent(
    sites: TwoWebsites, args: list[str], says: str
) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=says) as refused:
        command("wisepops_erase", *args)
    assert refused.value.returncode == 2
    assert deletes(sites, "shop-fr") == deletes(sites, "shop-de") == 0
