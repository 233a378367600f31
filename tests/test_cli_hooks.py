"""wisepops/_cli/hooks.py: ``wisepops hooks create|delete``, on api2 and on api1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from wisepops._cli import main
from wisepops.testing import FakeWisepops

from .cli import run_main
from .websites import TwoWebsites


def test_hooks_create_prints_the_id_and_delete_removes_it(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_main(
        capsys, "hooks", "create", "https://example.com/h", "--event", "phone", "--wisepop-id", "3"
    )
    assert status == 0
    (hook,) = fake.hooks
    assert out == f"{hook.id}\n"
    assert (hook.event, hook.wisepop_id) == ("phone", 3)
    assert run_main(capsys, "hooks", "delete", out.strip())[0] == 0
    assert fake.hooks == []


def test_hooks_on_api1(fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(capsys, "hooks", "create", "https://example.com/h", "--api", "v1")[0] == 0
    assert fake.requests[-1].url.path == "/api1/hooks"
    status, _, err = run_main(
        capsys, "hooks", "create", "https://example.com/h", "--api", "v1", "--event", "survey"
    )
    assert status == 2
    assert "event must be one of email on api1" in err


# --- `wisepops hooks list` and `wisepops hooks ensure`, through main() and

KEY = "cli-hooks-key-0123456789"
URL = "https://example.com/wisepops/webhook"


@pytest.fixture
def fake() -> FakeWisepops:
    return FakeWisepops(api_key=KEY)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert KEY not in out + err
    return status, out, err


def test_list_is_a_table_of_id_event_popup_and_url(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake.client() as client:
        for n in range(9):
            client.v2.hooks.create(f"https://example.com/h{n}")
        client.v2.hooks.create("https://example.com/wisepops/phone", "phone", wisepop_id=12345)
    status, out, err = run(capsys, "hooks", "list")
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "ID  EVENT  POP-UP  URL"
    assert lines[1] == " 1  email  all     https://example.com/h0"
    assert lines[-1] == "10  phone  12345   https://example.com/wisepops/phone"
    assert len(lines) == 11


def test_list_json_is_for_scripts(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake.client() as client:
        client.v2.hooks.create(URL, "survey", wisepop_id=7)
    status, out, _ = run(capsys, "hooks", "list", "--json")
    assert status == 0
    assert json.loads(out) == [
        {"website": "default", "id": 1, "target_url": URL, "event": "survey", "wisepop_id": 7}
    ]


def test_list_of_no_hooks_says_so_on_stderr(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "hooks", "list")
    assert (status, out) == (0, "")
    assert err == "wisepops: no hooks; create one with 'wisepops hooks ensure URL'\n"


def test_ensure_prints_the_same_id_every_time_and_creates_one_hook(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("hooks", "ensure", URL, "--event", "phone", "--wisepop-id", "3")
    first, again = run(capsys, *argv), run(capsys, *argv)
    assert first == (0, "1\n", "wisepops: created hook 1\n")
    assert again == (0, "1\n", "wisepops: found hook 1\n")
    (hook,) = fake.hooks
    assert (hook.id, hook.target_url, hook.event, hook.wisepop_id) == (1, URL, "phone", 3)


def test_ensure_after_a_dropped_answer_creates_one_hook(
    fake: FakeWisepops, served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.disconnect_next(after_processing=True, path="/api2/hooks", after=1)  # the POST
    assert run(capsys, "hooks", "ensure", URL) == (0, "1\n", "wisepops: created hook 1\n")
    assert len(fake.hooks) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["ensure", "not-a-url"], "target_url must be an absolute http(s) URL"),
        (["ensure", URL, "--wisepop-id", "0"], "argument --wisepop-id: must be 1 or more"),
        (["ensure", URL, "--event", "sms"], "argument --event: invalid choice: 'sms'"),
        (["create", URL, "--api", "v1", "--event", "phone"], "event must be one of email"),
        (["delete", "0"], "argument id: must be 1 or more, got 0"),
        (["list", "--base-url", "app.wisepops.com"], "base_url must be an absolute"),
    ],
)
def test_arguments_the_command_refuses_exit_2_like_argparse(
    fake: FakeWisepops,
    served: str,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    try:
        status = main(["hooks", *argv])
    except SystemExit as exited:  # argparse's own refusals
        status = int(str(exited.code))
    err = capsys.readouterr().err
    command = f"wisepops hooks {argv[0]}"
    assert status == 2
    assert err.startswith(f"{command}: error: ")
    assert message in err
    assert err.endswith(f" (see {command} --help)\n")
    assert err.count("\n") == 1
    assert fake.requests == []


def test_list_and_ensure_as_real_processes(fake: FakeWisepops) -> None:
    with fake.serve() as url:
        env = {**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": url}

        def wisepops(*argv: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", "wisepops", *argv]
            return subprocess.run(command, env=env, capture_output=True, text=True, check=False)

        ensured = [wisepops("hooks", "ensure", URL, "--event", "survey") for _ in range(2)]
        listed = wisepops("hooks", "list")
        refused = wisepops("hooks", "ensure", "example.com/hook")
    assert [(done.returncode, done.stdout, done.stderr) for done in ensured] == [
        (0, "1\n", "wisepops: created hook 1\n"),
        (0, "1\n", "wisepops: found hook 1\n"),
    ]
    assert listed.stdout == f"ID  EVENT   POP-UP  URL\n 1  survey  all     {URL}\n"
    assert refused.returncode == 2
    assert refused.stderr.startswith("wisepops hooks ensure: error: target_url must be")
    assert "Traceback" not in refused.stderr
    assert len(fake.hooks) == 1


# --- every website of WISEPOPS_WEBSITES, on one base URL


@pytest.fixture
def sites(monkeypatch: pytest.MonkeyPatch) -> Iterator[TwoWebsites]:
    sites = TwoWebsites()
    with sites.serve() as url:
        monkeypatch.setenv("WISEPOPS_BASE_URL", url)
        monkeypatch.setenv("WISEPOPS_WEBSITES", sites.variable)
        yield sites


PER_WEBSITE = "https://example.com/wisepops/webhook/{website}"


def test_ensure_with_website_twice_makes_one_hook_per_website_at_its_url(
    sites: TwoWebsites, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_main(capsys, "hooks", "ensure", PER_WEBSITE)
    again = run_main(capsys, "hooks", "ensure", PER_WEBSITE)
    assert first == (
        0,
        "shop-fr: 1\nshop-de: 1\n",
        "wisepops: shop-fr: created hook 1\nwisepops: shop-de: created hook 1\n",
    )
    assert again[1:] == (first[1], first[2].replace("created", "found"))
    for name, fake in sites.fakes.items():
        assert [h.target_url for h in fake.hooks] == [PER_WEBSITE.format(website=name)]


def test_list_shows_each_websites_hooks_in_a_website_column(
    sites: TwoWebsites, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(capsys, "hooks", "create", PER_WEBSITE, "--website", "shop-de")[1] == "1\n"
    assert sites.fakes["shop-fr"].hooks == []
    run_main(capsys, "hooks", "create", URL)
    status, out, _ = run_main(capsys, "hooks", "list")
    assert status == 0
    assert out.splitlines() == [
        "WEBSITE  ID  EVENT  POP-UP  URL",
        f"shop-fr   1  email  all     {URL}",
        "shop-de   1  email  all     https://example.com/wisepops/webhook/shop-de",
        f"shop-de   2  email  all     {URL}",
    ]
    status, out, _ = run_main(capsys, "hooks", "list", "--json", "--website", "shop-fr")
    assert [h["website"] for h in json.loads(out)] == ["shop-fr"]


def test_delete_among_several_websites_must_say_which(
    sites: TwoWebsites, capsys: pytest.CaptureFixture[str]
) -> None:
    run_main(capsys, "hooks", "create", URL)
    status, _, err = run_main(capsys, "hooks", "delete", "1")
    assert status == 2
    assert "a hook's id is one website's: say which with --website NAME" in err
    assert run_main(capsys, "hooks", "delete", "1", "--website", "shop-de")[0] == 0
    assert (len(sites.fakes["shop-fr"].hooks), len(sites.fakes["shop-de"].hooks)) == (1, 0)


def test_a_website_whose_key_is_refused_is_named(
    sites: TwoWebsites, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WISEPOPS_WEBSITES", f"{sites.variable},shop-it=it-key-0123456789")
    status, _, err = run_main(capsys, "hooks", "list")
    assert status == 1
    assert err == (
        "wisepops: error: shop-it: WisePops rejected the API key (401): check its key in "
        "$WISEPOPS_WEBSITES\n"
    )
