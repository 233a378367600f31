"""Coverage-guided fuzzing of the webhook functions with atheris.

    pip install -e ".[fuzz]"
    python fuzz/fuzz_webhooks.py -max_total_time=60        # libFuzzer options follow

It feeds arbitrary bytes to ``parse_payload`` and ``verify_signature`` and fails on any
exception other than ``PayloadError``; ``verify_signature`` must always return a bool.
"""

from __future__ import annotations

import contextlib
import sys

import atheris

with atheris.instrument_imports():
    import wisepops
    from wisepops import PayloadError

KEY = "fuzz-key"


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    header = provider.ConsumeUnicodeNoSurrogates(80)
    body = provider.ConsumeBytes(provider.remaining_bytes())
    with contextlib.suppress(PayloadError):
        wisepops.parse_payload(body)
    if wisepops.verify_signature(body, header, KEY) not in (True, False):
        raise AssertionError("verify_signature returned a non-bool")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
