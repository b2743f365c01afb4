"""CPU time and memory of the generator and of the server under test (Linux /proc).

Why from /proc and not psutil: two small files per sample are enough, and no dependency
is added. The server's CPU is the `utime + stime` of the process and of its live
descendants (a server may run worker processes) plus `cutime + cstime` (children that
have exited), so it is right for one process or several. Memory is `VmHWM` (peak
resident set) and `VmRSS` of the process itself.
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def own_cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    # the command name (field 2) may hold spaces and parentheses: split after the last ")"
    return text.rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    """Direct children of `pid`: from /proc/PID/task/*/children when the kernel has it,
    else by scanning every process's parent id."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
        for task in tasks:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found.extend(int(child) for child in children.read().split())
        return found
    except OSError:
        pass
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(int(entry))[1]) == pid:
                    found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and all its live descendants."""
    tree = [pid]
    index = 0
    while index < len(tree):
        tree.extend(_children(tree[index]))
        index += 1
    return tree


def server_exists(pid: int) -> bool:
    return os.path.exists(f"/proc/{pid}/stat")


def server_cpu_seconds(pid: int) -> float | None:
    """CPU seconds used by `pid` and its descendants (live and exited); None when the
    process is gone or /proc is not there."""
    total_ticks = 0
    try:
        for index, member in enumerate(process_tree(pid)):
            try:
                fields = _stat_fields(member)
            except OSError:
                if index == 0:
                    raise
                continue  # a child that just exited: counted in cutime from now on
            # fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17
            total_ticks += int(fields[11]) + int(fields[12])
            if index == 0:
                total_ticks += int(fields[13]) + int(fields[14])
    except (OSError, IndexError, ValueError):
        return None
    return total_ticks / _CLOCK_TICKS


@dataclass(frozen=True)
class Memory:
    """Resident memory of one process in KiB."""

    hwm_kib: int
    rss_kib: int


def server_memory(pid: int) -> Memory | None:
    """VmHWM and VmRSS of `pid`; None when unreadable."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmHWM", "VmRSS"):
                    values[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if "VmHWM" not in values or "VmRSS" not in values:
        return None
    return Memory(hwm_kib=values["VmHWM"], rss_kib=values["VmRSS"])
