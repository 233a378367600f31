"""How a record is declared: each field's kind, its api1 and api2 keys, and whether it is strict.

A record is an attrs class registered by :func:`record` whose fields carry
``metadata=wire(...)`` (and one may carry ``EXTRA``). The parsers, ``to_dict``, the wire
encoders and the CSV columns all read :func:`schema_of`: a new field is one line.
"""

from __future__ import annotations

import enum
from typing import Any, Callable, Optional, TypeVar, Union

import attrs

MAX_ID = 2**63 - 1  # what a BIGINT column holds


class Kind(enum.Enum):
    """What a field holds, and so how it is read, checked and written."""

    INSTANT = "instant"  # ISO 8601 on the wire, an aware UTC datetime in Python
    ID = "id"  # an integer from 0 to MAX_ID
    TEXT = "text"
    COUNT = "count"  # an integer; "12" and 12.0 are read as 12
    FLAG = "flag"  # a boolean; PHP's 0 and 1 are read as false and true
    MAPPING = "mapping"  # a JSON object; PHP's [] is read as {}


@attrs.frozen
class Nested:
    """A key inside another field's mapping, as api2 sends ``email`` inside ``fields``."""

    field: str
    key: str


Key = Union[str, Nested, None]
"""Where a field sits in one API's records: a key, a key in a mapping, or nowhere."""


class _Same(enum.Enum):
    NAME = "the field's own name"


SAME = _Same.NAME

_WIRE = "wisepops.wire"
_EXTRA = "wisepops.extra"


@attrs.frozen
class Field:
    """One declared field of a record."""

    name: str
    kind: Kind
    api1: Key
    api2: Key
    strict: bool

    def key(self, api: str) -> Key:
        return self.api1 if api == "api1" else self.api2

    @property
    def keys(self) -> tuple[str, ...]:
        """The top-level keys it is read from, api2's first."""
        keys = [key for key in (self.api2, self.api1) if isinstance(key, str)]
        return tuple(dict.fromkeys(keys))

    @property
    def nested(self) -> Optional[Nested]:
        """Where else it is read from when no top-level key holds it."""
        for key in (self.api2, self.api1):
            if isinstance(key, Nested):
                return key
        return None


@attrs.frozen
class Schema:
    """A record's declaration, gathered from its attrs fields."""

    cls: type
    what: str  # how errors name one record: "record 3", "pop-up 0"
    fields: tuple[Field, ...]
    has_extra: bool
    modelled: frozenset[str]  # every top-level key read, or dropped on purpose

    @property
    def columns(self) -> tuple[str, ...]:
        """The fields that are one value each: a CSV's fixed columns."""
        return tuple(f.name for f in self.fields if f.kind is not Kind.MAPPING)


_SCHEMAS: dict[type, Schema] = {}

T = TypeVar("T")


def wire(
    kind: Kind,
    *,
    api1: Union[Key, _Same] = SAME,
    api2: Union[Key, _Same] = SAME,
    strict: bool = False,
) -> dict[str, Any]:
    """A field's wire declaration, as its attrs ``metadata``; keys default to its name.

    A strict field has no default; any other defaults to ``None`` (a mapping to ``{}``).
    """
    return {_WIRE: (kind, api1, api2, strict)}


EXTRA = {_EXTRA: True}
"""The metadata of the field that keeps, as sent, what the SDK does not model."""


def record(
    what: str, *, dropped: tuple[str, ...] = (), api1: bool = True
) -> Callable[[type[T]], type[T]]:
    """Register an attrs class as a record; ``dropped`` keys are neither read nor kept.

    ``what`` names one record in errors; ``api1=False``: api1 has no such record.
    """

    def register(cls: type[T]) -> type[T]:
        _refuse_init_logic(cls)
        fields, has_extra = [], False
        for attribute in attrs.fields(cls):  # type: ignore[arg-type] # an attrs class
            has_extra |= attribute.metadata.get(_EXTRA, False)
            declared: Optional[tuple[Kind, Any, Any, bool]] = attribute.metadata.get(_WIRE)
            if declared is not None:
                kind, key1, key2, strict = declared
                name = attribute.name
                if strict is (attribute.default is not attrs.NOTHING):
                    raise TypeError(f"{cls.__name__}.{name}: strict xor a default")
                fields.append(
                    Field(
                        name,
                        kind,
                        None if not api1 else name if key1 is SAME else key1,
                        name if key2 is SAME else key2,
                        strict,
                    )
                )
        keys = {key for field in fields for key in field.keys}
        _SCHEMAS[cls] = Schema(
            cls, what, tuple(fields), has_extra, frozenset(keys) | frozenset(dropped)
        )
        return cls

    return register


def _refuse_init_logic(cls: type) -> None:
    """A record's ``__init__`` may only store its values: the fast parser in :mod:`.decode`
    builds records without calling it, and a check there would run on one path only."""
    hooks = [hook for hook in ("__attrs_pre_init__", "__attrs_post_init__") if hasattr(cls, hook)]
    for attribute in attrs.fields(cls):
        if attribute.validator is not None:
            hooks.append(f"a validator on {attribute.name!r}")
        if attribute.converter is not None:
            hooks.append(f"a converter on {attribute.name!r}")
    if hooks:
        raise TypeError(
            f"record {cls.__name__} has {', '.join(hooks)}: a record's parsers build it "
            "without __init__, so declare the check as the field's Kind (see Kind) instead"
        )


def schema_of(cls: type) -> Schema:
    """The declaration of a record class."""
    return _SCHEMAS[cls]
