"""A griffe extension: render the package's reST-flavoured docstrings as Markdown.

The docstrings are Google style, with two reST habits that read well in ``help()`` and
in an editor but not as Markdown: literal blocks introduced by ``::`` (``Example::``) and
roles such as ``:class:`Client```. Before mkdocstrings renders a docstring, this turns
each literal block into a fenced code block and each role into inline code, or into a
link to the reference when the role names a full ``wisepops.`` path. The source is left
as it is. mkdocs.yml loads it as ``docs/griffe_rst.py:ReSTRoles``.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

ROLE = re.compile(r":(?:class|meth|func|attr|mod|exc|data|obj):`(~?)([\w.]+)`")
SQL = re.compile(r"(?:INSERT|SELECT|CREATE|UPDATE|DELETE)\b")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    shown = target.rsplit(".", 1)[-1] if tilde else target.lstrip(".")
    if target.startswith("wisepops."):
        return f"[`{shown}`][{target}]"
    return f"`{shown}`"


def _language(block: str) -> str:
    if SQL.match(block):
        return "sql"
    if "├" in block:
        return "text"
    return "python"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def markdown(text: str) -> str:
    """The docstring ``text`` with its literal blocks fenced and its roles as code.

    Example::

        assert markdown("Example::\\n\\n    f()\\n") == "Example:\\n\\n```python\\nf()\\n```\\n"
    """
    lines = ROLE.sub(_role, text).split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.rstrip().endswith("::"):
            out.append(line)
            i += 1
            continue
        intro = line.rstrip()[:-2].rstrip()
        base = _indent(line)
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        end = j
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > base):
            end += 1
        while end > j and not lines[end - 1].strip():
            end -= 1
        if end == j:  # no indented block follows: not a literal block
            out.append(line)
            i += 1
            continue
        if intro.strip():
            out.append(intro + ":")
            out.append("")
        block = textwrap.dedent("\n".join(lines[j:end]))
        pad = " " * base
        out.append(f"{pad}```{_language(block)}")
        out.extend(pad + code if code else "" for code in block.split("\n"))
        out.append(f"{pad}```")
        i = end
    return "\n".join(out)


class ReSTRoles(griffe.Extension):
    """Rewrite every docstring, as loaded, with :func:`markdown`."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
