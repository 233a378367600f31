"""``Client``'s attempts over a user's client, run in worker threads to end on time.

A blocked socket read cannot be interrupted from its own thread, and a user's client
reads through its own streams, which :mod:`._deadline` cannot bound: :func:`within` runs
an attempt in a worker, waits for it until its deadline, and then tells it to stop and
returns, whatever the worker is still blocked in.
"""

from __future__ import annotations

import contextvars
import os
import queue
import threading
from typing import Any, Callable, Optional, TypeVar

T = TypeVar("T")


class _Workers:
    """Threads that run ``Client``'s attempts, each reused once its attempt is done.

    Starting a thread per attempt would cost more than a whole attempt over a fast
    transport. A thread still in an attempt given up on is simply not idle; an idle one
    ends after :attr:`IDLE_SECONDS` without work.
    """

    IDLE_SECONDS = 60.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[tuple[Callable[[], None], threading.Event]]] = []

    def run(self, job: Callable[[], None], done: threading.Event) -> None:
        """Run ``job``, which must not raise, in an idle thread or a new one; set ``done``
        once the thread is idle again, so that the next attempt finds it."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            thread = threading.Thread(
                target=self._serve, args=(inbox,), name="wisepops-attempt", daemon=True
            )
            thread.start()
        inbox.put((job, done))

    def _serve(self, inbox: queue.SimpleQueue[tuple[Callable[[], None], threading.Event]]) -> None:
        while True:
            try:
                job, done = inbox.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # still idle: nobody can send it a job now
                        self._idle.remove(inbox)
                        return
                continue  # taken meanwhile: its job is on the way
            job()
            with self._lock:
                self._idle.append(inbox)
            done.set()

    def forget(self) -> None:
        """After a fork: the threads stayed in the parent."""
        self._lock, self._idle = threading.Lock(), []


_workers = _Workers()
if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_workers.forget)


def within(
    seconds: Optional[float], run: Callable[[], T], cancel: Callable[[], None]
) -> Optional[T]:
    """``run()`` in a worker thread, waited for ``seconds`` at most (``None``: no limit).

    ``None`` when it took longer: ``cancel()`` is then called to stop it. A blocked socket
    read cannot be interrupted otherwise, and the caller's call must end on time.
    """
    if seconds is None:
        return run()
    results: list[tuple[bool, Any]] = []
    done = threading.Event()
    context = contextvars.copy_context()  # the caller's context vars, as if run here

    def work() -> None:
        try:
            results.append((True, context.run(run)))
        except BaseException as exc:  # raised again in the caller
            results.append((False, exc))

    _workers.run(work, done)
    try:
        finished = done.wait(seconds)
    finally:
        if not done.is_set():  # late, or the caller was interrupted (Ctrl-C)
            cancel()
    if not finished:
        return None
    ok, value = results[0]
    if not ok:
        raise value
    result: T = value
    return result
