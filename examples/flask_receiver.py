"""Receive WisePops webhooks in Flask and store each contact once: copy the view.

Into your app, copy the view with ``WEBSITES`` and ``store`` (both made at start, below),
``read_capped`` and ``MAX_BODY_BYTES``; ``ruff check --select F`` on the copy shows
anything left behind as an undefined name.

Run it::

    pip install "wisepops[db]" flask     # "wisepops[postgresql]" for PostgreSQL
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    # or, for several websites: export WISEPOPS_WEBSITES="shop-fr=KEY1,shop-de=KEY2"
    python examples/flask_receiver.py    # Flask's development server on PORT (default 5000)

In production, from the repository's root: ``gunicorn -w 4 examples.flask_receiver:app``.
Point a hook at ``http://<host>:<port>/wisepops/webhook`` (or each website's hook at
``.../wisepops/webhook/<website>``). Contacts go, each under its website, to the table
``wisepops_leads``, the one ``wisepops sync`` fills, in ``WISEPOPS_DB``: a SQLite file path
(default ``leads.sqlite3`` in the working directory) or a database URL
(``postgresql://user@host/db``). One row per ``dedupe_key``, committed before the 200.
"""

from __future__ import annotations

import os
import sys

from flask import Flask, request

import wisepops
from wisepops.db import LeadStore, StoreError

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

try:  # WISEPOPS_WEBSITES="shop-fr=KEY1,shop-de=KEY2", else WISEPOPS_API_KEY as "default"
    WEBSITES = wisepops.read_websites()
except wisepops.WebsitesError as exc:  # none set, or malformed: one line, never a key
    print(exc, file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot": gunicorn stops instead of starting new
    # workers that would answer 500 to every delivery.
    sys.exit(3)

try:
    store = LeadStore(os.environ.get("WISEPOPS_DB", "leads.sqlite3"))
    store.create()  # the table where it is missing: a database that cannot be used fails here
    store.check_writable()  # and one it cannot write (a read-only file or URL)
except StoreError as exc:
    print(f"WISEPOPS_DB: {exc}", file=sys.stderr)
    sys.exit(3)  # as for a missing key
store.engine.dispose()  # no connection is shared with the workers gunicorn --preload forks

app = Flask(__name__)


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


@app.post("/wisepops/webhook", defaults={"website": None})  # by the key that signed it
@app.post("/wisepops/webhook/<website>")  # one website's, signed with its key
def wisepops_webhook(website: str | None) -> tuple[dict[str, object], int]:
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
        name, contacts = wisepops.unwrap_website(body, signature, WEBSITES, website)
    except wisepops.UnknownWebsiteError:
        return {"error": "no such website"}, 404
    except wisepops.SignatureVerificationError:
        return {"error": "invalid or missing signature"}, 401
    except wisepops.PayloadError as exc:  # signed, but not valid records: the sender's fault
        return {"error": str(exc)}, 400
    # One transaction, committed before the 200; a redelivery stores nothing new. A
    # database that fails raises: Flask answers 500, logs why, and WisePops retries later.
    new = store.add(contacts, website=name)
    return {"received": len(contacts), "new": new}, 200


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "5000")))
