"""Receive WisePops webhooks in Flask and store each contact once in SQLite: copy the view.

Into your app, copy the view with ``store``, ``connect``, ``read_capped``, ``refusal`` and
the constants ``MAX_BODY_BYTES``, ``SCHEMA`` and ``INSERT``; ``ruff check --select F`` on
the copy shows anything left behind as an undefined name.

Run it::

    pip install wisepops flask
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    python examples/flask_receiver.py    # Flask's development server on PORT (default 5000)

In production, from the repository's root: ``gunicorn examples.flask_receiver:app``. Point
a hook at ``http://<host>:<port>/wisepops/webhook``. Contacts go to the SQLite file named by
``WISEPOPS_DB`` (default ``leads.sqlite3`` in the working directory), one row per
``dedupe_key``, committed before the 200.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing

from flask import Flask, request

import wisepops

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

API_KEY = os.environ.get("WISEPOPS_API_KEY", "")
if not API_KEY:
    print("WISEPOPS_API_KEY is not set: export your WisePops API key", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": gunicorn stops instead of starting new
    # workers that would answer 500 to every delivery.
    sys.exit(3)

DATABASE = os.environ.get("WISEPOPS_DB", "leads.sqlite3")

SCHEMA = """
CREATE TABLE IF NOT EXISTS leads (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    collected_at TEXT NOT NULL,
    wisepop_id INTEGER NOT NULL,
    email TEXT,
    ip TEXT,
    country_code TEXT,
    form_session TEXT,
    fields TEXT NOT NULL,
    extra TEXT NOT NULL DEFAULT '{}',  -- what the SDK does not model yet, kept as sent
    received_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)
"""

INSERT = """
INSERT INTO leads
    (dedupe_key, collected_at, wisepop_id, email, ip, country_code, form_session, fields, extra)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (dedupe_key) DO NOTHING
"""


def connect() -> sqlite3.Connection:
    return sqlite3.connect(DATABASE, timeout=10)  # wait up to 10 s for another writer


with closing(connect()) as startup:  # a WISEPOPS_DB that cannot be opened fails here
    startup.execute(SCHEMA)

app = Flask(__name__)


def store(contacts: list[wisepops.Contact]) -> int:
    """Insert the contacts not stored yet, and commit; return how many were new.

    WisePops retries deliveries, so a record can come twice: the unique ``dedupe_key``
    makes the second time store nothing. A value SQLite cannot hold (a lone surrogate in
    a string, an integer beyond 64 bits) raises ``ValueError`` or ``OverflowError``, and
    nothing of the delivery is stored.
    """
    rows = [
        (
            contact.dedupe_key,
            contact.collected_at.isoformat(),
            contact.wisepop_id,
            contact.email,
            contact.ip,
            contact.country_code,
            contact.form_session,
            json.dumps(dict(contact.fields), allow_nan=False),  # NaN is not JSON
            json.dumps(dict(contact.extra), allow_nan=False),
        )
        for contact in contacts
    ]
    with closing(connect()) as db, db:  # "with db" commits, or rolls back on an error
        return db.executemany(INSERT, rows).rowcount


def refusal(exc: Exception) -> str:
    """Why a signed delivery is refused, in words its sender can act on."""
    if isinstance(exc, UnicodeEncodeError):  # valid JSON (\ud800), but not storable text
        bad = exc.object[exc.start : exc.end]
        return f"a text value holds a lone surrogate ({bad!a}), which the database cannot store"
    return str(exc)


def read_capped(limit: int) -> bytes | None:
    """The raw body, or ``None`` once it is longer than ``limit`` (declared or streamed).

    Not ``MAX_CONTENT_LENGTH``: Werkzeug cuts a chunked body at that length instead of
    refusing it, and the signature would then be checked against a prefix.
    """
    if (request.content_length or 0) > limit:
        return None
    body = bytearray()
    while len(body) <= limit:
        chunk = request.stream.read(64 * 1024)
        if not chunk:
            return bytes(body)
        body += chunk
    return None


@app.post("/wisepops/webhook")
def wisepops_webhook() -> tuple[dict[str, object], int]:
    if request.content_length is None and "wsgi.input_terminated" not in request.environ:
        # A body without Content-Length (chunked) that this WSGI server cannot read:
        # Flask would see it empty, and the signature check would fail for the wrong reason.
        return {"error": "send a Content-Length"}, 411
    # The raw bytes, exactly as signed: read them before anything touches request.form
    # or request.json, and never verify re-serialised JSON.
    body = read_capped(MAX_BODY_BYTES)
    if body is None:
        return {"error": "payload too large"}, 413
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        contacts = wisepops.unwrap(body, signature, API_KEY)
        new = store(contacts)
    except wisepops.SignatureVerificationError:
        return {"error": "invalid or missing signature"}, 401
    except (ValueError, OverflowError) as exc:
        # A signed body that is not valid records (PayloadError is a ValueError), or a
        # value SQLite cannot hold. A database that fails (sqlite3.OperationalError) is
        # not caught: Flask answers 500, logs the traceback, and WisePops retries later.
        return {"error": refusal(exc)}, 400
    return {"received": len(contacts), "new": new}, 200


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "5000")))
