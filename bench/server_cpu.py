"""CPU time spent serving a run, read from /proc (Linux): the app server the bench started
with its workers, and PostgreSQL's processes; and the bench's own (the load generator's).

The load generator runs on the same cores as the server, so a rate measures both. CPU time
per request splits them: what each request cost the server itself, and what it cost the
load. It is no steadier than the rates on a shared machine (a busy host slows every
instruction), so compare the two loads of one run, as the rates are compared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

_TICK = os.sysconf("SC_CLK_TCK")


def _processes() -> Iterator[tuple[int, int, float, bytes]]:
    """(pid, parent pid, CPU seconds so far, command line) of every process."""
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
            with open(f"/proc/{name}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()  # the name in () may hold spaces
        yield int(name), int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK, cmdline


def serving(root: int) -> float:
    """CPU seconds used so far by process `root`, its descendants and PostgreSQL."""
    procs = list(_processes())
    children: dict[int, list[int]] = {}
    for pid, parent, _, _ in procs:
        children.setdefault(parent, []).append(pid)
    tree, todo = set(), [root]
    while todo:
        pid = todo.pop()
        tree.add(pid)
        todo.extend(children.get(pid, ()))
    return sum(cpu for pid, _, cpu, cmd in procs if pid in tree or cmd.startswith(b"postgres"))


class Meter:
    """`with Meter(server_pid) as m: run()`, then m.per_request(n): CPU ms per request."""

    def __init__(self, root: int):
        self.root = root
        self.server = self.client = 0.0

    def __enter__(self) -> Meter:
        self._server, self._client = serving(self.root), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.server = serving(self.root) - self._server
        self.client = time.process_time() - self._client

    def per_request(self, n: int) -> dict[str, float]:
        return {"server_cpu_ms": 1000 * self.server / n, "client_cpu_ms": 1000 * self.client / n}
