"""Tabular MDPs: dynamic programming and learning from transitions (ch. 2–3)."""

from mbrl_lessons.mdp.dp import (
    EvalResult,
    PIResult,
    QVIResult,
    VIResult,
    as_stochastic,
    bellman_optimality_backup,
    greedy_policy,
    policy_evaluation,
    policy_evaluation_exact,
    policy_iteration,
    q_from_v,
    q_value_iteration,
    value_iteration,
)
from mbrl_lessons.mdp.learning import (
    QLearningConfig,
    QLearningResult,
    TabularModel,
    epsilon_greedy,
    estimate_mdp,
    q_learning,
)
from mbrl_lessons.mdp.model_based import (
    ModelBasedConfig,
    ModelBasedResult,
    model_based_rl,
)
from mbrl_lessons.mdp.tabular import TabularMDP

__all__ = [
    "EvalResult", "PIResult", "QVIResult", "VIResult", "TabularMDP", "TabularModel",
    "QLearningConfig", "QLearningResult", "as_stochastic", "bellman_optimality_backup",
    "epsilon_greedy", "estimate_mdp", "greedy_policy", "policy_evaluation",
    "policy_evaluation_exact", "policy_iteration", "q_from_v", "q_learning",
    "q_value_iteration", "value_iteration", "ModelBasedConfig", "ModelBasedResult",
    "model_based_rl",
]
