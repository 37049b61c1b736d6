"""The peak resident memory of this process, for the benchmarks' child processes.

from peak_memory import peak_rss_kib  # scripts/ is on sys.path when a script runs
"""

from __future__ import annotations

import resource
from pathlib import Path


def peak_rss_kib() -> int:
    """This process's own peak RSS in KiB: VmHWM on Linux, since ru_maxrss survives
    exec and would report a (large) parent's size instead; elsewhere ru_maxrss
    (KiB on Linux, bytes on macOS: the figure is as measured there)."""
    try:
        return int(Path("/proc/self/status").read_text().split("VmHWM:")[1].split()[0])
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
