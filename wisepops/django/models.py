"""``Lead``, ``SyncCursor`` and ``Run``: the tables ``wisepops_leads``, ``wisepops_sync``
and ``wisepops_runs`` as :class:`wisepops.db.LeadStore` makes them, their columns read
from :mod:`wisepops._leads`.

LeadStore accepts the tables ``migrate`` makes, and the app's migration adopts the ones
LeadStore made first: both write the same rows, and either sync goes on from the other's
cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any, ClassVar, Optional

from django.db import DatabaseError, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone as django_timezone

from .. import _erasure, _leads
from .._websites import DEFAULT_WEBSITE
from .._wire.records import Contact
from .._wire.schema import Kind


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

    def db_type(self, connection: BaseDatabaseWrapper) -> Optional[str]:
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


def field(column: _leads.Column) -> models.Field[Any, Any]:
    """The model field of one of the layout's columns."""
    options: dict[str, Any] = {"null": column.nullable}
    if column.primary_key:
        options["primary_key"] = True
    if column.kind is Kind.TEXT:
        if column.length:
            return models.CharField(max_length=column.length, **options)
        return models.TextField(**options)
    if column.kind is Kind.MAPPING:
        return TextJSONField(default=dict, **options)
    if column.kind is Kind.INSTANT:
        return UTCDateTimeField(**options)
    if column.kind is Kind.FLAG:
        return models.BooleanField(**options)
    return models.BigIntegerField(**options)  # Kind.ID, Kind.COUNT


class LeadManager(models.Manager["Lead"]):
    def store(
        self,
        contacts: Iterable[Contact],
        source: _leads.Source = "webhook",
        *,
        website: str = DEFAULT_WEBSITE,
    ) -> int:
        """Insert the contacts not stored yet, as ``website``'s, in one transaction; return
        how many were new.

        One ``INSERT ... ON CONFLICT DO NOTHING`` through the driver's executemany, as
        LeadStore writes: exact with many writers at once, on SQLite and PostgreSQL. The
        transaction's first statement writes, so on SQLite it waits for the write lock
        rather than failing with "database is locked". A value the database cannot hold
        raises, and nothing of ``contacts`` is stored. An erased person's contacts are
        skipped, checked in the same transaction (see :mod:`wisepops._erasure`): neither
        new nor an error.
        """
        connection = connections[self.db]
        by_name = {f.name: f for f in Lead._meta.get_fields() if isinstance(f, models.Field)}
        fields = [by_name[name] for name in _leads.ROW_ORDER]
        stored_at = django_timezone.now()
        values = _leads.rows(contacts, source, website)
        rows = [
            [f.get_db_prep_save(v, connection) for f, v in zip(fields, (*row, stored_at))]
            for row in values
        ]
        if not rows:
            return 0
        quote = connection.ops.quote_name
        statement = (
            f"INSERT INTO {quote(_leads.LEADS_TABLE)} "  # noqa: S608 - names of the layout
            f"({', '.join(quote(name) for name in _leads.ROW_ORDER)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT (dedupe_key) DO NOTHING"
        )
        with transaction.atomic(using=self.db), connection.cursor() as cursor:
            erased = _erasure.erased_rows(cursor, connection.vendor, "%s", values, immediate=False)
            if erased:
                rows = [row for at, row in enumerate(rows) if at not in erased]
            cursor.executemany(statement, rows)
            inserted: int = cursor.rowcount
        return inserted

    def erase(
        self, *, email: Optional[str] = None, phone: Optional[str] = None, dry_run: bool = False
    ) -> int:
        """``LeadStore.erase`` through Django's database: every lead of the person on every
        website goes, in one transaction, and they stay suppressed; on SQLite the file is
        then rebuilt and its WAL emptied. Called outside any ``atomic()`` block on SQLite,
        as ``VACUUM`` needs.

        Example: ``Lead.objects.erase(email="jane@example.com")``
        """
        who = _erasure.person(email, phone)
        connection = connections[self.db]
        erased_at = UTCDateTimeField().get_db_prep_save(django_timezone.now(), connection)
        with transaction.atomic(using=self.db), connection.cursor() as cursor:
            erased = _erasure.erase(
                cursor, connection.vendor, "%s", who, erased_at=erased_at, dry_run=dry_run
            )
        if connection.vendor == "sqlite" and not dry_run:
            with connection.cursor() as cursor:
                problem = _erasure.sqlite_scrub(cursor)
            if problem is not None:
                raise DatabaseError(
                    f"erased {erased} leads and suppressed the person, but {problem}"
                )
        return erased


class Lead(models.Model):
    """A collected contact, from a webhook or from the API; ``dedupe_key`` is the primary
    key, so a redelivery, or a sync of what a webhook stored, stores nothing new. The
    other columns, one per field of :class:`wisepops.Contact`, are added below."""

    dedupe_key = field(_leads.LEAD_COLUMNS[0])

    objects: ClassVar[LeadManager] = LeadManager()

    class Meta:
        db_table = _leads.LEADS_TABLE

    def __str__(self) -> str:
        return str(self.dedupe_key)


class SyncCursor(models.Model):
    """Where a sync of one website, api and filter stopped (``wisepops.Cursor.to_json()``),
    and a fingerprint of the key it was made with."""

    walk = field(_leads.SYNC_COLUMNS[0])

    class Meta:
        db_table = _leads.SYNC_TABLE

    def __str__(self) -> str:
        return str(self.walk)


class Run(models.Model):
    """One sync run of one website (:class:`wisepops.db.Run`): written when it starts,
    completed when it ends; ``finished_at`` is empty while it runs, or if it was killed."""

    id: models.BigAutoField[int, int] = models.BigAutoField(primary_key=True)  # numbered

    class Meta:
        db_table = _leads.RUNS_TABLE

    def __str__(self) -> str:
        return f"run {self.id}"


class Erasure(models.Model):
    """The one row of ``wisepops_erasure``: the database's secret for the hashes of erased
    people, and how many there are. Made by the migration, as ``LeadStore.create()`` does."""

    id = field(_leads.ERASURE_COLUMNS[0])

    class Meta:
        db_table = _leads.ERASURE_TABLE

    def __str__(self) -> str:
        return _leads.ERASURE_TABLE


class Suppressed(models.Model):
    """An erased email or phone, as a keyed hash (:func:`wisepops._erasure.digest`)."""

    hash = field(_leads.SUPPRESSED_COLUMNS[0])

    class Meta:
        db_table = _leads.SUPPRESSED_TABLE

    def __str__(self) -> str:
        return str(self.hash)


_MODELS = (
    (Lead, _leads.LEAD_COLUMNS),
    (SyncCursor, _leads.SYNC_COLUMNS),
    (Run, _leads.RUN_COLUMNS),
    (Erasure, _leads.ERASURE_COLUMNS),
    (Suppressed, _leads.SUPPRESSED_COLUMNS),
)
for _model, _columns in _MODELS:
    for _column in _columns[1:]:  # the primary key is declared above, as Django needs
        _model.add_to_class(_column.name, field(_column))


def missing_tables(using: str = "default") -> list[str]:
    """The app's tables that the database lacks: ``manage.py migrate`` makes them."""
    connection = connections[using]
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
    return [m._meta.db_table for m, _ in _MODELS if m._meta.db_table not in present]


def check_writable(using: str = "default") -> None:
    """Write a cursor row and roll it back: a read-only database (a replica, a role without
    INSERT) raises ``DatabaseError`` here, at start, rather than on every delivery."""
    with transaction.atomic(using=using):
        SyncCursor.objects.using(using).create(
            walk=_leads.WRITE_PROBE, cursor="", updated_at=django_timezone.now()
        )
        transaction.set_rollback(True, using=using)
