"""Complete model-based algorithms (chapter 4: the basic schemes)."""

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
