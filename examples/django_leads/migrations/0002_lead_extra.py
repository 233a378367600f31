"""Add Lead.extra (as ``manage.py makemigrations`` wrote it, formatted)."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("django_leads", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="extra",
            field=models.JSONField(default=dict),
        ),
    ]
