"""Complete model-based algorithms.

Chapter 4's basic schemes are exported here.  Chapter 7's algorithms each
have a module of their own, imported by name because each has its own
``train``: ``world_models``, ``pets``, ``sac`` and ``mbpo``, ``dreamer``,
``muzero`` (its tree search is ``mbrl_lessons.search.puct``).
"""

from mbrl_lessons.algorithms.schemes import (
    SchemeConfig,
    SchemeResult,
    model_return_loss,
    random_policy,
    v0_5,
    v1_0,
    v1_5_mpc,
    v2_0_backprop,
)

__all__ = ["SchemeConfig", "SchemeResult", "model_return_loss", "random_policy",
           "v0_5", "v1_0", "v1_5_mpc", "v2_0_backprop"]
