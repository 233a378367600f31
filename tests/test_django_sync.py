"""``manage.py wisepops_sync`` over every website of ``settings.WISEPOPS_WEBSITES``, in
process, against two websites on one base URL: the lines a person reads, the rows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from .receivers import django_serving_two_websites
from .websites import TwoWebsites


@pytest.fixture
def sites(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TwoWebsites]:
    with django_serving_two_websites(monkeypatch, tmp_path, leads=6) as sites:
        yield sites


def sync(*args: str) -> tuple[str, str]:
    from django.core.management import call_command

    out, err = io.StringIO(), io.StringIO()
    call_command("wisepops_sync", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_each_website_is_synced_under_its_name_then_costs_a_call_each(
    sites: TwoWebsites,
) -> None:
    from wisepops.django.models import Lead

    out, _ = sync()
    assert [line.split(";")[0] for line in out.splitlines()] == [
        "shop-fr: 3 new of 3 seen in 1 call",
        "shop-de: 3 new of 3 seen in 1 call",
    ]
    for name in sites.fakes:
        stored = set(Lead.objects.filter(website=name).values_list("dedupe_key", flat=True))
        assert stored == sites.keys(name)
    out, _ = sync("--website", "shop-de")
    assert out.startswith("0 new of 0 seen in 1 call")
    assert (sites.calls("shop-fr"), sites.calls("shop-de")) == (1, 2)


def test_a_website_whose_key_is_refused_is_named_and_the_other_synced(
    sites: TwoWebsites, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.conf import settings
    from django.core.management import CommandError, call_command

    from wisepops.django.models import Lead

    websites = f"shop-it=it-key-0123456789,{sites.variable}"
    monkeypatch.setattr(settings, "WISEPOPS_WEBSITES", websites)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 3 websites failed"):
        call_command("wisepops_sync", stdout=out, stderr=err)
    assert err.getvalue().startswith("shop-it: ")
    assert "401" in err.getvalue()
    assert out.getvalue().count("\n") == 2
    assert Lead.objects.count() == 6
