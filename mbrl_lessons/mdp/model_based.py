"""Tabular model-based RL: learn P_hat, R_hat from real steps, plan, act (ch. 3).

The loop is the simplest complete model-based agent:

1. act epsilon-greedily with respect to the Q-values the planner produced;
2. add the real transition to the counts of a :class:`TabularModel`;
3. every ``replan_every`` real steps, solve the learned MDP by value iteration.

Untried ``(s, a)`` pairs are *optimistic* by default (R-max style): the model
says they pay ``optimism`` per step forever, so the planner sends the agent to
try them.  That turns exploration from a random walk into a plan, which is a
large part of why the agent needs so few real steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.mdp.dp import value_iteration
from mbrl_lessons.mdp.learning import TabularModel, epsilon_greedy


@dataclass(frozen=True)
class ModelBasedConfig:
    """Settings of the tabular model-based agent."""

    total_steps: int = 5_000
    """Real environment steps to take."""
    gamma: float = 0.95
    """Discount factor used by the planner."""
    epsilon: float = 0.1
    """Exploration rate of the epsilon-greedy behaviour policy."""
    replan_every: int = 10
    """Solve the learned MDP again after this many real steps."""
    unvisited: str = "optimistic"
    """Rule for untried pairs (see :class:`TabularModel`)."""
    optimism: float = 0.0
    """Per-step reward the model promises for an untried pair (the largest
    reward the task can pay; 0 on the chapter's grid, where steps cost -1)."""
    record_every: int = 100
    """Store a copy of the planned Q every this many real steps."""


class ModelBasedResult(NamedTuple):
    Q: np.ndarray                # [S, A] planned Q of the final model
    record_steps: np.ndarray     # [K]
    Q_history: np.ndarray        # [K, S, A]
    episode_returns: list[float]
    model: TabularModel


def model_based_rl(env, cfg: ModelBasedConfig = ModelBasedConfig(),
                   seed: SeedLike = 0) -> ModelBasedResult:
    """Run the learn-a-model-then-plan loop for ``cfg.total_steps`` real steps."""
    rng = make_rng(seed)
    S, A = env.observation_space.n, env.action_space.n
    model = TabularModel(S, A, unvisited=cfg.unvisited, unvisited_reward=cfg.optimism)
    Q = value_iteration(model.to_mdp(cfg.gamma), tol=1e-6).Q
    steps, history, returns = [], [], []
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    ep_return = 0.0
    for t in range(1, cfg.total_steps + 1):
        act = epsilon_greedy(Q[obs], cfg.epsilon, rng)
        next_obs, rew, terminated, truncated, _ = env.step(act)
        model.update(obs, act, rew, next_obs, terminated)
        ep_return += rew
        obs = next_obs
        if terminated or truncated:
            returns.append(ep_return)
            ep_return = 0.0
            obs, _ = env.reset()
        if t % cfg.replan_every == 0:
            Q = value_iteration(model.to_mdp(cfg.gamma), tol=1e-6).Q
        if t % cfg.record_every == 0:
            steps.append(t)
            history.append(Q.copy())
    return ModelBasedResult(Q, np.array(steps), np.array(history), returns, model)
