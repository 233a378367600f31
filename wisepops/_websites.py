"""Every website of an account, by name: ``WISEPOPS_WEBSITES``, read once for the CLI,
the receivers and the Django app, and which website a delivery belongs to.

WisePops gives each website its own API key and hooks. ``WISEPOPS_WEBSITES`` names them,
``shop-fr=KEY1,shop-de=KEY2``; unset, ``WISEPOPS_API_KEY`` is the one website
``default``, so a one-website setup reads as it always did. Needs neither SQLAlchemy nor
Django.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Optional, Union

from ._config import _HEADER_SAFE_KEY, API_KEY_ENV, resolve_api_key
from ._errors import UnknownWebsiteError, WebsitesError
from ._webhooks import Body, Header, parse_payload, verified_signer
from ._wire.records import Contact

WEBSITES_ENV = "WISEPOPS_WEBSITES"
DEFAULT_WEBSITE = "default"
"""The name of the one website ``WISEPOPS_API_KEY`` (or ``--api-key``) stands for."""
NAME_LENGTH = 64  # a website's name, in characters: it is part of a sync's saved walk
_NAME = re.compile(r"[A-Za-z0-9_-]{1,%d}" % NAME_LENGTH)  # noqa: UP031 - a regex's braces

NO_KEY = (
    f"{API_KEY_ENV} is not set: export your WisePops API key "
    f"(several websites: {WEBSITES_ENV}=shop-fr=KEY1,shop-de=KEY2)"
)
Websites = Mapping[str, str]
"""Each website's name and its API key, in the order they were given."""


def check_name(website: object) -> str:
    """``website`` if it is a website's name (letters, digits, ``-``, ``_``, up to 64),
    else ``ValueError`` saying so."""
    if not isinstance(website, str) or not _NAME.fullmatch(website):
        raise ValueError(
            f"a website's name is 1 to {NAME_LENGTH} letters, digits, '-' or '_', not {website!r}"
        )
    return website


def read_websites(
    websites: Union[str, Websites, None] = None, *, api_key: Optional[str] = None
) -> dict[str, str]:
    """Each configured website's name and key, in order.

    ``websites``: ``"shop-fr=KEY1,shop-de=KEY2"`` or a mapping ``{"shop-fr": "KEY1", ...}``;
    ``None`` reads ``$WISEPOPS_WEBSITES``. When that is unset or empty, ``api_key`` (else
    ``$WISEPOPS_API_KEY``) is the one website ``default``. Anything malformed (an empty or
    repeated name, a name of other characters, an entry without ``=``, an empty key, a
    key no request could carry, one key for two websites) raises
    :class:`~wisepops.WebsitesError` naming the variable and the entry, never a key.

    Example::

        websites = wisepops.read_websites()  # {"shop-fr": "...", "shop-de": "..."}
        for name, key in websites.items():
            print(name, client.with_options(api_key=key).v2.hooks.list())
    """
    if websites is None:
        websites = os.environ.get(WEBSITES_ENV)
    if not websites:  # unset, an empty text or an empty mapping
        key = resolve_api_key(api_key)
        if key is None:
            raise WebsitesError(NO_KEY)
        return _checked([(DEFAULT_WEBSITE, key)], API_KEY_ENV)
    if isinstance(websites, str):
        return _checked(_entries(websites), WEBSITES_ENV)
    if isinstance(websites, Mapping):
        return _checked(list(websites.items()), WEBSITES_ENV)
    raise WebsitesError(
        f"{WEBSITES_ENV} is a text or a mapping of names to keys, not {type(websites).__name__}"
    )


def _entries(text: str) -> list[tuple[str, str]]:
    entries = []
    for position, entry in enumerate(text.split(","), start=1):
        name, equals, key = entry.strip().partition("=")
        if not equals:  # the entry may be a bare key: not echoed
            raise WebsitesError(f"{WEBSITES_ENV}: entry {position} is not name=key")
        entries.append((name.strip(), key.strip()))
    return entries


def _checked(entries: Sequence[tuple[object, object]], variable: str) -> dict[str, str]:
    websites: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for position, (given, key) in enumerate(entries, start=1):
        try:
            name = check_name(given)
        except ValueError as exc:
            raise WebsitesError(f"{variable}: entry {position}: {exc}") from None
        where = f"{variable}: website {name!r}"
        if name in websites:
            raise WebsitesError(f"{where} is named twice")
        if not isinstance(key, str) or not key:
            raise WebsitesError(f"{where} has no key")
        if not _HEADER_SAFE_KEY.fullmatch(key):
            raise WebsitesError(
                f"{where}: its key must be visible ASCII without spaces, quotes or "
                "backslashes; check for a stray newline or quote"
            )
        if key in by_key:
            raise WebsitesError(f"{where} has the key of {by_key[key]!r}: each has its own")
        websites[name], by_key[key] = key, name
    return websites


def chosen(websites: Websites, names: Optional[Sequence[str]]) -> dict[str, str]:
    """The websites ``--website NAME`` (repeatable) names, in the order configured; all
    of them when it is not given. A name not configured raises
    :class:`~wisepops.WebsitesError` listing those that are."""
    if not names:
        return dict(websites)
    unknown = [name for name in names if name not in websites]
    if unknown:
        raise WebsitesError(
            f"no website named {unknown[0]!r}; the websites are {', '.join(websites)}"
        )
    return {name: key for name, key in websites.items() if name in names}


def unwrap_website(
    body: Body, header: Header, websites: Websites, website: Optional[str] = None
) -> tuple[str, list[Contact]]:
    """Which website a delivery belongs to, and its contacts: :func:`wisepops.unwrap`
    for several websites, the one routing of every receiver.

    ``website``, from a URL ``/webhook/<website>``: the delivery must be signed with
    that website's key. ``None`` (the plain URL): the website whose key signed it; every
    key is tried, each in constant time. Raises :class:`~wisepops.UnknownWebsiteError`
    (answer 404) for a name not configured,
    :class:`~wisepops.SignatureVerificationError` (401) and
    :class:`~wisepops.PayloadError` (400) as ``unwrap`` does.

    Example::

        name, contacts = wisepops.unwrap_website(body, signature, WEBSITES, website)
        store.add(contacts, website=name)
    """
    names = list(websites) if website is None else [website]
    if website is not None and website not in websites:
        raise UnknownWebsiteError(f"no website named {website!r} is configured")
    keys = [websites[name].encode("utf-8") for name in names]
    name = names[verified_signer(body, header, keys)]
    return name, parse_payload(body)
