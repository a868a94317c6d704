"""The server's clock for everything security decides by time: lockouts, rate windows, one-time
codes, login steps, step-ups and liveness challenges. Tests freeze it by replacing `source`."""

from __future__ import annotations

import time
from collections.abc import Callable

source: Callable[[], float] = time.time


def now() -> float:
    """Seconds since the epoch, from `source`."""
    return source()
