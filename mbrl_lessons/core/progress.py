"""Progress bars: tqdm's, switched off where nobody can watch them.

Long work shows a tqdm bar (a widget in Jupyter and Colab, text in a
terminal).  A book build executes the notebooks and saves their outputs into
static pages, where a bar is only a frozen or empty box, so the Makefile's
book builds set ``MBRL_LESSONS_NO_PROGRESS=1`` and every bar of the package is
then disabled, even one a caller asked for with ``progress=True`` (tqdm's own
``TQDM_DISABLE`` cannot override an explicit ``disable=False``).
"""

from __future__ import annotations

import os
from typing import Any

from tqdm.auto import tqdm as _tqdm

__all__ = ["progress_disabled", "tqdm"]


def progress_disabled() -> bool:
    """True when ``MBRL_LESSONS_NO_PROGRESS`` is set to anything but ``0``."""
    return os.environ.get("MBRL_LESSONS_NO_PROGRESS", "") not in ("", "0")


class tqdm(_tqdm):  # noqa: N801 - a drop-in for tqdm.auto.tqdm
    """``tqdm.auto.tqdm``, disabled in book builds (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if progress_disabled():
            kwargs["disable"] = True
        super().__init__(*args, **kwargs)
