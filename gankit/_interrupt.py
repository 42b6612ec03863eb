"""Ctrl-C between pieces of work, never inside one.

Long calls run in chunks; :class:`Deferred` holds a KeyboardInterrupt that arrives while
a chunk runs or while its result is written, so the caller can stop cleanly between
chunks and raise it then, with everything done so far kept and consistent.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any


class Deferred:
    """A context in which SIGINT is recorded (``requested``) instead of raised.

    Only the main thread receives signals; elsewhere (a panel's worker thread) the
    context does nothing. Leaving it with a request pending raises KeyboardInterrupt.

    >>> with Deferred() as interrupt:
    ...     interrupt.requested
    False
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None
        self._active = False

    def _record(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True

    def __enter__(self) -> Deferred:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._record)
            self._active = True
        return self

    def __exit__(self, kind: Any, value: Any, traceback: Any) -> None:
        if self._active:
            signal.signal(signal.SIGINT, self._previous)
            self._active = False
        if self.requested and kind is None:
            raise KeyboardInterrupt
