"""Start and stop helper processes (DynamoDB Local, moto, chalice local) without orphans.

Every helper runs in its own session, so it is the leader of its own process group:
- a Ctrl-C in the terminal reaches only our orchestrator, which then stops the helpers
  in a known order instead of letting each die half-way through a request;
- stopping a helper signals its whole group, so nothing it forked survives it.

On Linux each helper also asks the kernel for SIGTERM when its parent dies
(PR_SET_PDEATHSIG), so even a SIGKILLed orchestrator or test run leaves no java behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO, Callable, Mapping, Sequence

_PR_SET_PDEATHSIG = 1


def _die_with_parent_hook() -> Callable[[], None] | None:
    """Return a preexec_fn that makes the child receive SIGTERM when its parent dies.

    libc is loaded here, in the parent, so the child only makes one system call
    between fork and exec (the safe subset of what preexec_fn may do).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def spawn_process_group(
    command: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    output: IO[bytes] | int | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new process group.

    ``output`` receives both stdout and stderr; ``None`` inherits the terminal.
    """
    return subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=subprocess.STDOUT if output is not None else None,
        start_new_session=True,
        preexec_fn=_die_with_parent_hook(),
    )


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_process_group(process: subprocess.Popen[bytes], grace_seconds: float = 10.0) -> int:
    """Terminate ``process`` and its group; SIGKILL whatever is left after the grace period.

    Safe to call more than once and on a process that already exited. Returns the exit code.
    """
    if process.poll() is None:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
    # The leader is gone; make sure nothing it started outlives it (no-op if the group is empty).
    _signal_group(process, signal.SIGKILL)
    return process.returncode
