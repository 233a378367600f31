"""The resources behind the clients' attributes: ``client.emails``, ``client.v2.contacts``...

You never construct them; import them to annotate your own code, as in
``def count(contacts: wisepops.resources.Contacts) -> int``. Each method is one line over
an operation of the shared core; the ``Async`` twins differ only in ``await``.
"""

from __future__ import annotations

import builtins
from typing import Optional, Protocol, TypeVar

from . import _operations as ops
from ._operations import (
    API2_LIST_PAGE_SIZE,
    API2_MAX_PAGE_SIZE,
    HookApi,
    HookEvent,
    Operation,
    Plan,
)
from ._pagination import AsyncWalk, Cursor, Walk, contact_walk, email_walk
from ._wire.records import Contact, Hook, Page, Popup
from ._wire.times import DateLike

__all__ = [
    "V2",
    "AsyncContacts",
    "AsyncDataPrivacy",
    "AsyncEmails",
    "AsyncHooks",
    "AsyncPopups",
    "AsyncV2",
    "AsyncV2Hooks",
    "AsyncWalk",
    "Contacts",
    "DataPrivacy",
    "Emails",
    "Hooks",
    "Popups",
    "V2Hooks",
    "Walk",
]

T = TypeVar("T")


class SyncRunner(Protocol):
    @property
    def max_retries(self) -> int: ...
    def _run(self, operation: Operation[T]) -> T: ...
    def _follow(self, plan: Plan[T]) -> T: ...


class AsyncRunner(Protocol):
    @property
    def max_retries(self) -> int: ...
    async def _run(self, operation: Operation[T]) -> T: ...
    async def _follow(self, plan: Plan[T]) -> T: ...


# --- sync --------------------------------------------------------------------------------


class Emails:
    """api1's collected emails, 100 a page: ``client.emails``."""

    def __init__(self, client: SyncRunner) -> None:
        self._client = client

    def list(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page: int = 1,
    ) -> Page[Contact]:
        """One page of records collected after ``collected_after``, oldest first, by number.

        A naive datetime is taken as UTC; a str must be ISO 8601; it goes out in UTC to the
        millisecond. Whether a record at exactly that instant is included is the server's
        call. ``page`` starts at 1.

        Example::

            page = client.emails.list(collected_after=datetime(2024, 1, 1), page=1)
        """
        return self._client._run(ops.list_emails(collected_after, wisepop_id, page))

    def iter(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        cursor: Optional[Cursor] = None,
    ) -> Walk:
        """Every matching record once, oldest first, fetched lazily one page at a time.

        It walks by ``collected_after``, so it is exact whether the server honours ``page``
        or not, across records sharing one millisecond at a page boundary, and when
        records are erased meanwhile. Only a whole page in one millisecond on a server that
        ignores ``page`` leaves records out, with a ``RuntimeWarning``.

        Example::

            for contact in client.emails.iter(wisepop_id=12345):
                save(contact)
        """
        return Walk(self._client._run, email_walk(collected_after, wisepop_id, cursor))


class Hooks:
    """Webhooks: ``client.hooks`` (api1, event ``email`` only), and the base of
    ``client.v2.hooks``. api1 documents no listing of hooks: keep the ids it returns, or
    use :class:`V2Hooks`, which can list them and ensure one exists."""

    def __init__(self, client: SyncRunner, hooks: HookApi) -> None:
        self._client = client
        self._hooks = hooks

    def create(
        self, target_url: str, event: HookEvent = "email", wisepop_id: Optional[int] = None
    ) -> Hook:
        """Have WisePops POST new records of ``event`` to ``target_url``; optionally of one
        pop-up only.

        Never sent twice: a POST is retried only when the server cannot have acted on it.

        Example::

            hook = client.v2.hooks.create("https://example.com/hooks/phone", event="phone")
        """
        return self._client._run(ops.create_hook(self._hooks, target_url, event, wisepop_id))

    def delete(self, hook_id: int) -> None:
        """Delete a hook by its id. Example: ``client.v2.hooks.delete(hook.id)``."""
        self._client._run(ops.delete_hook(self._hooks, hook_id))


class V2Hooks(Hooks):
    """api2's webhooks, for sign-up, phone and survey blocks: ``client.v2.hooks``."""

    def list(self) -> builtins.list[Hook]:
        """Every hook of the website, as ``GET /api2/hooks`` lists them.

        An answer that wraps the array in an object is read too; keys the SDK does not
        model are kept in each hook's ``extra``.

        Example::

            for hook in client.v2.hooks.list():
                print(hook.id, hook.event, hook.target_url)
        """
        return self._client._run(ops.list_hooks(self._hooks))

    def ensure(
        self, target_url: str, event: HookEvent = "email", wisepop_id: Optional[int] = None
    ) -> Hook:
        """The hook with this URL, event and pop-up: the existing one, else a new one.

        Safe to run at every deploy: it never creates a duplicate, also when a create's
        answer is lost (it lists the hooks again before creating again, at most
        ``max_retries`` more times). Two calls running at the same moment cannot see each
        other's create, though: run one at a time per website.

        Example::

            hook = client.v2.hooks.ensure("https://example.com/hooks/phone", event="phone")
        """
        return self._client._follow(
            ops.ensure_hook(self._hooks, target_url, event, wisepop_id, self._client.max_retries)
        )


class Contacts:
    """api2's contacts, up to 1,000 a page: ``client.v2.contacts``."""

    def __init__(self, client: SyncRunner) -> None:
        self._client = client

    def list(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page_size: int = API2_LIST_PAGE_SIZE,
        page: int = 1,
    ) -> Page[Contact]:
        """One page of contacts collected after ``collected_after``, oldest first, by number.

        Example::

            page = client.v2.contacts.list(page_size=1000)
        """
        return self._client._run(ops.list_contacts(collected_after, wisepop_id, page_size, page))

    def iter(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page_size: int = API2_MAX_PAGE_SIZE,
        cursor: Optional[Cursor] = None,
    ) -> Walk:
        """Every matching contact once, oldest first, lazily; 1,000 a page saves quota.

        Example::

            for contact in client.v2.contacts.iter(collected_after="2024-01-01T00:00:00Z"):
                save(contact)
        """
        return Walk(self._client._run, contact_walk(collected_after, wisepop_id, page_size, cursor))


class Popups:
    """api2's pop-ups with their metrics: ``client.v2.popups``."""

    def __init__(self, client: SyncRunner) -> None:
        self._client = client

    def list(self) -> builtins.list[Popup]:
        """Every pop-up of the website. Example: ``client.v2.popups.list()``."""
        return self._client._run(ops.list_popups())


class DataPrivacy:
    """GDPR/CCPA erasure: ``client.v2.data_privacy``."""

    def __init__(self, client: SyncRunner) -> None:
        self._client = client

    def delete(self, email: Optional[str] = None, phone: Optional[str] = None) -> Optional[int]:
        """Erase and suppress every record matching the email or the phone.

        Returns how many records were deleted, or ``None`` when the answer does not say:
        any 2xx answer means the erasure was done. The phone is in international form:
        ``+`` then digits, no spaces.

        Example::

            deleted = client.v2.data_privacy.delete(email="jane@example.com")
        """
        return self._client._run(ops.delete_personal_data(email, phone))


class V2:
    """The current API (api2): ``client.v2``."""

    contacts: Contacts
    """Collected contacts, up to 1,000 a page."""
    hooks: V2Hooks
    """Webhooks for email, phone and survey blocks: create, delete, list, ensure."""
    popups: Popups
    """Pop-ups with their metrics."""
    data_privacy: DataPrivacy
    """GDPR/CCPA erasure."""

    def __init__(self, client: SyncRunner) -> None:
        self.contacts = Contacts(client)
        self.hooks = V2Hooks(client, ops.API2_HOOKS)
        self.popups = Popups(client)
        self.data_privacy = DataPrivacy(client)


# --- async -------------------------------------------------------------------------------


class AsyncEmails:
    """api1's collected emails, 100 a page: ``client.emails`` on :class:`AsyncClient`."""

    def __init__(self, client: AsyncRunner) -> None:
        self._client = client

    async def list(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page: int = 1,
    ) -> Page[Contact]:
        """Like :meth:`Emails.list`. Example: ``page = await client.emails.list()``."""
        return await self._client._run(ops.list_emails(collected_after, wisepop_id, page))

    def iter(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        cursor: Optional[Cursor] = None,
    ) -> AsyncWalk:
        """Like :meth:`Emails.iter`, as an async iterator.

        Example::

            async for contact in client.emails.iter():
                await save(contact)
        """
        return AsyncWalk(self._client._run, email_walk(collected_after, wisepop_id, cursor))


class AsyncHooks:
    """Webhooks: ``client.hooks`` on :class:`AsyncClient`, and the base of ``client.v2.hooks``.

    api1 documents no listing of hooks: see :class:`AsyncV2Hooks`.
    """

    def __init__(self, client: AsyncRunner, hooks: HookApi) -> None:
        self._client = client
        self._hooks = hooks

    async def create(
        self, target_url: str, event: HookEvent = "email", wisepop_id: Optional[int] = None
    ) -> Hook:
        """Like :meth:`Hooks.create`. Example: ``hook = await client.hooks.create(url)``."""
        operation = ops.create_hook(self._hooks, target_url, event, wisepop_id)
        return await self._client._run(operation)

    async def delete(self, hook_id: int) -> None:
        """Like :meth:`Hooks.delete`. Example: ``await client.hooks.delete(hook.id)``."""
        await self._client._run(ops.delete_hook(self._hooks, hook_id))


class AsyncV2Hooks(AsyncHooks):
    """api2's webhooks: ``client.v2.hooks`` on :class:`AsyncClient`."""

    async def list(self) -> builtins.list[Hook]:
        """Like :meth:`V2Hooks.list`. Example: ``hooks = await client.v2.hooks.list()``."""
        return await self._client._run(ops.list_hooks(self._hooks))

    async def ensure(
        self, target_url: str, event: HookEvent = "email", wisepop_id: Optional[int] = None
    ) -> Hook:
        """Like :meth:`V2Hooks.ensure`.

        Example::

            hook = await client.v2.hooks.ensure("https://example.com/wisepops/webhook")
        """
        return await self._client._follow(
            ops.ensure_hook(self._hooks, target_url, event, wisepop_id, self._client.max_retries)
        )


class AsyncContacts:
    """api2's contacts: ``client.v2.contacts`` on :class:`AsyncClient`."""

    def __init__(self, client: AsyncRunner) -> None:
        self._client = client

    async def list(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page_size: int = API2_LIST_PAGE_SIZE,
        page: int = 1,
    ) -> Page[Contact]:
        """Like :meth:`Contacts.list`. Example: ``await client.v2.contacts.list()``."""
        operation = ops.list_contacts(collected_after, wisepop_id, page_size, page)
        return await self._client._run(operation)

    def iter(
        self,
        collected_after: Optional[DateLike] = None,
        wisepop_id: Optional[int] = None,
        page_size: int = API2_MAX_PAGE_SIZE,
        cursor: Optional[Cursor] = None,
    ) -> AsyncWalk:
        """Like :meth:`Contacts.iter`, as an async iterator.

        Example::

            async for contact in client.v2.contacts.iter():
                await save(contact)
        """
        return AsyncWalk(
            self._client._run, contact_walk(collected_after, wisepop_id, page_size, cursor)
        )


class AsyncPopups:
    """api2's pop-ups: ``client.v2.popups`` on :class:`AsyncClient`."""

    def __init__(self, client: AsyncRunner) -> None:
        self._client = client

    async def list(self) -> builtins.list[Popup]:
        """Like :meth:`Popups.list`. Example: ``await client.v2.popups.list()``."""
        return await self._client._run(ops.list_popups())


class AsyncDataPrivacy:
    """GDPR/CCPA erasure: ``client.v2.data_privacy`` on :class:`AsyncClient`."""

    def __init__(self, client: AsyncRunner) -> None:
        self._client = client

    async def delete(
        self, email: Optional[str] = None, phone: Optional[str] = None
    ) -> Optional[int]:
        """Like :meth:`DataPrivacy.delete`.

        Example::

            deleted = await client.v2.data_privacy.delete(phone="+14155552671")
        """
        return await self._client._run(ops.delete_personal_data(email, phone))


class AsyncV2:
    """The current API (api2): ``client.v2`` on :class:`AsyncClient`."""

    contacts: AsyncContacts
    """Collected contacts, up to 1,000 a page."""
    hooks: AsyncV2Hooks
    """Webhooks for email, phone and survey blocks: create, delete, list, ensure."""
    popups: AsyncPopups
    """Pop-ups with their metrics."""
    data_privacy: AsyncDataPrivacy
    """GDPR/CCPA erasure."""

    def __init__(self, client: AsyncRunner) -> None:
        self.contacts = AsyncContacts(client)
        self.hooks = AsyncV2Hooks(client, ops.API2_HOOKS)
        self.popups = AsyncPopups(client)
        self.data_privacy = AsyncDataPrivacy(client)
