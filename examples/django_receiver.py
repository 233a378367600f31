"""Receive WisePops webhooks in Django: a small runnable project on the app ``wisepops.django``.

The app does the work (the view is ``wisepops/django/views.py``, the models, the migration
and the ``wisepops_sync`` command are beside it); this file is only a project's settings,
URLs and ``manage.py``. In your own project: ``INSTALLED_APPS += ["wisepops.django"]``,
``path("wisepops/", include("wisepops.django.urls"))``, and ``WISEPOPS_API_KEY`` in the
settings or the environment; on SQLite, the ``OPTIONS`` that ``sqlite_database()`` sets.

Run it::

    pip install "wisepops[django]"
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
run on one database, made by either first.
"""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import django
from django.conf import settings
from django.core.management.utils import get_random_secret_key
from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created
from django.urls import include, path

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
        INSTALLED_APPS=["wisepops.django"],
        DATABASES={"default": default_database},
        USE_TZ=True,
        WISEPOPS_API_KEY=os.environ.get("WISEPOPS_API_KEY"),
        # With DEBUG=False, Django logs a failing request nowhere by default: to stderr here.
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"stderr": {"class": "logging.StreamHandler"}},
            "loggers": {"django.request": {"handlers": ["stderr"], "level": "ERROR"}},
        },
    )
    django.setup()

urlpatterns = [path("wisepops/", include("wisepops.django.urls"))]

if __name__ != "__main__" or sys.argv[1:2] == ["runserver"]:  # serving, not managing
    from wisepops.django.checks import require_ready  # once Django is set up

    require_ready(migrate="python examples/django_receiver.py migrate")

application = get_wsgi_application()  # for gunicorn, or an in-process WSGI test

if __name__ == "__main__":
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
