"""MBRL Lessons: the reference package of the model-based RL textbook.

Importing the package registers the teaching environments with gymnasium under
the ``mbrl_lessons/`` namespace (see :mod:`mbrl_lessons.envs`).
"""

from mbrl_lessons import envs as _envs  # noqa: F401  (registers the envs)
from mbrl_lessons.core.budget import budget, is_fast
from mbrl_lessons.core.seeding import make_rng, torch_generator

__version__ = "0.1.0"
__all__ = ["budget", "is_fast", "make_rng", "torch_generator", "__version__"]
