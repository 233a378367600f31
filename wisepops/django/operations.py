"""Migration operations for tables another tool may have made first, or upgraded."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from .. import _leads


class CreateModelUnlessThere(migrations.CreateModel):
    """``CreateModel``, except that a table of that name is adopted as it is: the one
    ``wisepops sync`` (LeadStore) made before the app was installed. LeadStore checks
    the layout of what it finds, so ``migrate`` needs no ``--fake-initial``."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = to_state.apps.get_model(app_label, self.name)._meta.db_table
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            if table in connection.introspection.table_names(cursor):
                return
        super().database_forwards(app_label, schema_editor, from_state, to_state)


class AddColumnUnlessThere(migrations.AddField):
    """``AddField`` with the SQL ``LeadStore.create()`` upgrades a table with
    (``wisepops._leads.ADDED_COLUMNS``), unless the column is there: LeadStore may have
    added it first. The same column either way, its default kept for the version before."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        table = to_state.apps.get_model(app_label, self.model_name)._meta.db_table
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            found = connection.introspection.get_table_description(cursor, table)
        if self.name in {column.name for column in found}:
            return
        quote = connection.ops.quote_name
        declaration = _leads.ADDED_COLUMNS[table, self.name]
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN {quote(self.name)} {declaration}"
        )
