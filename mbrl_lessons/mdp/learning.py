"""Learning from real transitions: a tabular model and Q-learning (chapter 3).

:class:`TabularModel` is the maximum-likelihood model of a finite MDP:
``P_hat(s'|s, a) = N(s, a, s') / N(s, a)`` and ``R_hat(s, a)`` the mean reward
seen after ``(s, a)``.  Pairs never tried have no data, so a rule decides what
the model says about them (``unvisited``):

- ``"self_loop"``: stay in ``s`` with reward ``unvisited_reward`` (default 0).
  Whether that is cautious depends on the task: where every real step costs
  -1, a free self-loop is worth more than any real path, so the planner is
  drawn to untried actions; a reward below the task's smallest makes the
  model pessimistic, and the planner avoids the unknown;
- ``"optimistic"``: the same self-loop, named for its intended use: set
  ``unvisited_reward`` to the largest reward the task can pay, as in R-max,
  and the planner is drawn to untried actions, which makes model-based
  exploration systematic;
- ``"uniform"``: jump to a uniformly random state with ``unvisited_reward``.

Q-learning (Watkins & Dayan, 1992) is the model-free baseline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.mdp.tabular import TabularMDP

UNVISITED_RULES = ("self_loop", "optimistic", "uniform")


class TabularModel:
    """Counts of real transitions and the maximum-likelihood MDP they imply."""

    def __init__(self, n_states: int, n_actions: int, *, unvisited: str = "self_loop",
                 unvisited_reward: float = 0.0) -> None:
        if unvisited not in UNVISITED_RULES:
            raise ValueError(f"unvisited must be one of {UNVISITED_RULES}, "
                             f"got {unvisited!r}")
        if n_states < 1 or n_actions < 1:
            raise ValueError("n_states and n_actions must be positive")
        self.n_states, self.n_actions = n_states, n_actions
        self.unvisited = unvisited
        self.unvisited_reward = float(unvisited_reward)
        self.counts = np.zeros((n_states, n_actions, n_states))
        self.reward_sums = np.zeros((n_states, n_actions))
        self.terminal_seen = np.zeros(n_states, dtype=bool)

    @property
    def visits(self) -> np.ndarray:
        """``N(s, a)``, shape ``[S, A]``."""
        return self.counts.sum(axis=2)

    def update(self, obs: int, act: int, rew: float, next_obs: int,
               terminated: bool) -> None:
        """Record one real transition."""
        for name, x, n in (("obs", obs, self.n_states), ("act", act, self.n_actions),
                           ("next_obs", next_obs, self.n_states)):
            if not 0 <= int(x) < n:
                raise ValueError(f"{name}={x} is outside 0..{n - 1}")
        self.counts[obs, act, next_obs] += 1
        self.reward_sums[obs, act] += rew
        if terminated:
            self.terminal_seen[next_obs] = True

    def to_mdp(self, gamma: float) -> TabularMDP:
        """The maximum-likelihood MDP, with the ``unvisited`` rule for gaps.

        States seen to end an episode are terminal in the model.
        """
        n = self.visits
        seen = n > 0
        P = np.zeros_like(self.counts)
        P[seen] = self.counts[seen] / n[seen][:, None]
        R = np.zeros_like(self.reward_sums)
        R[seen] = self.reward_sums[seen] / n[seen]
        s_idx, a_idx = np.nonzero(~seen)
        if self.unvisited == "uniform":
            P[s_idx, a_idx, :] = 1.0 / self.n_states
        else:
            P[s_idx, a_idx, s_idx] = 1.0
        R[s_idx, a_idx] = self.unvisited_reward
        return TabularMDP(P, R, gamma, self.terminal_seen.copy())


def estimate_mdp(transitions: Iterable, n_states: int, n_actions: int, gamma: float,
                 *, unvisited: str = "self_loop",
                 unvisited_reward: float = 0.0) -> TabularMDP:
    """Maximum-likelihood MDP from ``(obs, act, rew, next_obs, terminated)`` tuples."""
    model = TabularModel(n_states, n_actions, unvisited=unvisited,
                         unvisited_reward=unvisited_reward)
    for obs, act, rew, next_obs, terminated in transitions:
        model.update(int(obs), int(act), float(rew), int(next_obs), bool(terminated))
    return model.to_mdp(gamma)


def epsilon_greedy(q_row: np.ndarray, epsilon: float, rng: np.random.Generator) -> int:
    """Random action with probability ``epsilon``, else greedy (random tie-break).

    Breaking ties at random matters early on, when all Q-values are equal.
    """
    if rng.random() < epsilon:
        return int(rng.integers(len(q_row)))
    best = np.flatnonzero(q_row == q_row.max())
    return int(best[rng.integers(len(best))])


@dataclass(frozen=True)
class QLearningConfig:
    """Tabular Q-learning settings (defaults suit the chapter-3 grid)."""

    total_steps: int = 20_000
    """Real environment steps to take."""
    alpha: float = 0.5
    """Step size of the temporal-difference update."""
    gamma: float = 0.95
    """Discount factor."""
    epsilon: float = 0.1
    """Exploration rate of the epsilon-greedy behaviour policy."""
    q_init: float = 0.0
    """Initial Q-value of every pair (optimism encourages exploration)."""
    record_every: int = 100
    """Store a copy of Q every this many real steps (for learning curves)."""


class QLearningResult(NamedTuple):
    Q: np.ndarray                 # [S, A] final
    record_steps: np.ndarray      # [K] real steps at which Q was recorded
    Q_history: np.ndarray         # [K, S, A]
    episode_returns: list[float]


def q_learning(env, cfg: QLearningConfig = QLearningConfig(),
               seed: SeedLike = 0) -> QLearningResult:
    """Watkins' Q-learning: ``Q(s,a) += alpha [r + gamma max_a' Q(s',a') - Q(s,a)]``.

    Bootstraps on truncation (time limit) but not on termination, since a
    terminal state has value 0 while a truncated one does not.
    """
    rng = make_rng(seed)
    S, A = env.observation_space.n, env.action_space.n
    Q = np.full((S, A), cfg.q_init, dtype=float)
    steps, history, returns = [], [], []
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    ep_return = 0.0
    for t in range(1, cfg.total_steps + 1):
        act = epsilon_greedy(Q[obs], cfg.epsilon, rng)
        next_obs, rew, terminated, truncated, _ = env.step(act)
        target = rew + (0.0 if terminated else cfg.gamma * Q[next_obs].max())
        Q[obs, act] += cfg.alpha * (target - Q[obs, act])
        ep_return += rew
        obs = next_obs
        if terminated or truncated:
            returns.append(ep_return)
            ep_return = 0.0
            obs, _ = env.reset()
        if t % cfg.record_every == 0:
            steps.append(t)
            history.append(Q.copy())
    return QLearningResult(Q, np.array(steps), np.array(history), returns)
