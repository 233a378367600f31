"""What a user of the published package relies on: names, version, types, documentation."""

from __future__ import annotations

import importlib.metadata
import inspect
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import wisepops
import wisepops.db
import wisepops.resources
import wisepops.testing

DESIGN_NAMES = {
    "Client", "AsyncClient", "verify_signature", "sign", "parse_payload", "unwrap",
    "SIGNATURE_HEADER", "Contact", "Hook", "Popup", "Page", "WisepopsError", "APIError",
    "APIConnectionError", "APITimeoutError", "APIStatusError", "BadRequestError",
    "AuthenticationError", "PermissionDeniedError", "NotFoundError", "RateLimitError",
    "InternalServerError", "APIResponseValidationError", "PayloadError",
    "SignatureVerificationError", "Cursor",
    # DESIGN.md's websites: "one parser" (read_websites, WebsitesError) and the receivers'
    # routing by website (unwrap_website, UnknownWebsiteError)
    "read_websites", "WebsitesError", "unwrap_website", "UnknownWebsiteError",
}  # fmt: skip


def test_the_public_names_are_design_md_s() -> None:
    assert set(wisepops.__all__) == DESIGN_NAMES | {"__version__"}
    for name in wisepops.__all__:
        assert hasattr(wisepops, name), name


def test_one_version_everywhere() -> None:
    assert importlib.metadata.version("wisepops") == wisepops.__version__
    changelog = (Path(__file__).parent.parent / "CHANGELOG.md").read_text("utf-8")
    assert "## [Unreleased]" in changelog


def test_the_package_ships_its_types() -> None:
    assert (Path(wisepops.__file__).parent / "py.typed").is_file()


def public_objects(module: ModuleType) -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            found.append((f"{module.__name__}.{name}", obj))
            if inspect.isclass(obj):
                for member, value in vars(obj).items():
                    if not member.startswith("_") and inspect.isfunction(value):
                        found.append((f"{module.__name__}.{name}.{member}", value))
    return found


@pytest.mark.parametrize(
    ("name", "obj"),
    [item for module in (wisepops, wisepops.testing, wisepops.resources, wisepops.db)
     for item in public_objects(module)],
    ids=lambda value: value if isinstance(value, str) else "",
)  # fmt: skip
def test_every_public_name_has_a_docstring_with_an_example(name: str, obj: object) -> None:
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{name} has no docstring"
    if inspect.isclass(obj) and obj.__module__ == "wisepops.resources":
        return  # a resource's examples are on its methods
    assert "Example" in doc, f"{name}'s docstring has no example"


def test_import_wisepops_leaves_the_cli_the_fake_and_asyncio_for_later() -> None:
    """What only the CLI, wisepops.testing, the first async wait or an httpx2 client needs
    is imported then."""
    import subprocess
    import sys

    code = "import sys, wisepops; print(' '.join(sorted(sys.modules)))"
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert not loaded & {"wisepops._cli", "wisepops.testing", "wisepops._fake_api", "asyncio",
                         "http.server", "argparse", "csv", "anyio", "trio", "httpx2",
                         "wisepops._httpx2", "sqlalchemy", "wisepops.db"}  # fmt: skip


def test_the_test_suite_imports_where_there_is_no_pwd_module() -> None:
    """The Windows CI job: pwd is POSIX-only, and conftest imports tests/databases.py."""
    code = "import sys; sys.modules['pwd'] = None; import tests.conftest"
    root = Path(__file__).parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
