"""The baseline of ``receivers.py``: a Flask view written by hand, without the SDK.

It checks the HMAC, calls ``json.loads`` and inserts the same rows into the same table,
``wisepops_leads``, through the driver, on one connection per worker process. Served by
``gunicorn --chdir benchmarks bare_receiver:app``, with ``WISEPOPS_API_KEY`` and
``WISEPOPS_DB`` (a SQLite path or a ``postgresql://`` URL) as the example reads them.
"""

from __future__ import annotations

import hmac
import json
import os
import sqlite3
from hashlib import sha256
from typing import Any

from flask import Flask, request
from run import hand_row  # run.py, beside this file: gunicorn --chdir puts it on the path

KEY = os.environ["WISEPOPS_API_KEY"].encode()
DATABASE = os.environ["WISEPOPS_DB"]
POSTGRES = DATABASE.startswith("postgresql")
COLUMNS = (
    "dedupe_key, collected_at, wisepop_id, email, ip, country_code, form_session, fields, "
    "extra, source, website, stored_at"
)
MARKS = ", ".join(["%s" if POSTGRES else "?"] * 12)
INSERT = (
    f"INSERT INTO wisepops_leads ({COLUMNS}) VALUES ({MARKS}) "  # noqa: S608 - our own names
    "ON CONFLICT (dedupe_key) DO NOTHING"
)

app = Flask(__name__)
_connection: list[Any] = []  # this worker's, opened at its first delivery (after the fork)


def connection() -> Any:
    if not _connection:
        if POSTGRES:
            import psycopg

            _connection.append(psycopg.connect(DATABASE.replace("+psycopg", "")))
        else:
            _connection.append(sqlite3.connect(DATABASE, timeout=30))
    return _connection[0]


@app.post("/wisepops/webhook")
def wisepops_webhook() -> tuple[dict[str, object], int]:
    body = request.get_data()
    expected = hmac.new(KEY, body, sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Wisepops-Signature", "")):
        return {"error": "invalid or missing signature"}, 401
    rows = [hand_row(record, POSTGRES, "webhook") for record in json.loads(body)]
    db = connection()
    try:
        cursor = db.cursor()
        cursor.executemany(INSERT, rows)
        new: int = cursor.rowcount
        db.commit()  # before the 200, as the example
    except BaseException:
        db.rollback()
        raise
    return {"received": len(rows), "new": new}, 200
