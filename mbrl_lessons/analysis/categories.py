"""Chapter 3's one experiment: planning vs model-free vs model-based.

Same grid world, same seeds, three ways to get a policy:

- **planning**: value iteration with the TRUE model (no real steps at all);
- **model-free**: Q-learning from real steps;
- **model-based**: learn the tabular model from real steps and plan with it.

Policy quality is measured the same way for all: the true value, at the start
state, of the greedy policy the method holds at that moment, evaluated exactly
on the true MDP.  "Steps to optimal" is the first recorded real step after
which that value stays within ``tol`` of ``V*`` for the rest of the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng, spawn_seeds
from mbrl_lessons.core.types import LearningCurve
from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import (
    ModelBasedConfig,
    QLearningConfig,
    TabularMDP,
    greedy_policy,
    model_based_rl,
    policy_evaluation_exact,
    q_learning,
    value_iteration,
)


@dataclass(frozen=True)
class CategoriesConfig:
    """The chapter-3 comparison."""

    slip: float = 0.1
    """Slip probability of the grid (the default layout)."""
    gamma: float = 0.95
    """Discount factor of the task, shared by every method."""
    total_steps: int = 30_000
    """Real steps given to each learning method."""
    record_every: int = 100
    """Measure policy quality every this many real steps."""
    n_seeds: int = 10
    """Independent runs per method (same seeds for both learners)."""
    seed: int = 0
    """Master seed from which the per-run seeds are drawn."""
    tol: float = 0.05
    """A greedy policy counts as optimal when its true start value is within
    ``tol`` of V* (a twentieth of one step's cost: near-ties between routes
    that differ by less are noise in a learned model, not a worse policy)."""
    hold: int = 2_000
    """...and stays so for this many further real steps."""
    q_learning: QLearningConfig = field(default_factory=lambda: QLearningConfig(
        alpha=0.2, epsilon=0.1))
    """Settings of the model-free learner (steps/gamma are overridden)."""
    model_based: ModelBasedConfig = field(default_factory=ModelBasedConfig)
    """Settings of the model-based learner (steps/gamma are overridden)."""


class CategoriesResult(NamedTuple):
    v_star: float                        # optimal value at the start state
    curves: dict[str, LearningCurve]     # method -> quality vs real steps
    steps_to_optimal: dict[str, np.ndarray]  # method -> [n_seeds] (nan = never)
    ratio: float                         # mean MB steps / mean QL steps


def make_env(cfg: CategoriesConfig) -> GridWorld:
    return GridWorld(slip=cfg.slip)


def start_values(true_mdp: TabularMDP, Q_history: np.ndarray, start: int) -> np.ndarray:
    """True value at ``start`` of the greedy policy of each ``Q`` in the history."""
    return np.array([policy_evaluation_exact(true_mdp, greedy_policy(Q))[start]
                     for Q in Q_history])


def steps_to_optimal(steps: np.ndarray, values: np.ndarray, v_star: float,
                     tol: float, hold: int) -> float:
    """First recorded step from which ``values`` stays within ``tol`` of
    ``v_star`` for ``hold`` more steps (``nan`` if that never happens)."""
    ok = np.abs(values - v_star) <= tol
    for i in np.flatnonzero(ok):
        window = (steps >= steps[i]) & (steps <= steps[i] + hold)
        if steps[i] + hold <= steps[-1] and ok[window].all():
            return float(steps[i])
    return float("nan")


def run(cfg: CategoriesConfig = CategoriesConfig(), progress: bool = True
        ) -> CategoriesResult:
    """Run the three methods on the same grid and seeds."""
    env = make_env(cfg)
    true_mdp = TabularMDP.from_env(env, cfg.gamma)
    start = env.start_states[0]
    v_star = float(value_iteration(true_mdp, tol=1e-10).V[start])
    qcfg = QLearningConfig(**{**cfg.q_learning.__dict__, "total_steps": cfg.total_steps,
                              "gamma": cfg.gamma, "record_every": cfg.record_every})
    mcfg = ModelBasedConfig(**{**cfg.model_based.__dict__,
                               "total_steps": cfg.total_steps, "gamma": cfg.gamma,
                               "record_every": cfg.record_every})
    seeds = spawn_seeds(make_rng(cfg.seed), cfg.n_seeds)
    values = {"Q-learning": [], "model-based": []}
    steps = None
    for seed in tqdm(seeds, desc="seeds", disable=not progress, leave=False):
        for name, algo, c in (("Q-learning", q_learning, qcfg),
                              ("model-based", model_based_rl, mcfg)):
            res = algo(make_env(cfg), c, seed=seed)
            steps = res.record_steps
            values[name].append(start_values(true_mdp, res.Q_history, start))
    curves = {name: LearningCurve(steps, np.array(v), label=name)
              for name, v in values.items()}
    # planning with the true model is optimal before any real step
    curves["planning (true model)"] = LearningCurve(
        steps, np.full((cfg.n_seeds, len(steps)), v_star), label="planning")
    to_opt = {name: np.array([steps_to_optimal(steps, v, v_star, cfg.tol, cfg.hold)
                              for v in vals]) for name, vals in values.items()}
    to_opt["planning (true model)"] = np.zeros(cfg.n_seeds)
    # a run that never became optimal counts as needing the whole budget (and
    # more): this favours Q-learning in the ratio, never model-based
    ql = np.nan_to_num(to_opt["Q-learning"], nan=float(cfg.total_steps))
    mb = np.nan_to_num(to_opt["model-based"], nan=float(cfg.total_steps))
    return CategoriesResult(v_star, curves, to_opt, float(mb.mean() / ql.mean()))
