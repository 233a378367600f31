"""The table wisepops_runs: each sync run of a website, as ``LeadStore.create()`` makes
it; a table it made first is adopted as it is."""

from django.db import migrations, models

import wisepops.django.models
from wisepops.django.operations import CreateModelUnlessThere


class Migration(migrations.Migration):
    dependencies = [("wisepops", "0002_websites")]

    operations = [
        CreateModelUnlessThere(
            name="Run",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("website", models.TextField()),
                ("api", models.CharField(max_length=2)),
                ("walk", models.CharField(max_length=200)),
                ("started_at", wisepops.django.models.UTCDateTimeField()),
                ("finished_at", wisepops.django.models.UTCDateTimeField(null=True)),
                ("new", models.BigIntegerField(null=True)),
                ("seen", models.BigIntegerField(null=True)),
                ("calls", models.BigIntegerField(null=True)),
                ("error", models.TextField(null=True)),
            ],
            options={
                "db_table": "wisepops_runs",
            },
        ),
    ]
