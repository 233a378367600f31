"""`wisepops popups`: the metrics table, its conversion column, its order, and --json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import respx

from wisepops._cli import main
from wisepops.testing import FakeWisepops

KEY = "cli-popups-key-0123456789"
BASE_URL = "https://popups.example"


@pytest.fixture
def fake() -> FakeWisepops:
    """Three pop-ups; 'Newsletter' collected 40 emails (and 5 phone numbers) of 1,200 displays."""
    fake = FakeWisepops(api_key=KEY)
    fake.add_popup("Newsletter", popup_id=12345, display_count=1200, click_count=96)
    fake.add_popup("Exit intent", popup_id=7, display_count=15_400, click_count=1_210)
    fake.add_popup("Draft", popup_id=99, activated=False)
    for n in range(40):
        fake.collect(email=f"u{n}@example.com", wisepop_id=12345)
    for n in range(5):
        fake.collect(wisepop_id=12345, fields={"phone": f"+3361234000{n}"})
    fake.collect(email="x@example.com", wisepop_id=7)
    return fake


def test_the_table_most_displayed_first_with_the_conversion_to_one_decimal(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["popups"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.splitlines() == [
        "   ID  LABEL        ACTIVE  DISPLAYS  CLICKS  EMAILS  CONVERSION",
        "    7  Exit intent  yes       15,400   1,210       1        0.0%",
        "12345  Newsletter   yes        1,200      96      40        3.3%",
        "   99  Draft        no             0       0       0           -",
    ]


def test_json_for_scripts_in_the_same_order_with_the_ratio(
    served: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["popups", "--json"]) == 0
    popups = json.loads(capsys.readouterr().out)
    assert [popup["id"] for popup in popups] == [7, 12345, 99]
    newsletter = popups[1]
    assert (newsletter["label"], newsletter["display_count"], newsletter["email_count"]) == (
        "Newsletter",
        1200,
        40,
    )
    assert newsletter["conversion"] == pytest.approx(40 / 1200)
    assert popups[2]["conversion"] is None  # nothing displayed: no rate


def answer(capsys: pytest.CaptureFixture[str], body: Any) -> list[str]:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/wisepops").respond(json=body)
        assert main(["popups", "--api-key", KEY, "--base-url", BASE_URL]) == 0
    out: str = capsys.readouterr().out
    return out.splitlines()


def test_what_wisepops_does_not_say_shows_as_a_dash_and_sorts_last(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = answer(
        capsys,
        [
            {"id": 1, "label": "No metrics"},
            {"id": 2, "label": "Shown", "display_count": 10, "email_count": 1},
            {"id": 3, "display_count": "20", "activated": 1},  # PHP's strings and 0/1
        ],
    )
    assert lines == [
        "ID  LABEL       ACTIVE  DISPLAYS  CLICKS  EMAILS  CONVERSION",
        " 3              yes           20       -       -           -",
        " 2  Shown       -             10       -       1       10.0%",
        " 1  No metrics  -              -       -       -           -",
    ]


def test_a_label_cannot_break_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    lines = answer(
        capsys,
        [
            {"id": 1, "label": "two\nlines", "display_count": 2},
            {"id": 2, "label": "ニュース", "display_count": 1},
        ],
    )
    # The newline is shown escaped; a wide character takes two columns of a terminal, so
    # four of them are padded as eight.
    assert lines == [
        "ID  LABEL       ACTIVE  DISPLAYS  CLICKS  EMAILS  CONVERSION",
        " 1  two\\nlines  -              2       -       -           -",
        " 2  ニュース    -              1       -       -           -",
    ]


def test_a_website_without_popups(capsys: pytest.CaptureFixture[str]) -> None:
    with respx.mock(base_url=BASE_URL) as mock:
        mock.get("/api2/wisepops").respond(json=[])
        assert main(["popups", "--api-key", KEY, "--base-url", BASE_URL]) == 0
    assert capsys.readouterr() == ("", "wisepops: this website has no pop-ups\n")


def test_popups_as_a_real_process(fake: FakeWisepops) -> None:
    with fake.serve() as url:
        done = subprocess.run(
            [sys.executable, "-m", "wisepops", "popups"],
            env={**os.environ, "WISEPOPS_API_KEY": KEY, "WISEPOPS_BASE_URL": url},
            capture_output=True,
            text=True,
            check=False,
        )
    assert (done.returncode, done.stderr) == (0, "")
    (newsletter,) = [line for line in done.stdout.splitlines() if "Newsletter" in line]
    assert newsletter.split() == ["12345", "Newsletter", "yes", "1,200", "96", "40", "3.3%"]
