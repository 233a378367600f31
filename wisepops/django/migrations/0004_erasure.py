"""The suppression of erased people: the database's secret (one row) and the keyed hash of
each erased email and phone. Tables ``LeadStore.create()`` made first are adopted, and the
secret made only where there is none, so that both keep hashing with the same one."""

from typing import Any

from django.db import migrations, models

import wisepops.django.models
from wisepops import _erasure
from wisepops.django.operations import CreateModelUnlessThere


def first_row(apps: Any, schema_editor: Any) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_erasure.FIRST_ROW.format(mark="%s"), [_erasure.new_secret()])


class Migration(migrations.Migration):
    dependencies = [("wisepops", "0003_runs")]

    operations = [
        CreateModelUnlessThere(
            name="Erasure",
            fields=[
                ("id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("secret", models.CharField(max_length=64)),
                ("suppressed", models.BigIntegerField()),
            ],
            options={"db_table": "wisepops_erasure"},
        ),
        CreateModelUnlessThere(
            name="Suppressed",
            fields=[
                ("hash", models.CharField(max_length=64, primary_key=True, serialize=False)),
                ("erased_at", wisepops.django.models.UTCDateTimeField()),
            ],
            options={"db_table": "wisepops_suppressed"},
        ),
        migrations.RunPython(first_row, migrations.RunPython.noop),
    ]
