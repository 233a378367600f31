"""Records in: strict where a wrong value would corrupt data, lenient everywhere else.

A key the SDK does not model, or a value it cannot read without loss, is kept in
``extra``; :func:`list_from_json` takes a generated fast path for the usual shape.
"""

from __future__ import annotations

import json
import linecache
import math
import re
from datetime import datetime
from typing import Any, Callable, TypeVar, Union

from .schema import MAX_ID, Field, Kind, Schema, schema_of
from .times import UTC, parse_datetime

T = TypeVar("T")


class RecordError(ValueError):
    """A JSON value that is not a valid record; the message names the index and the key."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:20]} is out of range")
    return number


# NaN, Infinity and numbers beyond a double are not JSON that PHP writes; refusing them
# here means no record holds a value that cannot be written back as JSON.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def decode_json(content: Union[bytes, str]) -> Any:
    """Decode a JSON document; ``ValueError`` on anything else, deep nesting included."""
    if isinstance(content, (bytes, bytearray)):
        content = content.decode(json.detect_encoding(content), "surrogatepass")
        if content.startswith("\ufeff"):  # a byte order mark, as json.loads accepts
            content = content[1:]
    try:
        return _DECODER.decode(content)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None


_JSON_TYPES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def json_type(value: object) -> str:
    """How JSON would call the type of ``value``: for error messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


# --- the careful parser ------------------------------------------------------------------

_DIGITS = re.compile(r"0|[1-9][0-9]{0,17}")  # a count whose int() gives back the same text
_UNREAD = object()  # a lenient value that could not be read: kept in extra


def _strict(kind: Kind, value: Any, key: str, where: str) -> Any:
    if value is None:
        raise RecordError(f"{where}: {key!r} is missing")
    if kind is Kind.ID:
        if type(value) is not int:
            raise RecordError(f"{where}: {key!r} must be an integer, got {json_type(value)}")
        if not 0 <= value <= MAX_ID:
            raise RecordError(f"{where}: {key!r} is out of range: {str(value)[:30]}")
        return value
    if kind is Kind.INSTANT:
        if type(value) is not str:
            raise RecordError(
                f"{where}: {key!r} must be an ISO 8601 string, got {json_type(value)}"
            )
        try:
            return parse_datetime(value)
        except ValueError:
            shown = ascii(value[:40])  # printable, whatever surrogates it holds
            raise RecordError(
                f"{where}: {key!r} is not an ISO 8601 date-time in range: {shown}"
            ) from None
    if type(value) is not str:  # TEXT; other kinds are never strict
        raise RecordError(f"{where}: {key!r} must be a string, got {json_type(value)}")
    return value


def _text(value: Any) -> Any:
    return value if type(value) is str else _UNREAD


def _mapping(value: Any) -> Any:
    if type(value) is dict:
        return value
    return {} if value == [] else _UNREAD  # PHP's json_encode writes {} as []


def _instant(value: Any) -> Any:
    if type(value) is str:
        try:
            return parse_datetime(value)
        except ValueError:
            pass
    return _UNREAD


def _flag(value: Any) -> Any:
    if type(value) is bool:
        return value
    return bool(value) if type(value) is int and value in (0, 1) else _UNREAD


def _id(value: Any) -> Any:
    return value if type(value) is int and 0 <= value <= MAX_ID else _UNREAD


def _count(value: Any) -> Any:
    """An integer; a numeric string or a whole float is coerced, as nothing is lost."""
    if type(value) is int:
        return value
    if type(value) is str and _DIGITS.fullmatch(value):
        return int(value)
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return _UNREAD


_LENIENT: dict[Kind, Callable[[Any], Any]] = {
    Kind.TEXT: _text,
    Kind.MAPPING: _mapping,
    Kind.INSTANT: _instant,
    Kind.FLAG: _flag,
    Kind.ID: _id,
    Kind.COUNT: _count,
}
"""How each kind reads a value that is not ``None``; ``_UNREAD`` goes to ``extra``."""


def _read(field: Field, record: dict[str, Any], extra: dict[str, Any], where: str) -> Any:
    """One field: from the first of its keys that holds a value; the others go to extra."""
    keys = field.keys
    key = next((k for k in keys if record.get(k) is not None), keys[0])
    for other in keys:
        if other != key and record.get(other) is not None:
            extra[other] = record[other]
    value = record.get(key)
    if field.strict:
        return _strict(field.kind, value, key, where)
    if value is None:
        return {} if field.kind is Kind.MAPPING else None
    read = _LENIENT[field.kind](value)
    if read is _UNREAD:
        extra[key] = value
        return {} if field.kind is Kind.MAPPING else None
    return read


def from_json(cls: type[T], record: object, index: int) -> T:
    """Build one ``cls`` record from a decoded JSON value, in api1's or api2's shape.

    Every check is made one by one, so that an error names the record and the key.
    """
    schema = schema_of(cls)
    where = f"{schema.what} {index}"
    if type(record) is not dict:
        raise RecordError(f"{where}: expected an object, got {json_type(record)}")
    extra = {key: value for key, value in record.items() if key not in schema.modelled}
    values = {field.name: _read(field, record, extra, where) for field in schema.fields}
    for field in schema.fields:
        nested = field.nested
        if nested is not None and values[field.name] is None:  # email inside api2's fields
            inner = values[nested.field].get(nested.key)
            values[field.name] = inner if _LENIENT[field.kind](inner) is inner else None
    if schema.has_extra:
        values["extra"] = extra
    return cls(**values)


# --- the fast path, generated from the declaration ---------------------------------------

_FAST_TESTS = {
    Kind.ID: "(type({v}) is int and 0 <= {v} <= MAX_ID)",
    Kind.TEXT: "type({v}) is str",
    Kind.COUNT: "type({v}) is int",
    Kind.FLAG: "type({v}) is bool",
    Kind.INSTANT: "type({v}) is str",
    Kind.MAPPING: "type({v}) is dict",
}


def _fast_source(schema: Schema) -> str:
    """The source of a parser for records of the usual shape, in the manner of attrs.

    A record passes when every key is known and every value has its expected type; it
    is then built as :func:`_filler` says, a third of attrs' frozen ``__init__``. Any
    other record goes to the careful parser, which names errors and fills ``extra``.
    """
    names = {field.name: f"v{i}" for i, field in enumerate(schema.fields)}
    lines = [
        "def parse(value):",
        "    if type(value) is not list:",
        f"        raise RecordError('expected an array of {schema.what}s, got '+ json_type(value))",
        "    try:  # every key of every record at once: usually all known",
        "        known = set().union(*value) <= MODELLED",
        "    except TypeError:  # a record that is not an object: the careful parser names it",
        "        known = False",
        "    out = []",
        "    append = out.append",
        "    for record in value:",
        "        if type(record) is dict:",
        "            get = record.get",
    ]
    tests: list[str] = []
    instants: list[tuple[str, bool]] = []
    nested: list[tuple[str, str, str, Kind]] = []
    for field in schema.fields:
        v = names[field.name]
        first, *others = field.keys
        lines.append(f"            {v} = get({first!r})")
        for other in others:  # two shapes' keys: one may be given, not both
            lines += [
                f"            if {v} is None:",
                f"                {v} = get({other!r})",
                f"            elif {other!r} in record:",
                f"                {v} = NO",
            ]
        test = _FAST_TESTS[field.kind].format(v=v)
        optional = not field.strict and field.kind is not Kind.MAPPING
        tests.append(f"({v} is None or {test})" if optional else test)
        if field.kind is Kind.INSTANT:
            instants.append((v, optional))
        if field.nested is not None:
            nested.append((v, names[field.nested.field], field.nested.key, field.kind))
    tests.append("(known or record.keys() <= MODELLED)")
    lines.append(
        "            if (\n                "
        + "\n                and ".join(tests)
        + "\n            ):"
    )
    indent = "                "
    if instants:
        checks = []  # a zone other than Z: the careful parser converts it
        for v, optional in instants:
            parsed = f"({v} := fromisoformat({v})).tzinfo is UTC"
            checks.append(f"({v} is None or {parsed})" if optional else parsed)
        lines += [
            f"{indent}try:",
            f"{indent}    ok = " + " and ".join(checks),
            f"{indent}except ValueError:",
            f"{indent}    ok = False",
            f"{indent}if ok:",
        ]
        indent += "    "
    for v, container, key, kind in nested:
        lines += [
            f"{indent}if {v} is None:",
            f"{indent}    {v} = {container}.get({key!r})",
            f"{indent}    if not {_FAST_TESTS[kind].format(v=v)}:",
            f"{indent}        {v} = None",
        ]
    lines.append(f"{indent}item = new(FILLER)")
    lines += [f"{indent}item.{name} = {v}" for name, v in names.items()]
    if schema.has_extra:
        lines.append(f"{indent}item.extra = {{}}")
    lines += [
        f"{indent}item.__class__ = CLS",
        f"{indent}append(item)",
        f"{indent}continue",
        "        append(careful(CLS, record, len(out)))  # its index, or an error",
        "    return out",
    ]
    return "\n".join(lines) + "\n"


def _filler(cls: type) -> type:
    """``cls`` without its frozen ``__setattr__``, to fill a new record with plain stores.

    The parser then gives the record its own class; with no slot of its own, the filler
    has ``cls``'s layout, so CPython allows that. Plain stores into slots are what make
    it cheap: attrs' frozen ``__init__`` calls ``object.__setattr__`` per field, and
    calling each slot's ``__set__`` instead took a third of a ``Contact``'s parse. Both
    methods are object's again, as CPython stores directly only when neither is
    overridden (they share one type slot).
    """
    methods = {"__setattr__": object.__setattr__, "__delattr__": object.__delattr__}
    return type(f"Filled{cls.__name__}", (cls,), {"__slots__": (), **methods})


def _fast_parser(schema: Schema) -> Callable[[object], list[Any]]:
    cls = schema.cls
    namespace: dict[str, Any] = {
        "CLS": cls,
        "FILLER": _filler(cls),
        "MAX_ID": MAX_ID,
        "MODELLED": schema.modelled,
        "NO": object(),  # neither None nor of any type: fails every test
        "UTC": UTC,
        "RecordError": RecordError,
        "careful": from_json,
        "fromisoformat": datetime.fromisoformat,
        "json_type": json_type,
        "new": object.__new__,
    }
    filename = f"<wisepops parser of {cls.__module__}.{cls.__qualname__}>"
    source = _fast_source(schema)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our source
    # As attrs does for its generated methods: so that tracebacks show the source.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    parser: Callable[[object], list[Any]] = namespace["parse"]
    return parser


_PARSERS: dict[type, Callable[[object], list[Any]]] = {}


def list_from_json(cls: type[T], value: object) -> list[T]:
    """Build ``cls`` records from a decoded JSON array, one error naming the first bad one."""
    parser = _PARSERS.get(cls)
    if parser is None:
        parser = _PARSERS[cls] = _fast_parser(schema_of(cls))
    return parser(value)
