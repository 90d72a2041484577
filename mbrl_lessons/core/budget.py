"""FAST / full run sizes.

Every experiment in the book asks this one helper how big to be.  With the
environment variable ``MBRL_LESSONS_FAST=1`` (set by ``make test`` and CI) it
returns the FAST size, which keeps each notebook under about two minutes on two
CPU cores while still showing the effect; otherwise the full size, which
reproduces the headline numbers (``make reproduce``).
"""

from __future__ import annotations

import os
from typing import TypeVar

T = TypeVar("T")

FAST_ENV_VAR = "MBRL_LESSONS_FAST"


def is_fast() -> bool:
    """True when ``MBRL_LESSONS_FAST`` is set to a truthy value (1, true, yes)."""
    value = os.environ.get(FAST_ENV_VAR, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on"):
        return True
    raise ValueError(
        f"{FAST_ENV_VAR}={os.environ[FAST_ENV_VAR]!r} is not understood; "
        "use 1 (FAST) or 0 (full)."
    )


def budget(fast: T, full: T) -> T:
    """Return ``fast`` in FAST mode and ``full`` otherwise.

    >>> budget(fast=2_000, full=50_000)  # doctest: +SKIP
    2000
    """
    return fast if is_fast() else full


def budget_name() -> str:
    """``"fast"`` or ``"full"``: written into every results file."""
    return "fast" if is_fast() else "full"
