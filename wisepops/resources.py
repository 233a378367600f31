"""The resources behind the clients' attributes, documented here for reference.

``client.emails`` is an :class:`Emails`, ``client.v2.contacts`` a :class:`Contacts`, and
so on; ``AsyncClient`` has the ``Async`` twin of each, with the same method names,
awaited. You never construct them: import them only to annotate your own code.

Example::

    from wisepops.resources import Contacts

    def sync_contacts(contacts: Contacts) -> int:
        return sum(1 for _ in contacts.iter())

    sync_contacts(client.v2.contacts)
"""

from ._resources import (
    V2,
    AsyncContacts,
    AsyncDataPrivacy,
    AsyncEmails,
    AsyncHooks,
    AsyncPopups,
    AsyncV2,
    AsyncV2Hooks,
    Contacts,
    DataPrivacy,
    Emails,
    Hooks,
    Popups,
    V2Hooks,
)

__all__ = [
    "V2",
    "AsyncContacts",
    "AsyncDataPrivacy",
    "AsyncEmails",
    "AsyncHooks",
    "AsyncPopups",
    "AsyncV2",
    "AsyncV2Hooks",
    "Contacts",
    "DataPrivacy",
    "Emails",
    "Hooks",
    "Popups",
    "V2Hooks",
]
