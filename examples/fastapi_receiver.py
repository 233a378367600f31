"""Receive WisePops webhooks in FastAPI: copy the route into your app.

Run it::

    pip install wisepops fastapi uvicorn
    WISEPOPS_API_KEY=your-key uvicorn examples.fastapi_receiver:app --port 8000

(or ``python examples/fastapi_receiver.py``), then point a hook at
``http://<host>:8000/wisepops/webhook``.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

import wisepops

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd

app = FastAPI()

SEEN: set[str] = set()  # stands in for a table with a unique dedupe_key column


def store(contacts: list[wisepops.Contact]) -> int:
    """Hand records over idempotently (WisePops retries deliveries); return how many were new.

    In production: ``INSERT ... ON CONFLICT (dedupe_key) DO NOTHING``, or enqueue
    ``contact.to_json()`` for a worker that does.
    """
    new = [contact for contact in contacts if contact.dedupe_key not in SEEN]
    SEEN.update(contact.dedupe_key for contact in new)
    return len(new)


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
        contacts = wisepops.unwrap(body, signature, os.environ["WISEPOPS_API_KEY"])
    except wisepops.SignatureVerificationError:
        return JSONResponse({"error": "invalid or missing signature"}, status_code=401)
    except wisepops.PayloadError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"received": len(contacts), "new": store(contacts)})


if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(os.environ.get("PORT", "8000")))
