"""Every endpoint as a value: what to send and how to read the answer.

The sync and async clients run the same :class:`Operation` objects; argument mistakes
are caught here, before anything is sent.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping
from typing import Any, Callable, Generic, Literal, Optional, TypeVar, get_args
from urllib.parse import urlsplit

import attrs
import httpx

from ._errors import APIConnectionError, APIResponseValidationError, InternalServerError
from ._wire.decode import RecordError, decode_json, json_type, list_from_json
from ._wire.records import Contact, Hook, Page, Popup
from ._wire.times import DateLike, query_instant

T = TypeVar("T")

HookEvent = Literal["email", "phone", "survey"]

API1_PAGE_SIZE = 100
"""api1 answers 100 records a page, always."""
API2_MAX_PAGE_SIZE = 1000
"""The most api2 sends in one page: what ``iter()`` asks for, to save quota."""
API2_LIST_PAGE_SIZE = 100
"""What ``v2.contacts.list()`` asks for unless told: api2's own default."""


@attrs.frozen
class HookApi:
    """Where one API version keeps its hooks, and the events they may forward."""

    name: Literal["api1", "api2"]
    events: tuple[str, ...]

    @property
    def path(self) -> str:
        return f"/{self.name}/hooks"


API1_HOOKS = HookApi("api1", ("email",))
API2_HOOKS = HookApi("api2", get_args(HookEvent))

_PHONE = re.compile(r"\+[1-9][0-9]{5,14}")


@attrs.frozen
class Operation(Generic[T]):
    """One API call: method, path, query and JSON body, and the parser of a 2xx response.

    A ``parse`` that returns the response itself (as :func:`raw_request`'s does) gets it
    with the key redacted from its request, like the responses errors carry.
    """

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    params: Mapping[str, Any] = attrs.field(factory=dict)
    json: Optional[Any] = None  # None: no body


def _ignore_body(response: httpx.Response) -> None:
    return None


def _int_member(response: httpx.Response, key: str) -> int:
    """The integer ``key`` of a JSON object body, like ``{"id": 42}``."""
    answer = decode_json(response.content)
    if type(answer) is not dict:
        raise RecordError(f"expected a JSON object, got {json_type(answer)}")
    value = answer.get(key)
    if type(value) is not int:
        raise RecordError(f"{key!r} must be an integer, got {json_type(value)}")
    return value


# --- argument checks ---------------------------------------------------------------------


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be 1 or more, got {value}")
    return value


def _target_url(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"target_url must be a str, got {type(value).__name__}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or value != value.strip():
        raise ValueError(f"target_url must be an absolute http(s) URL, got {value!r}")
    return value


def _query(**params: Optional[object]) -> dict[str, str]:
    """Query parameters as strings; ``None`` means "not sent", never "sent empty"."""
    return {name: str(value) for name, value in params.items() if value is not None}


# --- contacts ----------------------------------------------------------------------------


def _contacts_page(
    page: Optional[int], page_size: int
) -> Callable[[httpx.Response], Page[Contact]]:
    def parse(response: httpx.Response) -> Page[Contact]:
        items = tuple(list_from_json(Contact, decode_json(response.content)))
        return Page(items=items, page=page or 1, page_size=page_size)

    return parse


def _page_number(page: Optional[int]) -> Optional[int]:
    """``None`` sends no ``page`` at all: what a walk by ``collected_after`` does."""
    return None if page is None else _positive_int("page", page)


def list_emails(
    collected_after: Optional[DateLike], wisepop_id: Optional[int], page: Optional[int]
) -> Operation[Page[Contact]]:
    """``GET /api1/emails``: one page of at most 100 collected emails, oldest first."""
    page = _page_number(page)
    wisepop_id = None if wisepop_id is None else _positive_int("wisepop_id", wisepop_id)
    return Operation(
        "GET",
        "/api1/emails",
        _contacts_page(page, API1_PAGE_SIZE),
        _query(page=page, collected_after=query_instant(collected_after), wisepop_id=wisepop_id),
    )


def list_contacts(
    collected_after: Optional[DateLike],
    wisepop_id: Optional[int],
    page_size: int,
    page: Optional[int],
) -> Operation[Page[Contact]]:
    """``GET /api2/contacts``: one page of 1 to 1,000 contacts, oldest first."""
    page = _page_number(page)
    page_size = _positive_int("page_size", page_size)
    if page_size > API2_MAX_PAGE_SIZE:
        raise ValueError(f"page_size must be at most {API2_MAX_PAGE_SIZE}, got {page_size}")
    wisepop_id = None if wisepop_id is None else _positive_int("wisepop_id", wisepop_id)
    return Operation(
        "GET",
        "/api2/contacts",
        _contacts_page(page, page_size),
        _query(
            page=page,
            page_size=page_size,
            collected_after=query_instant(collected_after),
            wisepop_id=wisepop_id,
        ),
    )


# --- hooks -------------------------------------------------------------------------------


def create_hook(
    hooks: HookApi, target_url: str, event: str, wisepop_id: Optional[int]
) -> Operation[Hook]:
    """``POST /apiN/hooks``: subscribe ``target_url`` to new records of ``event``."""
    target_url = _target_url(target_url)
    if event not in hooks.events:
        allowed = ", ".join(hooks.events)
        raise ValueError(f"event must be one of {allowed} on {hooks.name}, got {event!r}")
    wisepop_id = None if wisepop_id is None else _positive_int("wisepop_id", wisepop_id)
    body: dict[str, Any] = {"event": event, "target_url": target_url}
    if wisepop_id is not None:
        body["wisepop_id"] = wisepop_id

    def parse(response: httpx.Response) -> Hook:
        hook_id = _int_member(response, "id")
        return Hook(id=hook_id, target_url=target_url, event=event, wisepop_id=wisepop_id)

    return Operation("POST", hooks.path, parse, json=body)


def delete_hook(hooks: HookApi, hook_id: int) -> Operation[None]:
    """``DELETE /apiN/hooks?hook_id=N``."""
    hook_id = _positive_int("hook_id", hook_id)
    return Operation("DELETE", hooks.path, _ignore_body, _query(hook_id=hook_id))


def _wrapped_array(answer: Any) -> Any:
    """The array of a listing: the answer itself, or the one array an object wraps.

    Only integrations document ``GET /api2/hooks`` (an array); ``{"hooks": [...]}`` or
    ``{"data": [...], "total": 2}`` would be read too, rather than guessed at by name.
    """
    if type(answer) is not dict:
        return answer  # an array, or what list_from_json names as not one
    arrays = [value for value in answer.values() if type(value) is list]
    if len(arrays) != 1:
        raise RecordError(
            f"expected an array of hooks, or an object holding one, got an object holding "
            f"{len(arrays)} arrays"
        )
    return arrays[0]


def list_hooks(hooks: HookApi) -> Operation[list[Hook]]:
    """``GET /api2/hooks``: every hook of the website (no API documents it for api1)."""
    return Operation(
        "GET",
        hooks.path,
        lambda response: list_from_json(Hook, _wrapped_array(decode_json(response.content))),
    )


Plan = Generator[Operation[Any], Any, T]
"""Several operations in a row: each result is sent back in, each API error thrown in."""

_MAY_HAVE_ACTED = (APIConnectionError, APIResponseValidationError, InternalServerError)
"""Errors of a POST after which the hook may exist all the same."""


def ensure_hook(
    hooks: HookApi, target_url: str, event: str, wisepop_id: Optional[int], retries: int
) -> Plan[Hook]:
    """The hook with this URL, event and pop-up: the one listed, else a new one.

    A create whose answer is lost may have worked, so the hooks are listed again before
    creating again (at most ``retries`` more times): one call never leaves two hooks.
    """
    create = create_hook(hooks, target_url, event, wisepop_id)  # checks the arguments
    wanted = (target_url, event, wisepop_id)
    creates = 0
    lost: Optional[Exception] = None  # the error of the last create, whose answer was lost
    while True:
        listed: list[Hook] = yield list_hooks(hooks)
        for hook in listed:
            if (hook.target_url, hook.event, hook.wisepop_id) == wanted:
                return hook
        if lost is not None and creates > retries:
            raise lost
        creates += 1
        try:
            created: Hook = yield create
        except _MAY_HAVE_ACTED as error:
            lost = error
            continue
        return created


# --- pop-ups and data privacy ------------------------------------------------------------


def list_popups() -> Operation[list[Popup]]:
    """``GET /api2/wisepops``: every pop-up with its metrics."""
    return Operation(
        "GET",
        "/api2/wisepops",
        lambda response: list_from_json(Popup, decode_json(response.content)),
    )


def _deleted_count(response: httpx.Response) -> Optional[int]:
    """The ``deleted`` count when the answer has one; any other 2xx answer is ``None``.

    The erasure is done and cannot be undone by then: raising would only tell the
    caller it failed, and tempt them to send it again.
    """
    try:
        answer = decode_json(response.content)
    except ValueError:
        return None
    deleted = answer.get("deleted") if type(answer) is dict else None
    return deleted if type(deleted) is int and deleted >= 0 else None


def delete_personal_data(email: Optional[str], phone: Optional[str]) -> Operation[Optional[int]]:
    """``DELETE /api2/data-privacy``: erase and suppress every record of a person."""
    if email is None and phone is None:
        raise ValueError("give an email, a phone number or both")
    body: dict[str, str] = {}
    if email is not None:
        if not isinstance(email, str) or "@" not in email or email != email.strip():
            raise ValueError(f"email must be an email address, got {email!r}")
        body["email"] = email
    if phone is not None:
        if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
            raise ValueError(
                f"phone must be in international form, '+' then digits with no spaces "
                f"(like +14155552671), got {phone!r}"
            )
        body["phone"] = phone

    return Operation("DELETE", "/api2/data-privacy", _deleted_count, json=body)


# --- the escape hatch --------------------------------------------------------------------

_METHOD = re.compile(r"[A-Z]+")


def _the_response(response: httpx.Response) -> httpx.Response:
    return response


def raw_request(
    method: str, path: str, params: Optional[Mapping[str, Any]], json: Optional[Any]
) -> Operation[httpx.Response]:
    """Any call, for endpoints the SDK does not wrap; its 2xx response is the value.

    ``path`` must stay under ``base_url``: an absolute URL would send the key elsewhere.
    """
    if not isinstance(method, str) or not _METHOD.fullmatch(method.upper()):
        raise ValueError(f"method must be an HTTP method like 'GET', got {method!r}")
    if not isinstance(path, str):
        raise TypeError(f"path must be a str, got {type(path).__name__}")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or path.startswith("//"):
        raise ValueError(f"path must be relative to base_url, like '/api2/hooks', got {path!r}")
    if not path.startswith("/"):
        path = "/" + path
    return Operation(method.upper(), path, _the_response, dict(params or {}), json)
