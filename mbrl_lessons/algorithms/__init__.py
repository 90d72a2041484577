"""Complete model-based algorithms, all called ``train(env, cfg, *,
progress=False) -> Result`` (the seed inside ``cfg``).

:mod:`mbrl_lessons.algorithms.registry` names every algorithm of the book
(``REGISTRY``) and ``python -m mbrl_lessons.run`` trains any of them.  Chapter
4's basic schemes are exported here; chapter 7's algorithms each have a module
of their own with its own ``train``: ``world_models``, ``pets``, ``sac`` and
``mbpo``, ``dreamer``, ``muzero``, ``alphazero``; ``tabular`` gives the
chapter 2, 3 and 6 algorithms the same signature.
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
