"""Child processes that do not outlive the process that started them.

`make run` starts nats-server and every service as children, and tests start nats-servers.
When the parent stops normally it stops them; when it is killed (SIGKILL, a test run killed
on a timeout) nothing would, and they would keep their ports and stores. On Linux the kernel
can send a child a signal when its parent dies (prctl PR_SET_PDEATHSIG), set between fork
and exec. Elsewhere there is no such guard and the parent's own stop is the only one.
"""

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Resolved once here: the child, between fork and exec, should do as little as it can.
_prctl = (
    getattr(ctypes.CDLL(None, use_errno=True), "prctl", None) if sys.platform == "linux" else None
)


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when this process dies (Linux)."""
    if _prctl is None:
        return None
    return functools.partial(_arm, os.getpid())


def _arm(parent: int) -> None:
    assert _prctl is not None
    _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the line above: nobody stops us
        os._exit(1)
