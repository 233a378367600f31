"""Create wisepops_leads and wisepops_sync (as ``manage.py makemigrations`` wrote them,
formatted). Where ``wisepops sync`` made them first, ``migrate --fake-initial`` adopts them."""

from __future__ import annotations

import django.utils.timezone
from django.db import migrations, models

from ..models import TextJSONField, UTCDateTimeField


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Lead",
            fields=[
                (
                    "dedupe_key",
                    models.CharField(max_length=32, primary_key=True, serialize=False),
                ),
                ("collected_at", UTCDateTimeField()),
                ("wisepop_id", models.BigIntegerField()),
                ("email", models.TextField(null=True)),
                ("ip", models.TextField(null=True)),
                ("country_code", models.TextField(null=True)),
                ("form_session", models.TextField(null=True)),
                ("fields", TextJSONField(default=dict)),
                ("extra", TextJSONField(default=dict)),
                (
                    "source",
                    models.CharField(
                        choices=[("webhook", "webhook"), ("api1", "api1"), ("api2", "api2")],
                        default="webhook",
                        max_length=16,
                    ),
                ),
                ("stored_at", UTCDateTimeField(default=django.utils.timezone.now)),
            ],
            options={"db_table": "wisepops_leads"},
        ),
        migrations.CreateModel(
            name="SyncCursor",
            fields=[
                ("walk", models.CharField(max_length=200, primary_key=True, serialize=False)),
                ("cursor", models.TextField()),
                ("updated_at", UTCDateTimeField(default=django.utils.timezone.now)),
            ],
            options={"db_table": "wisepops_sync"},
        ),
    ]
