"""The issue's check, run in a process of its own where SQLAlchemy cannot be imported:
``migrate``, a signed and a wrongly signed delivery through Django's test client, and
``wisepops_sync`` twice. Prints what it saw as JSON for the test to judge."""

from __future__ import annotations

import io
import json
import os
import sys

sys.modules["sqlalchemy"] = None  # type: ignore[assignment] # any import of it fails

import django  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

import wisepops  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.django_project.settings"
django.setup()
call_command("migrate", verbosity=0)
key, body = os.environ["TEST_KEY"], os.environ["TEST_BODY"].encode()
client = Client()
answers = []
for signature in (wisepops.sign(body, key), wisepops.sign(body, "another-key"), None):
    headers = {} if signature is None else {wisepops.SIGNATURE_HEADER: signature}
    answer = client.post(
        "/hooks/leads/webhook", body, content_type="application/json", headers=headers
    )
    answers.append([answer.status_code, json.loads(answer.content)])
summaries = []
for _ in range(2):
    out = io.StringIO()
    call_command("wisepops_sync", stdout=out)
    summaries.append(out.getvalue())
print(json.dumps({"answers": answers, "summaries": summaries}))
