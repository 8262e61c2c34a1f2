"""Wait on a condition with a deadline instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path


def wait_for(
    predicate: Callable[[], object],
    timeout: float,
    what: str = "the condition",
    *,
    interval: float = 0.05,
    log: Path | None = None,
) -> None:
    """Poll `predicate` until it is true; fail with `what` (and the tail of `log`) after `timeout`
    seconds. An exception of the predicate is not caught: wrap it when it is expected."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            tail = log.read_text()[-3000:] if log is not None and log.exists() else ""
            raise AssertionError(f"timeout waiting for {what}\n{tail}".rstrip())
        time.sleep(interval)
