"""The tables wisepops_leads and wisepops_sync, as ``makemigrations`` wrote them; a table
``wisepops sync`` made first is adopted as it is."""

from django.db import migrations, models

import wisepops.django.models
from wisepops.django.operations import CreateModelUnlessThere


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        CreateModelUnlessThere(
            name="Lead",
            fields=[
                ("dedupe_key", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("collected_at", wisepops.django.models.UTCDateTimeField()),
                ("wisepop_id", models.BigIntegerField()),
                ("email", models.TextField(null=True)),
                ("ip", models.TextField(null=True)),
                ("country_code", models.TextField(null=True)),
                ("form_session", models.TextField(null=True)),
                ("fields", wisepops.django.models.TextJSONField(default=dict, null=True)),
                ("extra", wisepops.django.models.TextJSONField(default=dict)),
                ("source", models.CharField(max_length=16)),
                ("stored_at", wisepops.django.models.UTCDateTimeField()),
            ],
            options={
                "db_table": "wisepops_leads",
            },
        ),
        CreateModelUnlessThere(
            name="SyncCursor",
            fields=[
                ("walk", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("cursor", models.TextField()),
                ("updated_at", wisepops.django.models.UTCDateTimeField()),
            ],
            options={
                "db_table": "wisepops_sync",
            },
        ),
    ]
