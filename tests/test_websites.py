"""``WISEPOPS_WEBSITES`` read once for every tool, and which website a delivery is for."""

from __future__ import annotations

import hmac
import json

import pytest

import wisepops
from wisepops import (
    SignatureVerificationError,
    UnknownWebsiteError,
    WebsitesError,
    read_websites,
    sign,
    unwrap_website,
)
from wisepops._websites import chosen

from .conftest import record

FR = "fr0123456789abcdef0123456789abcd"
DE = "de0123456789abcdef0123456789abcd"
BODY = json.dumps([record(1)]).encode()


def test_the_variable_names_each_website_and_its_key_in_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WISEPOPS_WEBSITES", f" shop-fr={FR} , shop_DE2={DE}")
    monkeypatch.setenv("WISEPOPS_API_KEY", "ignored-when-websites-are-named")
    assert list(read_websites().items()) == [("shop-fr", FR), ("shop_DE2", DE)]


def test_unset_the_api_key_is_the_one_website_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WISEPOPS_API_KEY", FR)
    assert read_websites() == {"default": FR}
    monkeypatch.setenv("WISEPOPS_WEBSITES", "")  # empty is unset, as for the key
    assert read_websites() == {"default": FR}
    assert read_websites(api_key=DE) == {"default": DE}  # --api-key: one website


def test_a_mapping_is_read_as_the_text_is() -> None:  # Django's settings.WISEPOPS_WEBSITES
    assert read_websites({"shop-fr": FR, "shop-de": DE}) == {"shop-fr": FR, "shop-de": DE}
    assert read_websites(f"shop-fr={FR}") == {"shop-fr": FR}


def test_nothing_set_says_what_to_set() -> None:
    with pytest.raises(WebsitesError, match=r"^WISEPOPS_API_KEY is not set: export .* \(sev"):
        read_websites()
    assert read_websites({}, api_key="k") == {"default": "k"}  # Django's empty setting


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (f"={FR}", r"entry 1: a website's name is .* not ''"),
        (f"shop-fr={FR},shop.de={DE}", r"entry 2: a website's name is .* not 'shop.de'"),
        (f"shop-fr={FR},shop-fr={DE}", r"website 'shop-fr' is named twice"),
        (f"shop-fr={FR},{DE}", r"entry 2 is not name=key"),
        (f"shop-fr={FR},shop-de=", r"website 'shop-de' has no key"),
        (f"shop-fr={FR},", r"entry 2 is not name=key"),
        (f'shop-fr="{FR}"', r"website 'shop-fr': its key must be visible ASCII"),
        (f"shop-fr={FR},shop-de={FR}", r"website 'shop-de' has the key of 'shop-fr'"),
        (f"{'x' * 65}={FR}", r"entry 1: a website's name is 1 to 64"),
    ],
)
def test_a_malformed_value_is_one_error_naming_the_variable_never_a_key(
    monkeypatch: pytest.MonkeyPatch, value: str, says: str
) -> None:
    monkeypatch.setenv("WISEPOPS_WEBSITES", value)
    with pytest.raises(WebsitesError, match=says) as caught:
        read_websites()
    message = str(caught.value)
    assert message.startswith("WISEPOPS_WEBSITES: ")
    assert FR not in message
    assert DE not in message
    assert isinstance(caught.value, ValueError)  # and a WisepopsError


def test_a_bad_key_in_the_api_key_variable_names_that_variable() -> None:
    with pytest.raises(WebsitesError, match=r"^WISEPOPS_API_KEY: website 'default': its key"):
        read_websites(api_key="a key with spaces")


def test_a_mapping_of_other_things_is_refused() -> None:
    with pytest.raises(WebsitesError, match="has no key"):
        read_websites({"shop-fr": None})  # type: ignore[dict-item]
    with pytest.raises(WebsitesError, match="not list"):
        read_websites(["shop-fr"])  # type: ignore[arg-type]


WEBSITES = {"shop-fr": FR, "shop-de": DE}


def test_a_named_website_is_verified_with_its_own_key() -> None:
    name, contacts = unwrap_website(BODY, sign(BODY, DE), WEBSITES, "shop-de")
    assert name == "shop-de"
    assert [c.wisepop_id for c in contacts] == [wisepops.parse_payload(BODY)[0].wisepop_id]


def test_another_websites_key_is_refused_and_an_unknown_name_is_not_found() -> None:
    with pytest.raises(SignatureVerificationError, match="does not match"):
        unwrap_website(BODY, sign(BODY, FR), WEBSITES, "shop-de")
    with pytest.raises(UnknownWebsiteError, match="no website named 'shop-it'"):
        unwrap_website(BODY, sign(BODY, "it-key"), WEBSITES, "shop-it")


def test_without_a_name_the_website_whose_key_signed_it() -> None:
    assert unwrap_website(BODY, sign(BODY, FR), WEBSITES)[0] == "shop-fr"
    assert unwrap_website(BODY, sign(BODY, DE), WEBSITES)[0] == "shop-de"
    with pytest.raises(SignatureVerificationError, match="does not match"):
        unwrap_website(BODY, sign(BODY, "neither"), WEBSITES)
    with pytest.raises(SignatureVerificationError, match="is missing"):
        unwrap_website(BODY, None, WEBSITES)


def test_every_key_is_checked_whichever_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    """No early exit: the first website's match costs as many comparisons as the last's."""
    compared: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(a)
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counting)
    unwrap_website(BODY, sign(BODY, FR), WEBSITES)
    assert len(compared) == 2


def test_website_chooses_among_those_configured_in_their_order() -> None:
    assert list(chosen(WEBSITES, ["shop-de", "shop-fr"])) == ["shop-fr", "shop-de"]
    assert chosen(WEBSITES, None) == WEBSITES
    with pytest.raises(
        WebsitesError, match="no website named 'shop-it'; the websites are shop-fr, shop-de"
    ):
        chosen(WEBSITES, ["shop-it"])
