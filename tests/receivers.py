"""What the receiver tests share: loading an example in-process, and reading its database."""

from __future__ import annotations

import importlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wisepops.db import LeadStore

from .websites import TwoWebsites

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"  # the api2 vector's key
URL = "/wisepops/webhook"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TABLES = {"flask": "wisepops_leads", "fastapi": "wisepops_leads", "django": "wisepops_leads"}


def load_receiver(
    name: str, monkeypatch: pytest.MonkeyPatch, database: Path | str, key: str = KEY
) -> ModuleType:
    """``examples.<name>_receiver`` (Flask or FastAPI) storing into ``database``, a SQLite
    path or a URL, expecting ``key``.

    The module reads its key and database at import, once per test session: the first
    import gets them from the environment, and every test gets its own through the
    module's globals.
    """
    monkeypatch.setenv("WISEPOPS_API_KEY", key)
    monkeypatch.setenv("WISEPOPS_DB", str(database))
    module = importlib.import_module(f"examples.{name}_receiver")
    monkeypatch.setattr(module, "WEBSITES", {"default": key})
    store = LeadStore(database)
    store.create()
    OPENED.append(store)
    monkeypatch.setattr(module, "store", store)
    return module


OPENED: list[LeadStore] = []
"""The stores :func:`load_receiver` made, for conftest to close after each test: an
unclosed SQLite connection is a ResourceWarning from Python 3.13."""


def load_django_receiver(
    monkeypatch: pytest.MonkeyPatch, database: Path, key: str = KEY
) -> tuple[ModuleType, str]:
    """``examples.django_receiver``, migrated, with empty tables and expecting ``key``,
    and the path of its database.

    Django's settings are made once per process, so every test shares the database of
    the first import (``database``, then) and starts by emptying it. The module refuses
    to load without its tables, so the first time they are made first, as a user would:
    ``python examples/django_receiver.py migrate``.
    """
    from django.conf import settings

    monkeypatch.setenv("WISEPOPS_API_KEY", key)
    monkeypatch.setenv("WISEPOPS_DB", str(database))
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver,localhost")  # the test clients'
    if "examples.django_receiver" not in sys.modules:
        migrate = [sys.executable, "examples/django_receiver.py", "migrate", "--verbosity=0"]
        subprocess.run(migrate, cwd=EXAMPLES.parent, check=True, timeout=60)
    module = importlib.import_module("examples.django_receiver")
    from wisepops.django.models import Erasure, Lead, Run, Suppressed, SyncCursor

    monkeypatch.setattr(settings, "WISEPOPS_API_KEY", key)
    Lead.objects.all().delete()
    SyncCursor.objects.all().delete()
    Run.objects.all().delete()
    Suppressed.objects.all().delete()
    Erasure.objects.update(suppressed=0)
    return module, str(settings.DATABASES["default"]["NAME"])


def rows(database: Path | str, table: str) -> list[dict[str, Any]]:
    """Every stored contact, in insertion order, read straight from the SQLite file."""
    with closing(sqlite3.connect(database)) as db:
        db.row_factory = sqlite3.Row
        found = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()  # noqa: S608
    return [dict(row) for row in found]


@contextmanager
def django_serving_two_websites(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, leads: int
) -> Iterator[TwoWebsites]:
    """The Django example's app on a new SQLite file, configured with two websites of
    ``leads`` leads each, served by a fake on loopback."""
    from django.conf import settings

    load_django_receiver(monkeypatch, tmp_path / "leads.sqlite3")
    sites = TwoWebsites(leads=leads)
    with sites.serve() as url:
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        monkeypatch.setattr(settings, "WISEPOPS_WEBSITES", sites.variable, raising=False)
        yield sites
