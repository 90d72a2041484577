"""A pytest plugin for nbval runs: time each notebook and enforce the FAST limit.

Loaded by ``conftest.py`` files in ``book/`` and ``solutions/``.  It adds up the
run time of every cell of a notebook, prints a table at the end, and fails the
session when a notebook exceeds ``MBRL_LESSONS_NB_LIMIT`` seconds (default
120: the FAST promise of the design).
"""

from __future__ import annotations

import os
from collections import defaultdict

_TIMES: dict[str, float] = defaultdict(float)
_SEEN: set[tuple[str, str]] = set()  # two conftest files import these hooks


def limit_seconds() -> float:
    return float(os.environ.get("MBRL_LESSONS_NB_LIMIT", "120"))


def pytest_runtest_logreport(report) -> None:
    key = (report.nodeid, report.when)
    if key in _SEEN:
        return
    _SEEN.add(key)
    if str(report.fspath).endswith(".ipynb"):
        _TIMES[str(report.fspath)] += report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if not _TIMES or getattr(terminalreporter, "_mbrl_nbtime_done", False):
        return
    terminalreporter._mbrl_nbtime_done = True
    terminalreporter.section("notebook run times (FAST)")
    for path, seconds in sorted(_TIMES.items(), key=lambda kv: -kv[1]):
        flag = "  OVER LIMIT" if seconds > limit_seconds() else ""
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}{flag}")


def pytest_sessionfinish(session, exitstatus) -> None:
    slow = {p: s for p, s in _TIMES.items() if s > limit_seconds()}
    if slow and exitstatus == 0:
        session.exitstatus = 1
