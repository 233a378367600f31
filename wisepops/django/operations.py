"""A migration operation for tables another tool may have made first."""

from __future__ import annotations

from typing import Any

from django.db import migrations


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
