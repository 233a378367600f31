"""The README is also the project's page on PyPI, where a relative link leads nowhere."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
REPOSITORY = "https://github.com/wisepops-python/wisepops/blob/main/"


def test_every_link_of_the_readme_works_on_pypi_too() -> None:
    links = re.findall(r"\]\(([^)]+)\)", README.read_text("utf-8"))
    assert links
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == []
    for link in links:
        if link.startswith(REPOSITORY):  # a file of this repository: it must exist
            assert (README.parent / link.removeprefix(REPOSITORY)).exists(), link
