"""Receive WisePops webhooks in FastAPI and store each contact once: copy the route.

Into your app, copy the route with ``WEBSITES`` and ``store`` (both made at start, below),
``read_capped`` and ``MAX_BODY_BYTES``; ``ruff check --select F`` on the copy shows
anything left behind as an undefined name.

Run it, from the repository's root::

    pip install "wisepops[db]" fastapi uvicorn   # "wisepops[postgresql]" for PostgreSQL
    export WISEPOPS_API_KEY=your-key     # required: without it the receiver will not start
    # or, for several websites: export WISEPOPS_WEBSITES="shop-fr=KEY1,shop-de=KEY2"
    uvicorn examples.fastapi_receiver:app --port 8000

(or ``python examples/fastapi_receiver.py``, on PORT), then point a hook at
``http://<host>:8000/wisepops/webhook`` (or each website's hook at
``.../wisepops/webhook/<website>``). Contacts go, each under its website, to the table
``wisepops_leads``, the one ``wisepops sync`` fills, in ``WISEPOPS_DB``: a SQLite file path (default
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

try:  # WISEPOPS_WEBSITES="shop-fr=KEY1,shop-de=KEY2", else WISEPOPS_API_KEY as "default"
    WEBSITES = wisepops.read_websites()
except wisepops.WebsitesError as exc:  # none set, or malformed: one line, never a key
    print(exc, file=sys.stderr)
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


@app.post("/wisepops/webhook")  # by the key that signed it
@app.post("/wisepops/webhook/{website}")  # one website's, signed with its key
async def wisepops_webhook(request: Request) -> JSONResponse:
    website = request.path_params.get("website")  # not a parameter: no ?website= on the first
    # The raw bytes, exactly as signed: never declare a pydantic body parameter here,
    # and never verify re-serialised JSON.
    body = await read_capped(request, MAX_BODY_BYTES)
    if body is None:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    signature = request.headers.get(wisepops.SIGNATURE_HEADER)
    try:
        name, contacts = wisepops.unwrap_website(body, signature, WEBSITES, website)
    except wisepops.UnknownWebsiteError:
        return JSONResponse({"error": "no such website"}, status_code=404)
    except wisepops.SignatureVerificationError:
        return JSONResponse({"error": "invalid or missing signature"}, status_code=401)
    except wisepops.PayloadError as exc:  # signed, but not valid records: the sender's fault
        return JSONResponse({"error": str(exc)}, status_code=400)
    # One transaction, committed before the 200, in a thread: it blocks. A redelivery
    # stores nothing new. A database that fails raises: the server answers 500, logs why,
    # and WisePops retries later.
    new = await run_in_threadpool(lambda: store.add(contacts, website=name))
    return JSONResponse({"received": len(contacts), "new": new})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
