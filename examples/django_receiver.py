"""Receive WisePops webhooks in Django and store each contact once through the ORM.

A single-file project. Into your own, copy the app ``django_leads`` beside this file (the
``Lead`` and ``SyncCursor`` models, their migration and the ``wisepops_sync`` command) and
add it to ``INSTALLED_APPS``; copy the view ``wisepops_webhook`` with ``read_capped``,
``refusal`` and ``MAX_BODY_BYTES``, and its URL; set ``WISEPOPS_API_KEY =
os.environ["WISEPOPS_API_KEY"]`` in your settings, and on SQLite the ``OPTIONS`` that
``sqlite_database()`` sets. The rest of the settings below only make this file runnable.

Run it::

    pip install wisepops django
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    python examples/django_receiver.py migrate      # creates the tables in WISEPOPS_DB
    python examples/django_receiver.py runserver    # Django's development server, port 8000
    python examples/django_receiver.py wisepops_sync   # what the API lists, from a cron job

In production, from the repository's root: ``gunicorn -w 4
examples.django_receiver:application``. Point a hook at
``http://<host>:<port>/wisepops/webhook`` (no trailing slash). Contacts go to the table
``wisepops_leads`` in ``WISEPOPS_DB``, a SQLite file path (default ``leads.sqlite3`` in the
working directory) or a ``postgresql://user:password@host:port/name`` URL, one row per
``dedupe_key``, committed before the 200: the table ``wisepops sync`` fills, so both can
run on one database.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.handlers.wsgi import WSGIRequest
from django.core.management.utils import get_random_secret_key
from django.core.wsgi import get_wsgi_application
from django.db import DatabaseError, DataError, IntegrityError, connection
from django.db.backends.signals import connection_created
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import wisepops

if TYPE_CHECKING:  # the models, for the type checker; imported below once Django is set up
    from examples.django_leads import models as leads

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd
APP = f"{__package__}.django_leads" if __package__ else "django_leads"  # beside this file
SQLITE_TIMEOUT = 30  # seconds a writer waits for another one's transaction


def database(value: str) -> dict[str, Any]:
    """Django's ``DATABASES`` entry for ``WISEPOPS_DB``: a SQLite file path, a
    ``sqlite:///path`` URL, or a ``postgresql://`` URL (``+psycopg`` and ``postgres://``
    too, as ``wisepops sync`` reads them)."""
    scheme, _, rest = value.partition("://")
    if not rest or scheme == "sqlite":
        return sqlite_database(rest[1:] if rest else value)
    if scheme.split("+")[0] not in ("postgresql", "postgres"):
        raise ValueError(
            f"WISEPOPS_DB is a SQLite file path or a sqlite:/// or postgresql:// URL, "
            f"not a {scheme}:// URL"
        )
    url = urlsplit(value)
    try:
        port = url.port
    except ValueError:
        raise ValueError("WISEPOPS_DB: the port of the URL is not a number") from None
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(url.path.lstrip("/")),
        "USER": unquote(url.username or ""),
        "PASSWORD": unquote(url.password or ""),
        "HOST": unquote(url.hostname or ""),
        "PORT": str(port or ""),
        "OPTIONS": dict(parse_qsl(url.query)),  # ?sslmode=require, ?host=/run/postgresql
    }


def sqlite_database(name: str) -> dict[str, Any]:
    """SQLite for many writers at once: WAL, so that readers and writers do not block
    each other, and each write waiting its turn for up to ``SQLITE_TIMEOUT`` seconds."""
    options: dict[str, Any] = {"timeout": SQLITE_TIMEOUT}
    if django.VERSION >= (5, 1):
        # Take the write lock when a transaction begins: one that reads, then writes,
        # cannot wait for another writer and fails with "database is locked". Before
        # 5.1, Lead.objects.store() writes first, which comes to the same.
        options.update(transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL")
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": name, "OPTIONS": options}


def wal_mode(sender: Any, connection: Any, **kwargs: Any) -> None:
    """WAL for Django before 5.1, which has no ``init_command`` for SQLite."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")  # kept by the file; cheap once set


if django.VERSION < (5, 1):
    connection_created.connect(wal_mode)


if not settings.configured:  # importable more than once: settings are made once a process
    api_key = os.environ.get("WISEPOPS_API_KEY", "")
    if not api_key:
        print("WISEPOPS_API_KEY is not set: export your WisePops API key", file=sys.stderr)
        # 3 is gunicorn's "worker failed to boot": gunicorn stops instead of starting new
        # workers that would answer 500 to every delivery.
        sys.exit(3)
    try:
        default_database = database(os.environ.get("WISEPOPS_DB") or "leads.sqlite3")
    except ValueError as exc:  # in words that never echo the URL: it may hold a password
        print(exc, file=sys.stderr)
        sys.exit(3)
    settings.configure(
        DEBUG=False,
        SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY") or get_random_secret_key(),
        ALLOWED_HOSTS=os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1").split(","),
        ROOT_URLCONF=__name__,
        # As in a startproject project: among other things, it checks the Host header
        # against ALLOWED_HOSTS (a request for any other host is answered 400).
        MIDDLEWARE=["django.middleware.common.CommonMiddleware"],
        INSTALLED_APPS=[APP],
        DATABASES={"default": default_database},
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

if not TYPE_CHECKING:
    leads = importlib.import_module(f"{APP}.models")
Lead = leads.Lead  # in your app: from .models import Lead


def refusal(exc: Exception) -> str:
    """Why a signed delivery is refused, on one line the sender can act on."""
    return " ".join(str(exc).split())


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
        new = Lead.objects.store(contacts)  # committed when it returns
    except wisepops.SignatureVerificationError:
        return JsonResponse({"error": "invalid or missing signature"}, status=401)
    except (ValueError, OverflowError, IntegrityError, DataError) as exc:
        # A signed body that is not valid records (PayloadError is a ValueError), or a
        # value the database cannot hold: an integer beyond 64 bits, a NaN in a JSON
        # column. A database that fails (OperationalError) is not caught: 500, logged,
        # and WisePops retries later.
        return JsonResponse({"error": refusal(exc)}, status=400)
    return JsonResponse({"received": len(contacts), "new": new})


urlpatterns = [path("wisepops/webhook", wisepops_webhook)]


def require_tables() -> None:
    """Refuse to serve a database without the tables, as without a key: every delivery
    would be answered 500. Exit status 3 stops gunicorn too."""
    try:
        missing = leads.missing_tables()
    except (DatabaseError, ImproperlyConfigured) as exc:  # down, or psycopg not installed
        print(f"cannot use the database WISEPOPS_DB: {refusal(exc)}", file=sys.stderr)
        sys.exit(3)
    finally:
        connection.close()  # not shared with the workers a server forks
    if missing:
        print(
            f"the database WISEPOPS_DB has no table {' or '.join(missing)}: "
            "run `python examples/django_receiver.py migrate` first",
            file=sys.stderr,
        )
        sys.exit(3)


if __name__ != "__main__" or sys.argv[1:2] == ["runserver"]:  # serving, not managing
    require_tables()

application = get_wsgi_application()  # for gunicorn, or an in-process WSGI test

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
