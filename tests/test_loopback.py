"""The loopback server behind `webhook listen`, the demo and `FakeWisepops.serve()`."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import httpx

# A server whose process ends as soon as it is closed, while an answer is still on its way:
# what `wisepops webhook listen --count N` does after the N-th delivery.
CLOSE_THEN_EXIT = textwrap.dedent(
    """
    import threading, time
    import httpx
    from wisepops._loopback import LoopbackServer

    entered = threading.Event()

    def handler(request):
        entered.set()
        time.sleep(0.3)
        return httpx.Response(200, text="answered")

    with LoopbackServer(handler) as server:
        print(server.url, flush=True)
        entered.wait()
    """
)


def test_closing_waits_for_the_answers_in_flight() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", CLOSE_THEN_EXIT], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        with httpx.Client(trust_env=False) as client:
            response = client.post(url + "/hook", content=b"[]", timeout=10)
        assert (response.status_code, response.text) == (200, "answered")
        assert server.wait(timeout=10) == 0
    finally:
        server.kill()
        server.communicate()
