"""Receive WisePops webhooks in Django: a single-file project; copy the view into your app.

Run it::

    pip install wisepops django
    WISEPOPS_API_KEY=your-key python examples/django_receiver.py runserver

then point a hook at ``http://<host>:8000/wisepops/webhook``. In your own project, keep
``wisepops_webhook`` and its URL; the settings below only make this file runnable.
"""

from __future__ import annotations

import os
import sys

import django
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.management.utils import get_random_secret_key
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import wisepops

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

if not settings.configured:  # importable more than once, and from a configured project
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or get_random_secret_key(),
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        DATA_UPLOAD_MAX_MEMORY_SIZE=MAX_BODY_BYTES,
    )
    django.setup()

SEEN: set[str] = set()  # stands in for a table with a unique dedupe_key column


def store(contacts: list[wisepops.Contact]) -> int:
    """Hand records over idempotently (WisePops retries deliveries); return how many were new.

    In production: ``Lead.objects.bulk_create(..., ignore_conflicts=True)`` on a model
    whose ``dedupe_key`` is unique, or enqueue ``contact.to_json()`` for a worker.
    """
    new = [contact for contact in contacts if contact.dedupe_key not in SEEN]
    SEEN.update(contact.dedupe_key for contact in new)
    return len(new)


@csrf_exempt  # WisePops cannot send a CSRF token; the signature authenticates it
@require_POST
def wisepops_webhook(request: HttpRequest) -> JsonResponse:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return JsonResponse({"error": "bad Content-Length"}, status=400)
    if declared > MAX_BODY_BYTES:
        return JsonResponse({"error": "payload too large"}, status=413)
    try:
        # The raw bytes, exactly as signed: never read request.POST first, and never
        # verify re-serialised JSON (such as DRF's request.data).
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"error": "payload too large"}, status=413)
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        contacts = wisepops.unwrap(body, signature, os.environ["WISEPOPS_API_KEY"])
    except wisepops.SignatureVerificationError:
        return JsonResponse({"error": "invalid or missing signature"}, status=401)
    except wisepops.PayloadError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"received": len(contacts), "new": store(contacts)})


urlpatterns = [path("wisepops/webhook", wisepops_webhook)]

application = get_wsgi_application()  # for gunicorn, or an in-process WSGI test

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
