"""The README is also the project's page on PyPI, where a relative link leads nowhere; and its
examples run, against `wisepops fake` as a user would run them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

import wisepops

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


# --- every Python block that talks to the API runs against `wisepops fake` -----------------


class Block(NamedTuple):
    line: int
    source: str


def python_blocks() -> list[Block]:
    text = README.read_text("utf-8")
    return [
        Block(text.count("\n", 0, found.start()) + 2, found.group(1))
        for found in re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL)
    ]


NOT_RUN = {
    "from myapp import": "a test suite of the reader's own app, which is theirs to run",
    "INSTALLED_APPS": "a Django project's settings: tests/django_project is such a project",
}
"""Blocks that talk to the API but cannot run here, and why."""


def talks_to_the_api(block: Block) -> bool:
    return "client" in block.source.lower()


BLOCKS = [
    block
    for block in python_blocks()
    if talks_to_the_api(block) and not any(marker in block.source for marker in NOT_RUN)
]


def test_the_blocks_left_out_do_not_call_the_api_or_say_why() -> None:
    left_out = [block for block in python_blocks() if block not in BLOCKS]
    assert len(BLOCKS) >= 12
    for block in left_out:
        reasons = [reason for marker, reason in NOT_RUN.items() if marker in block.source]
        assert reasons or "wisepops.unwrap" in block.source, block.source


class Fake(NamedTuple):
    url: str
    key: str


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake]:
    """``wisepops fake`` as a reader starts it: the two lines it prints are the environment."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("WISEPOPS")}
    process = subprocess.Popen(
        [sys.executable, "-m", "wisepops", "fake", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(2)]
        exported = dict(line.removeprefix("export ").split("=", 1) for line in lines)
        yield Fake(exported["WISEPOPS_BASE_URL"], exported["WISEPOPS_API_KEY"])
    finally:
        process.kill()
        process.communicate()


class ForwardProxy:
    """An HTTP proxy on loopback, standing in for the one the httpx2 example names."""

    def __init__(self) -> None:
        self.forwarded: list[str] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy.forwarded.append(self.path)  # the absolute URL a proxy is sent
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.get(self.path, headers=headers, trust_env=False)
                self.send_response(answer.status_code)
                for name in ("Content-Type",):
                    self.send_header(name, answer.headers.get(name, "text/plain"))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: f"README.md:{block.line}")
def test_the_readme_example_runs_against_wisepops_fake(
    block: Block,
    fake: Fake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("WISEPOPS_BASE_URL", fake.url)
    if "read_websites" in block.source:  # as run where only WISEPOPS_WEBSITES is set
        monkeypatch.setenv("WISEPOPS_WEBSITES", f"shop-fr={fake.key}")
    else:
        monkeypatch.setenv("WISEPOPS_API_KEY", fake.key)
    monkeypatch.chdir(tmp_path)  # what a block writes, a leads.sqlite3 say, goes there
    source, proxy = block.source, None
    if "http://proxy.internal:3128" in source:
        proxy = ForwardProxy()
        source = source.replace("http://proxy.internal:3128", proxy.url)
    code = compile(source, f"README.md:{block.line}", "exec")
    with wisepops.Client(fake.key) as client:  # for blocks that use one made earlier in the text
        try:
            exec(code, {"__name__": "readme", "wisepops": wisepops, "client": client})  # noqa: S102
        finally:
            if proxy is not None:
                proxy.close()
    if proxy is not None:
        assert [url.partition("?")[0] for url in proxy.forwarded] == [f"{fake.url}/api2/contacts"]
    assert "Traceback" not in capsys.readouterr().err
