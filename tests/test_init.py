"""The package's top level: public classes are named ``wisepops.X`` wherever Python shows them."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import traceback
import typing

import attrs
import httpx
import pytest

import wisepops

PUBLIC_CLASSES = [
    getattr(wisepops, name)
    for name in wisepops.__all__
    if isinstance(getattr(wisepops, name), type)
]


def test_every_public_class_is_named_as_users_import_it() -> None:
    assert len(PUBLIC_CLASSES) == 23  # 2 clients, 4 records, a cursor, 16 errors
    for cls in PUBLIC_CLASSES:
        assert f"{cls.__module__}.{cls.__qualname__}" == f"wisepops.{cls.__name__}"
        assert getattr(wisepops, cls.__name__) is cls
    assert repr(wisepops.NotFoundError) == "<class 'wisepops.NotFoundError'>"
    assert repr(wisepops.Page[wisepops.Contact]) == "wisepops.Page[wisepops.Contact]"


def test_an_error_names_its_public_class() -> None:
    response = httpx.Response(404, request=httpx.Request("DELETE", "https://x/api2/hooks"))
    error = wisepops.NotFoundError("DELETE /api2/hooks returned 404", response=response, body=None)
    assert repr(error) == "NotFoundError('DELETE /api2/hooks returned 404')"
    assert traceback.format_exception_only(type(error), error) == [
        "wisepops.NotFoundError: DELETE /api2/hooks returned 404\n"
    ]


def test_an_uncaught_error_s_traceback_names_the_public_class() -> None:
    code = textwrap.dedent(
        """
        from wisepops.testing import FakeWisepops

        with FakeWisepops().client() as client:
            client.v2.hooks.delete(41)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]
    assert last.startswith("wisepops.NotFoundError: DELETE /api2/hooks returned 404 Not Found")
    assert "wisepops._errors" not in done.stderr


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda cls: cls.__name__)
def test_type_hints_still_resolve(cls: type) -> None:
    """``typing.get_type_hints`` reads names from ``__module__``: they were resolved first."""
    hints = typing.get_type_hints(cls)
    if attrs.has(cls):
        attrs.resolve_types(cls)
        for field in attrs.fields(cls):
            assert field.name in hints


def test_hook_type_hints_are_the_real_types() -> None:
    hints = typing.get_type_hints(wisepops.Hook)
    assert hints["id"] is int
    assert hints["wisepop_id"] == typing.Optional[int]


def test_records_still_pickle() -> None:
    (contact,) = wisepops.parse_payload(
        b'[{"collected_at": "2024-01-01T00:00:00Z", "wisepop_id": 1, "email": "a@example.com"}]'
    )
    hook = wisepops.Hook(id=1, target_url="https://example.com/h", event="email")
    assert pickle.loads(pickle.dumps(contact)) == contact
    assert pickle.loads(pickle.dumps(hook)) == hook
