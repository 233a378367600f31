"""Receive WisePops webhooks in FastAPI and store each contact once: copy the route.

Into your app, copy the route with ``store`` (made and created at start, below),
``read_capped`` and ``MAX_BODY_BYTES``; ``ruff check --select F`` on the copy shows
anything left behind as an undefined name.

Run it, from the repository's root::

    pip install "wisepops[db]" fastapi uvicorn   # "wisepops[postgresql]" for PostgreSQL
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    uvicorn examples.fastapi_receiver:app --port 8000

(or ``python examples/fastapi_receiver.py``, on PORT), then point a hook at
``http://<host>:8000/wisepops/webhook``. Contacts go to the table ``wisepops_leads``, the
one ``wisepops sync`` fills, in ``WISEPOPS_DB``: a SQLite file path (default
``leads.sqlite3`` in the working directory) or a database URL (``postgresql://user@host/db``).
One row per ``dedupe_key``, committed before the 200.
"""

from __future__ import annotations

import os
import sys

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

import wisepops
from wisepops.db import LeadStore, StoreError

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

API_KEY = os.environ.get("WISEPOPS_API_KEY", "")
if not API_KEY:
    print("WISEPOPS_API_KEY is not set: export your WisePops API key", file=sys.stderr)
    # 3 is gunicorn's "worker failed to boot" (for gunicorn -k uvicorn.workers.UvicornWorker):
    # gunicorn stops instead of starting new workers that would answer 500 to every delivery.
    sys.exit(3)

try:
    store = LeadStore(os.environ.get("WISEPOPS_DB", "leads.sqlite3"))
    store.create()  # the table where it is missing: a database that cannot be used fails here
    store.check_writable()  # and one it cannot write (a read-only file or URL)
except StoreError as exc:
    print(f"WISEPOPS_DB: {exc}", file=sys.stderr)
    sys.exit(3)  # as for a missing key
store.engine.dispose()  # no connection is shared with worker processes forked after import

app = FastAPI()


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The raw body, or ``None`` once it is longer than ``limit`` (declared or streamed)."""
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


@app.post("/wisepops/webhook")
async def wisepops_webhook(request: Request) -> JSONResponse:
    # The raw bytes, exactly as signed: never declare a pydantic body parameter here,
    # and never verify re-serialised JSON.
    body = await read_capped(request, MAX_BODY_BYTES)
    if body is None:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        contacts = wisepops.unwrap(body, signature, API_KEY)
    except wisepops.SignatureVerificationError:
        return JSONResponse({"error": "invalid or missing signature"}, status_code=401)
    except wisepops.PayloadError as exc:  # signed, but not valid records: the sender's fault
        return JSONResponse({"error": str(exc)}, status_code=400)
    # One transaction, committed before the 200, in a thread: it blocks. A redelivery
    # stores nothing new. A database that fails raises: the server answers 500, logs why,
    # and WisePops retries later.
    new = await run_in_threadpool(store.add, contacts)
    return JSONResponse({"received": len(contacts), "new": new})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
