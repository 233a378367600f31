"""The webhook's view: the raw body as signed, capped, verified, stored, then answered.

Short enough to read and copy: ``read_capped`` keeps the cap where a copy keeps it, and
the view never reads ``request.POST`` nor verifies re-serialised JSON.
"""

from __future__ import annotations

from typing import Optional, Union

from django.core.handlers.wsgi import WSGIRequest
from django.db import DataError, IntegrityError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

import wisepops

from .config import websites
from .models import Lead

MAX_BODY_BYTES = 1024 * 1024  # deliveries are a few KB; refuse anything absurd


def read_capped(request: HttpRequest, limit: int) -> Union[bytes, JsonResponse]:
    """The raw body, exactly as signed, or the answer refusing it."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or -1)
    except ValueError:
        return JsonResponse({"error": "bad Content-Length"}, status=400)
    if declared < 0 and isinstance(request, WSGIRequest):
        # Under WSGI (runserver, gunicorn) Django reads a body only as far as its
        # Content-Length says: a chunked body would look empty, and fail the signature
        # check for the wrong reason.
        return JsonResponse({"error": "send a Content-Length"}, status=411)
    if declared > limit:
        return JsonResponse({"error": "payload too large"}, status=413)
    body = request.read(limit + 1)  # one byte more tells a chunked body beyond the cap (ASGI)
    if len(body) > limit:
        return JsonResponse({"error": "payload too large"}, status=413)
    return body


@csrf_exempt  # WisePops cannot send a CSRF token; the signature authenticates it
@require_POST
def webhook(request: HttpRequest, website: Optional[str] = None) -> JsonResponse:
    """Store a delivery's contacts under their website; 200 ``{"received", "new"}`` once
    they are committed.

    ``<prefix>/webhook/<website>`` takes that website's deliveries, signed with its key;
    ``<prefix>/webhook`` those of the website whose key signed them.
    """
    body = read_capped(request, MAX_BODY_BYTES)
    if isinstance(body, JsonResponse):
        return body
    configured = websites()  # a malformed setting is 500: the checks stop a server before
    try:
        name, contacts = wisepops.unwrap_website(
            body, request.headers.get(wisepops.SIGNATURE_HEADER), configured, website
        )
        new = Lead.objects.store(contacts, website=name)  # committed when it returns
    except wisepops.UnknownWebsiteError:
        return JsonResponse({"error": "no such website"}, status=404)
    except wisepops.SignatureVerificationError:
        return JsonResponse({"error": "invalid or missing signature"}, status=401)
    except (ValueError, OverflowError, IntegrityError, DataError) as exc:
        # A signed body that is not valid records (PayloadError is a ValueError), or a
        # value the database cannot hold: an integer beyond 64 bits, a NaN in a JSON
        # column. A database that fails (OperationalError) is not caught: 500, logged,
        # and WisePops retries later.
        return JsonResponse({"error": " ".join(str(exc).split())}, status=400)
    return JsonResponse({"received": len(contacts), "new": new})
