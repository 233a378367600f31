"""``wisepops.django`` as a Django developer installs it: a fresh project with only
``contenttypes``, ``auth`` and the app, its URLs under a prefix of the project's own.

The project runs in a process of its own (Django's settings are made once a process), in
which SQLAlchemy cannot be imported: Django users do not install it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import wisepops
from wisepops.db import LeadStore
from wisepops.testing import FakeWisepops

from .receivers import KEY

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python ARGV`` from the repository's root, with the test project's environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("WISEPOPS_")}
    environment.update(
        TEST_DB=str(tmp_path / "leads.sqlite3"),
        TEST_KEY=KEY,
        DJANGO_SETTINGS_MODULE="tests.django_project.settings",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_fresh_project_stores_deliveries_and_syncs_into_tables_leadstore_reads(
    tmp_path: Path,
) -> None:
    """migrate; a signed delivery is stored, a wrongly signed or unsigned one refused 401;
    wisepops_sync twice, the second costing one call; then LeadStore accepts the tables
    and reads every lead once: the delivered one was not stored twice by the sync."""
    fake = FakeWisepops(KEY)
    contacts = [fake.collect(email=f"user{n}@example.com") for n in range(3)]
    body = json.dumps([{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@x"}])
    delivered = wisepops.parse_payload(body.encode())[0]
    fake.collect(email=delivered.email, wisepop_id=1, collected_at=delivered.collected_at)
    with fake.serve() as api_url:
        done = project(
            tmp_path, "-m", "tests.django_project.run", TEST_BODY=body, WISEPOPS_BASE_URL=api_url
        )
        assert done.returncode == 0, done.stderr
        calls = [r.url.path for r in fake.requests]
    seen: dict[str, Any] = json.loads(done.stdout)
    assert seen["answers"] == [
        [200, {"received": 1, "new": 1}],
        [401, {"error": "invalid or missing signature"}],
        [401, {"error": "invalid or missing signature"}],
    ]
    first, second = seen["summaries"]
    assert first.startswith("3 new of 4 seen in 1 call;"), first
    assert second.startswith("0 new of 0 seen in 1 call;"), second
    assert calls == ["/api2/contacts", "/api2/contacts"]
    with LeadStore(tmp_path / "leads.sqlite3") as store:
        store.create()  # checks the layout of the tables migrate made
        with store.engine.connect() as connection:
            keys = [row[0] for row in connection.execute(store.leads.select())]
        runs = store.runs()  # each wisepops_sync, recorded in the table migrate made
    assert sorted(keys) == sorted(c.dedupe_key for c in [*contacts, delivered])
    assert [(r.website, r.new, r.seen, r.calls, r.error) for r in runs] == [
        ("default", 0, 0, 1, None),
        ("default", 3, 4, 1, None),
    ]
    assert all(run.finished_at is not None for run in runs)


def test_django_check_and_makemigrations_find_nothing_to_say(tmp_path: Path) -> None:
    """``python -m django check`` is clean and the app's migrations are complete."""
    checked = project(tmp_path, "-m", "django", "check")
    assert checked.returncode == 0, checked.stderr
    assert "no issues" in checked.stdout
    missing = project(tmp_path, "-m", "django", "makemigrations", "--check", "--dry-run")
    assert missing.returncode == 0, missing.stdout + missing.stderr


def test_without_a_key_django_check_says_so(tmp_path: Path) -> None:
    done = project(tmp_path, "-m", "django", "check", TEST_KEY="")
    assert done.returncode == 1
    assert "(wisepops.E001) WISEPOPS_API_KEY is not set" in done.stderr


def test_import_wisepops_never_imports_django() -> None:
    code = "import sys, wisepops, wisepops.db; print('django' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == "False\n"


@pytest.mark.parametrize("path", sorted((ROOT / "examples").rglob("*.py")), ids=str)
def test_nothing_under_examples_declares_a_model_a_migration_or_a_table(path: Path) -> None:
    """The layout is the app's: an example that declared it would be a copy to keep in step."""
    text = path.read_text()
    for declaration in ("models.Model", "migrations.Migration", "db_table"):
        assert declaration not in text, f"{path.name} declares {declaration}"
