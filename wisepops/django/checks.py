"""What the app needs before it serves: a key for each website, and its tables.

The keys are a system check (``manage.py check``, and before ``runserver`` and ``migrate``
start). The tables cannot be one, since ``migrate`` runs the checks before it makes them:
:func:`require_ready` stops a server in one line instead, as ``examples/django_receiver.py``
calls it before it serves.
"""

from __future__ import annotations

import sys
from typing import Any, Optional

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections

from .._errors import WebsitesError
from .config import websites
from .models import check_writable, missing_tables

EXIT_STATUS = 3  # gunicorn's "worker failed to boot": it stops rather than boot another


@checks.register("wisepops")
def key_is_set(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found = websites_problem()
    return [] if found is None else [checks.Error(found, id="wisepops.E001")]


def websites_problem() -> Optional[str]:
    """Why the websites cannot be read (no key, a malformed setting); never a key."""
    try:
        websites()
    except WebsitesError as exc:
        return str(exc)
    return None


def problem(migrate: str = "manage.py migrate", using: str = "default") -> Optional[str]:
    """Why the app cannot serve, on one line that never holds the key or a password;
    ``None`` when it can."""
    found = websites_problem()
    if found is not None:
        return found
    try:
        return _database_problem(migrate, using)
    finally:
        connections[using].close()  # not shared with the workers a server forks


def command_problem() -> Optional[str]:
    """:func:`problem` for a management command: the advice names ``migrate`` as the
    command itself was run, ``manage.py`` or ``python project.py``."""
    run = f"python {sys.argv[0]}" if sys.argv[0].endswith(".py") else "manage.py"
    return problem(migrate=f"{run} migrate")


def _database_problem(migrate: str, using: str) -> Optional[str]:
    try:
        missing = missing_tables(using)
    except (DatabaseError, ImproperlyConfigured) as exc:  # down, or no driver installed
        return f"cannot use the database {using!r}: {_line(exc)}"
    if missing:
        return no_tables(missing, migrate)
    try:
        check_writable(using)
    except DatabaseError as exc:  # a replica, a read-only role or file
        return f"cannot write to the database {using!r}: {_line(exc)}"
    return None


def no_tables(missing: list[str], migrate: str = "manage.py migrate") -> str:
    """What to do about the app's tables the database lacks (:func:`missing_tables`)."""
    return f"the database lacks the app's tables {', '.join(missing)}: run `{migrate}` first"


def _line(exc: Exception) -> str:
    return " ".join(str(exc).split())


def require_ready(migrate: str = "manage.py migrate", using: str = "default") -> None:
    """Exit with :func:`problem`'s line on stderr, rather than answer every delivery 500."""
    found = problem(migrate, using)
    if found is not None:
        print(found, file=sys.stderr)
        sys.exit(EXIT_STATUS)
