"""Create the Lead table (as ``manage.py makemigrations`` wrote it, formatted)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Lead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dedupe_key", models.CharField(max_length=32, unique=True)),
                ("collected_at", models.DateTimeField()),
                ("wisepop_id", models.BigIntegerField()),
                ("email", models.TextField(null=True)),
                ("ip", models.TextField(null=True)),
                ("country_code", models.TextField(null=True)),
                ("form_session", models.TextField(null=True)),
                ("fields", models.JSONField(default=dict)),
                ("received_at", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
