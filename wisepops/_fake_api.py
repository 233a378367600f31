"""The in-memory WisePops behind :mod:`wisepops.testing`: state, routing and faults.

``handle(state, request)`` answers one ``httpx.Request`` the way WisePops does (or as
documented where the service is silent). Faults that are not an HTTP answer (a
timeout, a dropped connection, a cut body) are raised as the exceptions below, so the
in-process transport and the loopback server can each act them out.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable, Literal, Optional

import attrs
import httpx

from ._loopback import Disconnect, Hang, Truncate
from ._operations import (
    API1_HOOKS,
    API1_PAGE_SIZE,
    API2_HOOKS,
    API2_LIST_PAGE_SIZE,
    API2_MAX_PAGE_SIZE,
    HookApi,
)
from ._wire.encode import php_json, wire_body
from ._wire.records import Contact, Popup
from ._wire.times import parse_datetime


@attrs.define
class Fault:
    """One planned failure, for the first request matching ``path`` after ``skip`` others."""

    kind: str  # "status", "timeout", "disconnect", "truncate"
    path: Optional[str] = None
    status: int = 503
    retry_after: Optional[str] = None
    body: Optional[str] = None
    after_processing: bool = False
    skip: int = 0

    def matches(self, request: httpx.Request) -> bool:
        return self.path is None or request.url.path == self.path


@attrs.frozen
class StoredHook:
    id: int
    api: Literal["api1", "api2"]
    event: str
    target_url: str
    wisepop_id: Optional[int]

    def listed(self) -> dict[str, Any]:
        """The hook as ``GET /api2/hooks`` lists it: ``wisepop_id`` only when it has one."""
        hook: dict[str, Any] = {"id": self.id, "event": self.event, "target_url": self.target_url}
        if self.wisepop_id is not None:
            hook["wisepop_id"] = self.wisepop_id
        return hook


@attrs.define
class PopupStats:
    id: int
    label: str
    created_at: datetime
    activated: bool = True
    display_count: int = 0
    click_count: int = 0

    def popup(self, email_count: int) -> Popup:
        """The pop-up as ``GET /api2/wisepops`` lists it."""
        return Popup(
            id=self.id,
            label=self.label,
            created_at=self.created_at,
            activated=self.activated,
            display_count=self.display_count,
            click_count=self.click_count,
            email_count=email_count,
        )


@attrs.define
class State:
    """Everything the fake holds; guarded by ``lock`` as the loopback server is threaded."""

    api_key: str
    honour_page: bool = True
    inclusive_after: bool = False
    contacts: list[Contact] = attrs.Factory(list)
    hooks: dict[int, StoredHook] = attrs.Factory(dict)
    popups: dict[int, PopupStats] = attrs.Factory(dict)
    faults: deque[Fault] = attrs.Factory(deque)
    requests: list[httpx.Request] = attrs.Factory(list)
    next_hook_id: int = 1
    lock: threading.RLock = attrs.Factory(threading.RLock)

    def erase(self, email: Optional[str], phone: Optional[str]) -> int:
        """Delete every contact with this email or this phone; return how many."""
        kept = [
            c
            for c in self.contacts
            if not (
                (email is not None and c.email == email)
                or (phone is not None and c.fields.get("phone") == phone)
            )
        ]
        deleted = len(self.contacts) - len(kept)
        self.contacts[:] = kept
        return deleted

    def add_contact(self, contact: Contact) -> None:
        """Keep contacts sorted oldest first; a tie goes after the records already there."""
        if not self.contacts or self.contacts[-1].collected_at <= contact.collected_at:
            self.contacts.append(contact)  # the usual case, and seeding many stays linear
            return
        keys = [c.collected_at for c in self.contacts]
        self.contacts.insert(bisect.bisect_right(keys, contact.collected_at), contact)


class _BadRequest(Exception):
    pass


def _answer(
    status: int, body: Any = None, headers: Optional[Mapping[str, str]] = None
) -> httpx.Response:
    content = b"" if body is None else php_json(body)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, content=content, headers=all_headers)


# --- routing ----------------------------------------------------------------------------


def handle(state: State, request: httpx.Request) -> httpx.Response:
    """Answer ``request``, applying the next matching fault first."""
    with state.lock:
        state.requests.append(request)
        fault = _take_fault(state, request)
        if fault is not None and not fault.after_processing:
            return _fail(fault)
        response = _route(state, request)
        if fault is not None:
            raise Truncate(response) if fault.kind == "truncate" else Disconnect()
        return response


def _take_fault(state: State, request: httpx.Request) -> Optional[Fault]:
    for fault in state.faults:
        if fault.matches(request):
            if fault.skip:
                fault.skip -= 1
                return None
            state.faults.remove(fault)
            return fault
    return None


def _fail(fault: Fault) -> httpx.Response:
    if fault.kind == "timeout":
        raise Hang()
    if fault.kind == "disconnect":
        raise Disconnect()
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if fault.body is not None:
        return httpx.Response(
            fault.status, text=fault.body, headers={"Content-Type": "text/html", **headers}
        )
    return _answer(fault.status, {"message": "injected failure"}, headers)


Route = Callable[[State, httpx.Request], httpx.Response]


def _route(state: State, request: httpx.Request) -> httpx.Response:
    routes = _ROUTES.get(request.url.path)
    if routes is None:
        return _answer(404, {"message": f"no such endpoint: {request.url.path}"})
    route = routes.get(request.method)
    if route is None:
        return _answer(405, {"message": f"{request.method} is not allowed here"})
    if request.headers.get_list("Authorization") != [f'WISEPOPS-API key="{state.api_key}"']:
        return _answer(401, {"message": "Invalid API key"})
    try:
        return route(state, request)
    except _BadRequest as exc:
        return _answer(400, {"message": str(exc)})


def _int_param(request: httpx.Request, name: str, default: Optional[int]) -> Optional[int]:
    raw = request.url.params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise _BadRequest(f"{name} must be a positive integer")
    return int(raw)


def _matching_contacts(state: State, request: httpx.Request) -> list[Contact]:
    wisepop_id = _int_param(request, "wisepop_id", None)
    after_text = request.url.params.get("collected_after")
    contacts = state.contacts
    if after_text is not None:
        try:
            after = parse_datetime(after_text)
        except ValueError:
            raise _BadRequest("collected_after must be an ISO 8601 date") from None
        cut = bisect.bisect_left if state.inclusive_after else bisect.bisect_right
        contacts = contacts[cut([c.collected_at for c in contacts], after) :]
    if wisepop_id is not None:
        contacts = [c for c in contacts if c.wisepop_id == wisepop_id]
    return contacts


def _page(
    state: State, request: httpx.Request, contacts: list[Contact], page_size: int
) -> list[Contact]:
    page = _int_param(request, "page", 1) or 1
    if not state.honour_page:
        page = 1
    return contacts[(page - 1) * page_size : page * page_size]


def _records(body: bytes) -> httpx.Response:
    return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})


def _list_emails(state: State, request: httpx.Request) -> httpx.Response:
    contacts = _page(state, request, _matching_contacts(state, request), API1_PAGE_SIZE)
    return _records(wire_body(contacts, "api1"))


def _list_contacts(state: State, request: httpx.Request) -> httpx.Response:
    page_size = _int_param(request, "page_size", API2_LIST_PAGE_SIZE) or API2_LIST_PAGE_SIZE
    if page_size > API2_MAX_PAGE_SIZE:
        raise _BadRequest(f"page_size must be between 1 and {API2_MAX_PAGE_SIZE}")
    contacts = _page(state, request, _matching_contacts(state, request), page_size)
    return _records(wire_body(contacts, "api2"))


def _json_body(request: httpx.Request) -> dict[str, Any]:
    try:
        body = json.loads(request.content)
    except ValueError:
        raise _BadRequest("the body must be JSON") from None
    if not isinstance(body, dict):
        raise _BadRequest("the body must be a JSON object")
    return body


def _create_hook(api: HookApi) -> Route:
    events = api.events

    def create(state: State, request: httpx.Request) -> httpx.Response:
        body = _json_body(request)
        target_url, event, wisepop_id = (
            body.get("target_url"),
            body.get("event"),
            body.get("wisepop_id"),
        )
        if not isinstance(target_url, str) or not target_url.startswith(("http://", "https://")):
            raise _BadRequest("target_url must be an absolute URL")
        if not isinstance(event, str) or event not in events:
            raise _BadRequest(f"event must be one of {', '.join(events)}")
        if wisepop_id is not None and type(wisepop_id) is not int:
            raise _BadRequest("wisepop_id must be an integer")
        hook = StoredHook(state.next_hook_id, api.name, event, target_url, wisepop_id)
        state.hooks[hook.id] = hook
        state.next_hook_id += 1
        return _answer(200, {"id": hook.id})

    return create


def _delete_hook(state: State, request: httpx.Request) -> httpx.Response:
    hook_id = _int_param(request, "hook_id", None)
    if hook_id is None:
        raise _BadRequest("hook_id is required")
    if state.hooks.pop(hook_id, None) is None:
        return _answer(404, {"message": f"no hook {hook_id}"})
    return _answer(200, {})


def _list_hooks(api: HookApi) -> Route:
    def list_hooks(state: State, request: httpx.Request) -> httpx.Response:
        hooks = [hook.listed() for hook in state.hooks.values() if hook.api == api.name]
        return _answer(200, hooks)

    return list_hooks


def _list_popups(state: State, request: httpx.Request) -> httpx.Response:
    emails: dict[int, int] = {}
    for contact in state.contacts:
        if contact.email:
            emails[contact.wisepop_id] = emails.get(contact.wisepop_id, 0) + 1
    return _records(
        wire_body((p.popup(emails.get(p.id, 0)) for p in state.popups.values()), "api2")
    )


def _list_api1_popups(state: State, request: httpx.Request) -> httpx.Response:
    """``GET /api1/wisepops``: ids and labels only, as Orchesty's connector reads them."""
    return _answer(200, [{"id": p.id, "label": p.label} for p in state.popups.values()])


def _delete_personal_data(state: State, request: httpx.Request) -> httpx.Response:
    body = _json_body(request)
    email, phone = body.get("email"), body.get("phone")
    if email is None and phone is None:
        raise _BadRequest("email or phone is required")
    return _answer(200, {"deleted": state.erase(email, phone)})


_ROUTES: dict[str, dict[str, Route]] = {
    "/api1/emails": {"GET": _list_emails},
    API1_HOOKS.path: {"POST": _create_hook(API1_HOOKS), "DELETE": _delete_hook},
    "/api2/contacts": {"GET": _list_contacts},
    "/api1/wisepops": {"GET": _list_api1_popups},
    API2_HOOKS.path: {
        "GET": _list_hooks(API2_HOOKS),
        "POST": _create_hook(API2_HOOKS),
        "DELETE": _delete_hook,
    },
    "/api2/wisepops": {"GET": _list_popups},
    "/api2/data-privacy": {"DELETE": _delete_personal_data},
}
