"""The documentation site (mkdocs.yml, docs/): what a build alone would not catch."""

from __future__ import annotations

import re
from pathlib import Path

import wisepops

ROOT = Path(__file__).parent.parent


def test_the_reference_page_documents_every_public_name() -> None:
    page = (ROOT / "docs" / "reference" / "wisepops.md").read_text("utf-8")
    documented = re.findall(r"^::: wisepops\.(\w+)$", page, flags=re.MULTILINE)
    assert sorted(documented) == sorted(wisepops.__all__)


def test_every_readme_section_the_docs_include_is_marked_once() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    starts = re.findall(r"<!-- --8<-- \[start:([\w-]+)\] -->", readme)
    ends = re.findall(r"<!-- --8<-- \[end:([\w-]+)\] -->", readme)
    assert starts == ends, "every section marker is closed, in order"
    assert len(set(starts)) == len(starts)
    included = {
        name
        for page in (ROOT / "docs").rglob("*.md")
        for name in re.findall(r'--8<-- "README\.md:([\w-]+)"', page.read_text("utf-8"))
    }
    assert included == set(starts), "a README section marked but never included, or vice versa"
