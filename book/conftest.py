"""nbval runs of these notebooks: per-notebook timing and the FAST time limit."""

from mbrl_lessons.core.nbtime import (  # noqa: F401  (pytest hooks)
    pytest_runtest_logreport,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
