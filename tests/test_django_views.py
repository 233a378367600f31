"""``wisepops.django.views``, in-process through Django's test client: what a sender
sees for each kind of request, and where the URL sits under a project's prefix."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import wisepops

from .receivers import KEY, load_django_receiver

if TYPE_CHECKING:
    from django.test import Client

BODY = b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@x.com"}]'


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Client:
    from django.test import Client

    load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    return Client()


def post(client: Client, body: bytes, **headers: str) -> tuple[int, object]:
    answer = client.post(
        "/wisepops/webhook", body, content_type="application/json", headers=headers
    )
    return answer.status_code, answer.json()


def test_a_signed_delivery_is_stored_once(client: Client) -> None:
    signed = {wisepops.SIGNATURE_HEADER: wisepops.sign(BODY, KEY)}
    assert post(client, BODY, **signed) == (200, {"received": 1, "new": 1})
    assert post(client, BODY, **signed) == (200, {"received": 1, "new": 0})


def test_a_wrong_or_missing_signature_is_401(client: Client) -> None:
    wrong = {wisepops.SIGNATURE_HEADER: wisepops.sign(BODY, "another-key")}
    assert post(client, BODY, **wrong) == (401, {"error": "invalid or missing signature"})
    assert post(client, BODY) == (401, {"error": "invalid or missing signature"})


def test_signed_records_that_are_not_valid_are_400_with_the_reason(client: Client) -> None:
    body = b'[{"wisepop_id": 1}]'
    status, answer = post(client, body, **{wisepops.SIGNATURE_HEADER: wisepops.sign(body, KEY)})
    assert status == 400
    assert isinstance(answer, dict)
    assert "collected_at" in answer["error"]


def test_the_url_is_named_under_the_projects_prefix(client: Client) -> None:
    from django.urls import reverse

    assert reverse("wisepops:webhook") == "/wisepops/webhook"


def wsgi(environ: dict[str, object]) -> tuple[str, bytes]:
    """The example's WSGI application called directly, as a server would."""
    from examples.django_receiver import application

    status: list[str] = []
    base: dict[str, object] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/wisepops/webhook",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }
    body = application({**base, **environ}, lambda s, h: status.append(s))  # type: ignore[arg-type]
    return status[0], b"".join(body)


@pytest.mark.parametrize(
    ("length", "status"),
    [
        (None, "411"),  # chunked: under WSGI Django would read it as empty
        (str(1024 * 1024 + 1), "413"),  # refused before it is read
        ("twelve", "400"),
    ],
    ids=["chunked", "declared-too-large", "not-a-number"],
)
def test_what_a_body_declares_is_answered_before_it_is_read(
    client: Client, length: str | None, status: str
) -> None:
    environ: dict[str, object] = {} if length is None else {"CONTENT_LENGTH": length}
    assert wsgi(environ)[0].split()[0] == status


def test_get_is_405(client: Client) -> None:
    assert client.get("/wisepops/webhook").status_code == 405


@pytest.fixture
def two_websites(client: Client, monkeypatch: pytest.MonkeyPatch) -> Client:
    from django.conf import settings

    monkeypatch.setattr(settings, "WISEPOPS_WEBSITES", WEBSITES, raising=False)
    return client


WEBSITES = {"shop-fr": "fr-key-0123456789abcdef", "shop-de": "de-key-0123456789abcdef"}


def signed(key: str) -> dict[str, str]:
    return {wisepops.SIGNATURE_HEADER: wisepops.sign(BODY, key)}


def post_to(client: Client, path: str, **headers: str) -> tuple[int, object]:
    answer = client.post(path, BODY, content_type="application/json", headers=headers)
    return answer.status_code, answer.json()


def websites() -> list[object]:
    from wisepops.django.models import Lead

    return list(Lead.objects.values_list("website", flat=True))


def test_a_websites_url_takes_its_key_only_and_stores_under_its_name(
    two_websites: Client,
) -> None:
    from django.urls import reverse

    url = reverse("wisepops:website-webhook", args=["shop-de"])
    assert url == "/wisepops/webhook/shop-de"
    assert post_to(two_websites, url, **signed(WEBSITES["shop-fr"])) == (
        401,
        {"error": "invalid or missing signature"},
    )
    assert post_to(two_websites, url, **signed(WEBSITES["shop-de"])) == (
        200,
        {"received": 1, "new": 1},
    )
    assert post_to(two_websites, "/wisepops/webhook/shop-it", **signed(KEY)) == (
        404,
        {"error": "no such website"},
    )
    assert websites() == ["shop-de"]


def test_the_plain_url_stores_under_the_website_whose_key_signed(two_websites: Client) -> None:
    assert post_to(two_websites, "/wisepops/webhook", **signed(WEBSITES["shop-fr"]))[0] == 200
    assert post_to(two_websites, "/wisepops/webhook", **signed(KEY))[0] == 401  # not configured
    assert websites() == ["shop-fr"]


def test_one_website_is_named_default_on_either_url(client: Client) -> None:
    assert post_to(client, "/wisepops/webhook/default", **signed(KEY))[0] == 200
    assert websites() == ["default"]
