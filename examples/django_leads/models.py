"""The tables ``wisepops sync`` and ``wisepops.db.LeadStore`` use, as Django models.

``Lead`` is the table ``wisepops_leads``, one row per ``dedupe_key``, and ``SyncCursor``
the table ``wisepops_sync``, where each sync leaves its place: LeadStore's names and
layout, so that the Django receiver, the ``wisepops_sync`` command and ``wisepops sync``
share one table and one cursor, in SQLite or PostgreSQL. Copy this app (the folder) into
your project with its migration; or this file into an app of yours, then
``manage.py makemigrations``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar

from django.db import IntegrityError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone as django_timezone

import wisepops

TEXT_FIELDS = ("email", "ip", "country_code", "form_session")


class UTCDateTimeField(models.DateTimeField):  # type: ignore[type-arg]
    """A timestamp with time zone; on SQLite, which has none, the UTC time as LeadStore
    writes it, ``2024-05-02 10:11:12.000000``: Django leaves out zero microseconds, and
    two texts for one instant would not compare equal in SQL."""

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if connection.vendor != "sqlite":
            return super().get_db_prep_value(value, connection, prepared)
        if not prepared:
            value = self.get_prep_value(value)
        if isinstance(value, datetime):
            utc = value.astimezone(timezone.utc) if value.tzinfo else value
            return utc.replace(tzinfo=None).isoformat(" ", "microseconds")
        return connection.ops.adapt_datetimefield_value(value)


class TextJSONField(models.JSONField):
    """JSON kept as sent: ``json`` on PostgreSQL, not ``jsonb``, which refuses ``\\u0000``
    and lone surrogates; declared ``JSON`` on SQLite, as LeadStore declares it."""

    def db_type(self, connection: BaseDatabaseWrapper) -> str | None:
        if connection.vendor in ("postgresql", "sqlite"):
            return "json"
        return super().db_type(connection)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if connection.vendor == "postgresql" and isinstance(value, (dict, list)):
            return json.dumps(value, cls=self.encoder)  # as text: Django sends jsonb
        return super().get_db_prep_value(value, connection, prepared)

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is not None and not isinstance(value, str):  # psycopg decodes json itself
            return value
        return super().from_db_value(value, expression, connection)


class LeadManager(models.Manager["Lead"]):
    def store(self, contacts: Iterable[wisepops.Contact], source: str = "webhook") -> int:
        """Insert the contacts not stored yet, in one transaction; return how many were new.

        Exact with many writers at once, on SQLite and PostgreSQL. The first statement is
        an INSERT: on SQLite a transaction that reads, then writes, cannot wait for another
        writer and fails with "database is locked" (Django 5.1's ``"transaction_mode":
        "IMMEDIATE"`` rules that out for every transaction). A value the database cannot
        hold raises, and nothing of ``contacts`` is stored.
        """
        now = django_timezone.now()
        leads: dict[str, Lead] = {}
        for contact in contacts:
            leads.setdefault(contact.dedupe_key, lead_of(contact, source, now))
        if not leads:
            return 0
        with transaction.atomic(using=self.db):
            try:
                with transaction.atomic(using=self.db):  # all new: the usual delivery
                    self.bulk_create(leads.values())
                return len(leads)
            except IntegrityError:
                pass  # a redelivery, or a value the database refuses: find out which
            keys, stored = list(leads), set()
            for start in range(0, len(keys), 500):  # an older SQLite takes 999 parameters
                batch = keys[start : start + 500]
                stored.update(self.filter(pk__in=batch).values_list("pk", flat=True))
            new = [lead for key, lead in leads.items() if key not in stored]
            try:
                with transaction.atomic(using=self.db):
                    self.bulk_create(new)
                return len(new)
            except IntegrityError:
                pass  # another writer stored one of them meanwhile (PostgreSQL)
            return sum(self._insert_one(lead) for lead in new)

    def _insert_one(self, lead: Lead) -> bool:
        """Insert ``lead`` unless it is there; whether it was new."""
        try:
            with transaction.atomic(using=self.db):
                lead.save(force_insert=True, using=self.db)
        except IntegrityError:
            if not self.filter(pk=lead.pk).exists():
                raise  # not a duplicate: a value the database refuses
            return False
        return True


class Lead(models.Model):
    """A collected contact, from a webhook or from the API; ``dedupe_key`` is the primary
    key, so a redelivery, or a sync of what a webhook stored, stores nothing new."""

    SOURCES = (("webhook", "webhook"), ("api1", "api1"), ("api2", "api2"))

    dedupe_key = models.CharField(primary_key=True, max_length=32)
    collected_at = UTCDateTimeField()
    wisepop_id = models.BigIntegerField()
    email = models.TextField(null=True)
    ip = models.TextField(null=True)
    country_code = models.TextField(null=True)
    form_session = models.TextField(null=True)
    fields = TextJSONField(default=dict)
    extra = TextJSONField(default=dict)  # what the SDK does not model yet, kept as sent
    source = models.CharField(max_length=16, choices=SOURCES, default="webhook")
    stored_at = UTCDateTimeField(default=django_timezone.now)

    objects: ClassVar[LeadManager] = LeadManager()

    class Meta:
        db_table = "wisepops_leads"


def lead_of(contact: wisepops.Contact, source: str, stored_at: datetime) -> Lead:
    """The row of a contact, as LeadStore writes it: a text no database can hold (a NUL,
    a lone surrogate) goes to ``extra`` as sent, its column left empty, so nothing is lost
    and a sync cannot stick on it."""
    extra = dict(contact.extra)
    texts: dict[str, str | None] = {}
    for name in TEXT_FIELDS:
        value = getattr(contact, name)
        if value is not None and not storable(value):
            extra[name], value = value, None
        texts[name] = value
    return Lead(
        dedupe_key=contact.dedupe_key,
        collected_at=contact.collected_at,
        wisepop_id=contact.wisepop_id,
        fields=dict(contact.fields),
        extra=extra,
        source=source,
        stored_at=stored_at,
        **texts,
    )


def storable(text: str) -> bool:
    """Whether SQLite and PostgreSQL can both hold ``text`` in a text column."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class SyncCursor(models.Model):
    """Where a sync of one api and filter stopped (``wisepops.Cursor.to_json()``)."""

    walk = models.CharField(primary_key=True, max_length=200)  # the api and the filter
    cursor = models.TextField()
    updated_at = UTCDateTimeField(default=django_timezone.now)

    class Meta:
        db_table = "wisepops_sync"


def missing_tables(using: str = "default") -> list[str]:
    """The tables above that the database lacks: ``manage.py migrate`` makes them."""
    connection = connections[using]
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    return [t for t in (Lead._meta.db_table, SyncCursor._meta.db_table) if t not in present]
