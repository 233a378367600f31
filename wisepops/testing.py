"""A fake WisePops for testing your integration, with no network and no API key.

``FakeWisepops`` serves every endpoint the clients use from memory, in-process or on a
loopback port, signs webhook deliveries as WisePops does, and fails on request.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Optional, TypeVar, Union

import attrs
import httpx

from ._attempt import Attempted
from ._client import AsyncClient, Client
from ._core import Command, Sleep
from ._fake_api import Fault, PopupStats, State, StoredHook, handle
from ._loopback import Disconnect, Hang, LoopbackServer, Truncate
from ._webhooks import SIGNATURE_HEADER, sign
from ._wire.encode import wire_body
from ._wire.records import Contact, Hook, Popup
from ._wire.times import as_utc, to_millisecond

__all__ = ["Delivery", "DeliveryResult", "FakeWisepops"]

FAKE_BASE_URL = "https://fake.wisepops.test"

App = Callable[..., Any]  # a WSGI or ASGI application


@attrs.frozen
class Delivery:
    """A webhook delivery the fake queued: what WisePops would POST, signed.

    Example::

        (delivery,) = fake.deliveries
        contacts = wisepops.unwrap(
            delivery.body, delivery.headers[wisepops.SIGNATURE_HEADER], fake.api_key
        )
    """

    hook_id: int
    target_url: str
    body: bytes
    headers: Mapping[str, str]


@attrs.frozen
class DeliveryResult:
    """What became of one delivery: the receiver's status code and answer, or the error.

    Example::

        results = fake.deliver(app)
        assert all(result.ok for result in results), results
    """

    delivery: Delivery
    status_code: Optional[int] = None
    error: Optional[str] = None
    text: Optional[str] = None
    """The receiver's answer (its first 1,000 characters): why it refused, say."""

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx (WisePops would not retry it)."""
        return self.status_code is not None and 200 <= self.status_code < 300


class FakeWisepops:
    """An in-memory WisePops: api1 and api2 endpoints, hooks, signed deliveries, faults.

    WisePops' documentation leaves two behaviours of the listings open, so the fake
    plays each reading: run your code against every combination.

    Args:
        api_key: the key the fake accepts (any other gets 401) and signs deliveries with.
        honour_page: whether listings read ``page``; ``False`` answers every request with
            the first page, as a server following the current documentation (which lists
            no ``page``) may.
        inclusive_after: whether ``collected_after`` keeps records collected at exactly
            that instant (``>=``); by default only later ones (``>``).

    Example::

        fake = FakeWisepops()
        with fake.client() as client:
            hook = client.hooks.create("https://example.com/wisepops/webhook")
        fake.collect(email="jane@example.com", wisepop_id=1)
        (delivery,) = fake.deliveries
        assert wisepops.verify_signature(delivery.body,
            delivery.headers[wisepops.SIGNATURE_HEADER], "test_key")
    """

    def __init__(
        self, api_key: str = "test_key", *, honour_page: bool = True, inclusive_after: bool = False
    ) -> None:
        self.api_key = api_key
        self._state = State(
            api_key=api_key, honour_page=honour_page, inclusive_after=inclusive_after
        )
        self._pending: list[Delivery] = []
        self.waits: list[float] = []
        """The seconds each client of :meth:`client` and :meth:`async_client` would have
        waited before a retry: recorded, not slept, so that retries cost a test no time."""
        self._clients = (
            _unhurried(_Unhurried, self.waits),
            _unhurried(_AsyncUnhurried, self.waits),
        )

    # --- what it holds ------------------------------------------------------------------

    @property
    def contacts(self) -> list[Contact]:
        """Every stored contact, oldest first."""
        with self._state.lock:
            return list(self._state.contacts)

    @property
    def hooks(self) -> list[Hook]:
        """Every live hook."""
        with self._state.lock:
            return [
                Hook(id=h.id, target_url=h.target_url, event=h.event, wisepop_id=h.wisepop_id)
                for h in self._state.hooks.values()
            ]

    @property
    def requests(self) -> list[httpx.Request]:
        """Every request the fake received, in order, faults included: count your calls."""
        with self._state.lock:
            return list(self._state.requests)

    @property
    def deliveries(self) -> list[Delivery]:
        """Webhook deliveries queued and not yet delivered successfully."""
        with self._state.lock:
            return list(self._pending)

    def add_popup(
        self,
        label: str,
        *,
        popup_id: Optional[int] = None,
        activated: bool = True,
        display_count: int = 0,
        click_count: int = 0,
    ) -> Popup:
        """Add a pop-up to ``GET /api2/wisepops``; its ``email_count`` follows the contacts.

        Example: ``fake.add_popup("Newsletter", display_count=1200)``
        """
        with self._state.lock:
            popup_id = popup_id or max(self._state.popups, default=0) + 1
            stats = PopupStats(
                popup_id,
                label,
                datetime.now(timezone.utc).replace(microsecond=0),
                activated,
                display_count,
                click_count,
            )
            self._state.popups[popup_id] = stats
            emails = sum(1 for c in self._state.contacts if c.wisepop_id == popup_id and c.email)
        return stats.popup(emails)

    def collect(
        self,
        email: Optional[str] = None,
        wisepop_id: int = 1,
        fields: Optional[Mapping[str, Any]] = None,
        collected_at: Optional[datetime] = None,
        *,
        ip: Optional[str] = "127.0.0.1",
        country_code: Optional[str] = "US",
        form_session: Optional[str] = None,
        event: Optional[str] = None,
    ) -> Contact:
        """Store a form submission and queue a signed delivery for every hook it matches.

        ``collected_at`` defaults to now, kept strictly after the newest record so the
        order is stable; it is cut to milliseconds, as WisePops stores it. ``event`` is
        the form block that collected it: ``email`` when there is an email, else
        ``phone`` when ``fields`` has a phone, else ``survey``. A hook matches when its
        event is that one and its ``wisepop_id`` is unset or equal.

        Example: ``fake.collect(email="jane@example.com", wisepop_id=1, fields={"City": "Paris"})``
        """
        fields = dict(fields or {})
        if event is None:
            event = "email" if email else "phone" if "phone" in fields else "survey"
        with self._state.lock:
            at = self._next_collected_at(collected_at)
            contact = Contact(
                collected_at=at,
                wisepop_id=wisepop_id,
                email=email,
                ip=ip,
                country_code=country_code,
                fields=fields,
                form_session=form_session,
            )
            self._state.add_contact(contact)
            for hook in self._state.hooks.values():
                if hook.event == event and hook.wisepop_id in (None, wisepop_id):
                    self._pending.append(self._delivery(hook, contact))
        return contact

    def erase(self, email: Optional[str] = None, phone: Optional[str] = None) -> int:
        """Delete every contact with this email or phone, as a data-privacy request does,
        without a request to count; return how many. For erasures during your own walks.

        Example: ``fake.erase(email="jane@example.com")``
        """
        with self._state.lock:
            return self._state.erase(email, phone)

    def _next_collected_at(self, collected_at: Optional[datetime]) -> datetime:
        if collected_at is not None:
            return to_millisecond(as_utc(collected_at))
        now = to_millisecond(datetime.now(timezone.utc))
        newest = self._state.contacts[-1].collected_at if self._state.contacts else None
        return max(now, newest + timedelta(milliseconds=1)) if newest else now

    def _delivery(self, hook: StoredHook, contact: Contact) -> Delivery:
        body = wire_body([contact], hook.api)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WisePops-Webhooks (wisepops.testing)",
            SIGNATURE_HEADER: sign(body, self.api_key),
        }
        return Delivery(hook_id=hook.id, target_url=hook.target_url, body=body, headers=headers)

    # --- faults -------------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: Optional[Union[int, float, str]] = None,
        body: Optional[str] = None,
        path: Optional[str] = None,
        after: int = 0,
    ) -> None:
        """Answer the next ``times`` requests with ``status``.

        Every fault method takes ``path`` (only requests to this path, like
        ``"/api2/contacts"``) and ``after`` (let that many matching requests through
        first, to fail page 3 of a listing, say). ``retry_after`` adds a ``Retry-After``
        header (seconds, or any string such as an HTTP date); ``body`` replaces the JSON
        error with this text, like a proxy's HTML page.

        Example: ``fake.fail_next(429, retry_after=0)``: the next call gets a 429
        """
        if body is not None and not isinstance(body, str):
            raise TypeError(f"body must be a str (sent as text/html), got {type(body).__name__}")
        header = None if retry_after is None else str(retry_after)
        fault = Fault("status", path, status=status, retry_after=header, body=body)
        self._plan(fault, times, after)

    def time_out_next(self, *, times: int = 1, path: Optional[str] = None, after: int = 0) -> None:
        """Give no answer to the next ``times`` requests, so that the client times out.

        Example: ``fake.time_out_next(path="/api2/contacts", after=2)``
        """
        self._plan(Fault("timeout", path), times, after)

    def disconnect_next(
        self,
        *,
        times: int = 1,
        after_processing: bool = False,
        path: Optional[str] = None,
        after: int = 0,
    ) -> None:
        """Drop the connection of the next ``times`` requests without an answer.

        With ``after_processing=True`` the request takes effect first (a hook is
        created, say) and only the answer is lost: what a retried POST must survive.

        Example: ``fake.disconnect_next(after_processing=True)``
        """
        self._plan(Fault("disconnect", path, after_processing=after_processing), times, after)

    def truncate_next(self, *, times: int = 1, path: Optional[str] = None, after: int = 0) -> None:
        """Process the next ``times`` requests but send only half of each answer's body.

        Example: ``fake.truncate_next(times=3)``
        """
        self._plan(Fault("truncate", path, after_processing=True), times, after)

    def _plan(self, fault: Fault, times: int, after: int) -> None:
        if times < 1 or after < 0:
            raise ValueError(f"times must be 1 or more and after 0 or more, got {times}, {after}")
        with self._state.lock:
            self._state.faults.append(attrs.evolve(fault, skip=after))
            self._state.faults.extend(attrs.evolve(fault) for _ in range(times - 1))

    # --- clients ------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request in-process, faults acted out as httpx errors.

        Example: ``fake.handle(httpx.Request("GET", "https://x/api2/wisepops"))``
        """
        try:
            return handle(self._state, request)
        except Hang:
            raise httpx.ReadTimeout("timed out (injected)", request=request) from None
        except Disconnect:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response (injected)", request=request
            ) from None
        except Truncate:
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body (injected)",
                request=request,
            ) from None

    def transport(self) -> httpx.MockTransport:
        """An httpx transport, for your own ``httpx.Client`` or ``httpx.AsyncClient``.

        Example: ``httpx.Client(transport=fake.transport())``
        """
        return httpx.MockTransport(self.handle)

    def client(self, **options: Any) -> Client:
        """A :class:`wisepops.Client` wired to this fake; ``options`` go to the client.

        Example: ``with fake.client(max_retries=0) as client: ...``
        """
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", FAKE_BASE_URL)
        return self._clients[0](http_client=httpx.Client(transport=self.transport()), **options)

    def async_client(self, **options: Any) -> AsyncClient:
        """A :class:`wisepops.AsyncClient` wired to this fake.

        Example: ``async with fake.async_client() as client: ...``
        """
        options.setdefault("api_key", self.api_key)
        options.setdefault("base_url", FAKE_BASE_URL)
        http = httpx.AsyncClient(transport=self.transport())
        return self._clients[1](http_client=http, **options)

    @contextlib.contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Serve the fake over real HTTP on loopback; yields its base URL.

        Example::

            with fake.serve() as url:
                subprocess.run(["wisepops", "emails", "export", "--base-url", url, ...])
        """
        with LoopbackServer(lambda request: handle(self._state, request), host, port) as server:
            yield server.url

    # --- deliveries ---------------------------------------------------------------------

    def deliver(
        self, app: Optional[App] = None, *, http_client: Optional[httpx.Client] = None
    ) -> list[DeliveryResult]:
        """POST every queued delivery; those not answered 2xx stay queued, as WisePops retries.

        With ``app``, deliveries go in-process to that WSGI or ASGI application (Flask,
        Django, FastAPI...) instead of over the network. ``http_client`` is the
        ``httpx.Client`` to post with (TLS settings, proxies); by default a new one.
        Inside a running event loop, use :meth:`adeliver`.

        Example: ``results = fake.deliver(flask_app)``
        """
        if app is not None and _is_asgi(app):
            return asyncio.run(self.adeliver(app))
        with contextlib.ExitStack() as stack:
            if http_client is None:
                transport = httpx.WSGITransport(app=app) if app is not None else None
                http_client = stack.enter_context(httpx.Client(transport=transport, timeout=10.0))
            return self._settle([_post(http_client, d) for d in self.deliveries])

    async def adeliver(
        self, app: Optional[App] = None, *, http_client: Optional[httpx.AsyncClient] = None
    ) -> list[DeliveryResult]:
        """:meth:`deliver` for async code, and for ASGI applications.

        Example: ``results = await fake.adeliver(fastapi_app)``
        """
        async with contextlib.AsyncExitStack() as stack:
            if http_client is None:
                transport = httpx.ASGITransport(app=app) if app is not None else None
                http_client = await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, timeout=10.0)
                )
            return self._settle([await _apost(http_client, d) for d in self.deliveries])

    def _settle(self, results: list[DeliveryResult]) -> list[DeliveryResult]:
        delivered = {id(result.delivery) for result in results if result.ok}
        with self._state.lock:
            self._pending = [d for d in self._pending if id(d) not in delivered]
        return results


def _post(http: httpx.Client, delivery: Delivery) -> DeliveryResult:
    try:
        response = http.post(
            delivery.target_url, content=delivery.body, headers=dict(delivery.headers)
        )
    except httpx.HTTPError as exc:
        return DeliveryResult(delivery, error=f"{type(exc).__name__}: {exc}")
    return _result(delivery, response)


async def _apost(http: httpx.AsyncClient, delivery: Delivery) -> DeliveryResult:
    try:
        response = await http.post(
            delivery.target_url, content=delivery.body, headers=dict(delivery.headers)
        )
    except httpx.HTTPError as exc:
        return DeliveryResult(delivery, error=f"{type(exc).__name__}: {exc}")
    return _result(delivery, response)


def _result(delivery: Delivery, response: httpx.Response) -> DeliveryResult:
    text = response.content[:4000].decode(response.encoding or "utf-8", "replace")[:1000]
    return DeliveryResult(delivery, status_code=response.status_code, text=text)


def _is_asgi(app: App) -> bool:
    """ASGI applications are coroutine functions, or objects with an ``async __call__``."""
    dunder_call = type(app).__call__ if not inspect.isroutine(app) else None
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(dunder_call)


UnhurriedT = TypeVar("UnhurriedT", bound=Union["_Unhurried", "_AsyncUnhurried"])


def _unhurried(cls: type[UnhurriedT], waits: list[float]) -> type[UnhurriedT]:
    """``cls`` recording into ``waits``, named as the public class it extends, so that its
    repr and its ``with_options()`` copies are those of a plain client."""
    name = cls.__mro__[1].__name__
    made: type[UnhurriedT] = type(name, (cls,), {"_waits": waits})
    return made


def _recorded(waits: list[float], command: Command) -> bool:
    """Whether ``command`` was a wait, recorded in ``waits`` instead of slept."""
    if isinstance(command, Sleep):
        waits.append(command.seconds)
        return True
    return False


class _Unhurried(Client):
    """A :class:`Client` that records its waits between retries instead of sleeping."""

    _waits: list[float]

    def _perform(self, command: Command) -> Optional[Attempted]:
        return None if _recorded(self._waits, command) else super()._perform(command)


class _AsyncUnhurried(AsyncClient):
    """:class:`_Unhurried`, async."""

    _waits: list[float]

    async def _perform(self, command: Command) -> Optional[Attempted]:
        return None if _recorded(self._waits, command) else await super()._perform(command)
