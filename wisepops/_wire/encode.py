"""Records out: ``to_dict``/``to_json``, and the api1, api2 and webhook shapes WisePops sends.

Everything here follows the declaration in :mod:`.schema`; nothing names a field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Literal

from .schema import Kind, Nested, schema_of
from .times import format_datetime, format_wire

Api = Literal["api1", "api2"]

_SURROGATES = re.compile("[\ud800-\udfff]")
_CLIPPED = "[nested too deeply]"
_CLIP_DEPTH = 32


def holds_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate, which UTF-8 cannot encode."""
    return not text.isascii() and _SURROGATES.search(text) is not None


def dumps(value: Any, **options: Any) -> str:
    """``json.dumps``, which cannot fail on what a parser returns.

    A value nested hundreds deep decodes fine, yet its encoding can exceed the recursion
    limit from a deeper call stack; only then is it written clipped, rather than raise.
    """
    try:
        return json.dumps(value, **options)
    except RecursionError:
        return json.dumps(_clip(value, _CLIP_DEPTH), **options)


def _clip(value: Any, depth: int) -> Any:
    """``value`` with what is nested more than ``depth`` deep replaced by a marker."""
    if type(value) is dict:
        return {k: _clip(v, depth - 1) for k, v in value.items()} if depth else _CLIPPED
    if type(value) is list:
        return [_clip(v, depth - 1) for v in value] if depth else _CLIPPED
    return value


def canonical(value: Any) -> str:
    """One spelling of a JSON value, whatever its key order or escapes."""
    return dumps(value, sort_keys=True, separators=(",", ":"), default=repr)


def to_dict(record: object) -> dict[str, Any]:
    """A record as a JSON-ready dict: its fields by name, ``extra`` only when not empty."""
    schema = schema_of(type(record))
    value: dict[str, Any] = {}
    for field in schema.fields:
        item = getattr(record, field.name)
        if item is not None and field.kind is Kind.INSTANT:
            item = format_datetime(item)
        elif field.kind is Kind.MAPPING:
            item = dict(item)
        value[field.name] = item
    if schema.has_extra and getattr(record, "extra"):  # noqa: B009 - not every record has it
        value["extra"] = dict(getattr(record, "extra"))  # noqa: B009
    return value


def to_json(value: Any) -> str:
    """One line of JSON, non-ASCII as is; a lone surrogate as a ``\\ud800`` escape instead."""
    text = dumps(value, ensure_ascii=False)
    return dumps(value) if holds_surrogates(text) else text


def api_record(record: object, api: Api) -> dict[str, Any]:
    """A record as ``api`` writes it: its keys, instants to the millisecond, PHP's ``[]``.

    A value api2 keeps inside a mapping (``email`` in ``fields``) is put there; where
    ``api`` has a key of its own for it, the mapping does not repeat it.
    """
    fields = schema_of(type(record)).fields
    by_name = {field.name: field for field in fields}
    value: dict[str, Any] = {}
    for field in fields:
        key, item = field.key(api), getattr(record, field.name)
        if isinstance(key, str):
            if item is not None and field.kind is Kind.INSTANT:
                item = format_wire(item)
            elif field.kind is Kind.MAPPING:
                item = dict(item)
            value[key] = item
    for field in fields:
        key, nested, item = field.key(api), field.nested, getattr(record, field.name)
        if nested is None:
            continue
        container = by_name[nested.field].key(api)
        if not isinstance(container, str):
            continue
        if isinstance(key, Nested):
            if item is not None:
                value[container].setdefault(nested.key, item)
        elif key is not None:
            value[container].pop(nested.key, None)
    for field in fields:
        key = field.key(api)
        if field.kind is Kind.MAPPING and isinstance(key, str) and not value[key]:
            value[key] = []  # PHP's json_encode writes an empty object as []
    return value


def php_json(value: Any) -> bytes:
    """JSON the way PHP's ``json_encode`` writes it: compact, ASCII, ``\\/`` for ``/``."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/").encode("ascii")


def wire_body(records: Iterable[object], api: Api) -> bytes:
    """A JSON array of records as WisePops sends it: a listing's answer, a delivery's body."""
    return php_json([api_record(record, api) for record in records])
