"""Moved to :mod:`mbrl_lessons.algorithms.muzero` (MuZero is a complete
algorithm; ``search/`` holds searches only).  This alias keeps old imports
working while parallel branches migrate; new code imports from
``mbrl_lessons.algorithms.muzero`` and ``mbrl_lessons.search.puct``."""

from mbrl_lessons.algorithms.muzero import *  # noqa: F403
from mbrl_lessons.algorithms.muzero import __all__ as _muzero_all
from mbrl_lessons.search.puct import *  # noqa: F403
from mbrl_lessons.search.puct import __all__ as _puct_all

__all__ = [*_muzero_all, *_puct_all]
