"""Receive WisePops webhooks in Flask: copy the view into your app.

Run it::

    pip install wisepops flask
    WISEPOPS_API_KEY=your-key python examples/flask_receiver.py

then point a hook at ``http://<host>:5000/wisepops/webhook``.
"""

from __future__ import annotations

import os

from flask import Flask, request

import wisepops

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES  # Flask answers 413 beyond it

SEEN: set[str] = set()  # stands in for a table with a unique dedupe_key column


def store(contacts: list[wisepops.Contact]) -> int:
    """Hand records over idempotently (WisePops retries deliveries); return how many were new.

    In production: ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``, or enqueue
    ``contact.to_json()`` for a worker that does.
    """
    new = [contact for contact in contacts if contact.dedupe_key not in SEEN]
    SEEN.update(contact.dedupe_key for contact in new)
    return len(new)


@app.post("/wisepops/webhook")
def wisepops_webhook() -> tuple[dict[str, object], int]:
    # The raw bytes, exactly as signed: read them before anything touches request.form
    # or request.json, and never verify re-serialised JSON.
    body = request.get_data(cache=False)
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        contacts = wisepops.unwrap(body, signature, os.environ["WISEPOPS_API_KEY"])
    except wisepops.SignatureVerificationError:
        return {"error": "invalid or missing signature"}, 401
    except wisepops.PayloadError as exc:
        return {"error": str(exc)}, 400
    return {"received": len(contacts), "new": store(contacts)}, 200


if __name__ == "__main__":
    app.run(port=int(os.environ.get("PORT", "5000")))
