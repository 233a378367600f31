"""One row per contact WisePops delivered: copy ``Lead`` into your app's ``models.py``."""

from __future__ import annotations

from django.db import models


class Lead(models.Model):
    """A collected contact; ``dedupe_key`` is unique, so a redelivery stores nothing new."""

    dedupe_key = models.CharField(max_length=32, unique=True)
    collected_at = models.DateTimeField()
    wisepop_id = models.BigIntegerField()
    email = models.TextField(null=True)
    ip = models.TextField(null=True)
    country_code = models.TextField(null=True)
    form_session = models.TextField(null=True)
    fields = models.JSONField(default=dict)
    extra = models.JSONField(default=dict)  # what the SDK does not model yet, kept as sent
    received_at = models.DateTimeField(auto_now_add=True)
