"""Receive WisePops webhooks in Django and store each contact once through the ORM.

A single-file project. Into your own, copy the view ``wisepops_webhook`` with
``read_capped``, ``store``, ``refusal`` and ``MAX_BODY_BYTES``, and its URL; the ``Lead`` model from
``django_leads/models.py`` beside this file (then run ``manage.py makemigrations``); and
set ``WISEPOPS_API_KEY = os.environ["WISEPOPS_API_KEY"]`` in your settings. The settings
below only make this file runnable.

Run it::

    pip install wisepops django
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    python examples/django_receiver.py migrate      # creates the table in WISEPOPS_DB
    python examples/django_receiver.py runserver    # Django's development server, port 8000

In production, from the repository's root: ``gunicorn examples.django_receiver:application``.
Point a hook at ``http://<host>:<port>/wisepops/webhook`` (no trailing slash). Contacts go
to the SQLite file named by ``WISEPOPS_DB`` (default ``leads.sqlite3`` in the working
directory), one row per ``dedupe_key``, committed before the 200.
"""

from __future__ import annotations

import os
import sys

import django
from django.apps import apps
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.management.utils import get_random_secret_key
from django.core.wsgi import get_wsgi_application
from django.db import IntegrityError, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import wisepops

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

if not settings.configured:  # importable more than once: settings are made once a process
    api_key = os.environ.get("WISEPOPS_API_KEY", "")
    if not api_key:
        print("WISEPOPS_API_KEY is not set: export your WisePops API key", file=sys.stderr)
        # 3 is gunicorn's "worker failed to boot": gunicorn stops instead of starting new
        # workers that would answer 500 to every delivery.
        sys.exit(3)
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or get_random_secret_key(),
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        # As in a startproject project: among other things, it checks the Host header
        # against ALLOWED_HOSTS (a request for any other host is answered 400).
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        # The app beside this file: "django_leads" when this file runs as a script,
        # "examples.django_leads" when it is imported from the repository's root.
        INSTALLED_APPS=[f"{__package__}.django_leads" if __package__ else "django_leads"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                "NAME": os.environ.get("WISEPOPS_DB", "leads.sqlite3"),
            }
        },
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        WISEPOPS_API_KEY=api_key,
        # With DEBUG=False, Django logs a failing request nowhere by default: to stderr here.
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
        },
    )
    django.setup()

Lead = apps.get_model("django_leads", "Lead")  # in your app: from .models import Lead


def store(contacts: list[wisepops.Contact]) -> int:
    """Insert the contacts not stored yet, and commit; return how many were new.

    WisePops retries deliveries, so a record can come twice: the unique ``dedupe_key``
    makes the second time store nothing. A value the database cannot hold raises, and
    nothing of the delivery is stored.
    """
    new = 0
    with transaction.atomic():  # all of the delivery or none of it, committed on exit
        for contact in contacts:
            _, created = Lead.objects.get_or_create(
                dedupe_key=contact.dedupe_key,
                defaults={
                    "collected_at": contact.collected_at,
                    "wisepop_id": contact.wisepop_id,
                    "email": contact.email,
                    "ip": contact.ip,
                    "country_code": contact.country_code,
                    "form_session": contact.form_session,
                    "fields": dict(contact.fields),
                    "extra": dict(contact.extra),  # what the SDK does not model yet
                },
            )
            new += created
    return new


def refusal(exc: Exception) -> str:
    """Why a signed delivery is refused, in words its sender can act on."""
    if isinstance(exc, UnicodeEncodeError):  # valid JSON (\ud800), but not storable text
        bad = exc.object[exc.start : exc.end]
        return f"a text value holds a lone surrogate ({bad!a}), which the database cannot store"
    return str(exc)


def read_capped(request: HttpRequest, limit: int) -> bytes | JsonResponse:
    """The raw body, exactly as signed, or the answer refusing it.

    The cap is enforced here rather than by settings, so that a copy of this view keeps
    it. Never read ``request.POST`` first, and never verify re-serialised JSON (such as
    DRF's ``request.data``).
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return JsonResponse({"error": "bad Content-Length"}, status=400)
    if declared < 0 and isinstance(request, WSGIRequest):
        # Under WSGI (runserver, gunicorn) Django reads a body only as far as its
        # Content-Length says: a chunked body would look empty, and fail the signature
        # check for the wrong reason.
        return JsonResponse({"error": "send a Content-Length"}, status=411)
    if declared > limit:
        return JsonResponse({"error": "payload too large"}, status=413)
    body = request.read(limit + 1)  # one byte more tells a chunked body beyond the cap (ASGI)
    if len(body) > limit:
        return JsonResponse({"error": "payload too large"}, status=413)
    return body


@csrf_exempt  # WisePops cannot send a CSRF token; the signature authenticates it
@require_POST
def wisepops_webhook(request: HttpRequest) -> JsonResponse:
    body = read_capped(request, MAX_BODY_BYTES)
    if isinstance(body, JsonResponse):
        return body
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        contacts = wisepops.unwrap(body, signature, settings.WISEPOPS_API_KEY)
        new = store(contacts)
    except wisepops.SignatureVerificationError:
        return JsonResponse({"error": "invalid or missing signature"}, status=401)
    except (ValueError, OverflowError, IntegrityError) as exc:
        # A signed body that is not valid records (PayloadError is a ValueError), or a
        # value the database cannot hold: a lone surrogate, an integer beyond 64 bits, a
        # NaN that fails the JSON column's check. A database that fails
        # (OperationalError) is not caught: 500, logged, and WisePops retries later.
        return JsonResponse({"error": refusal(exc)}, status=400)
    return JsonResponse({"received": len(contacts), "new": new})


urlpatterns = [path("wisepops/webhook", wisepops_webhook)]

application = get_wsgi_application()  # for gunicorn, or an in-process WSGI test

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
