"""The tabular algorithms of chapters 2, 3 and 6 behind the package's one
signature, ``train(env, cfg, *, progress=False) -> Result``.

Their building blocks stay where the chapters teach them (``mdp/``, ``dyna/``,
``search/``); this module only gives each complete algorithm the calling
convention of the others -- an env (or its id) and a frozen config holding the
seed -- so that :mod:`mbrl_lessons.algorithms.registry` and
``python -m mbrl_lessons.run`` can call every algorithm the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from gymnasium import spaces

from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.dyna.dyna_q import DynaConfig, run_episodes
from mbrl_lessons.dyna.prioritized import PSConfig, run_ps_episodes
from mbrl_lessons.envs import as_env
from mbrl_lessons.mdp.dp import policy_iteration, value_iteration
from mbrl_lessons.mdp.learning import QLearningConfig, q_learning
from mbrl_lessons.mdp.tabular import TabularMDP
from mbrl_lessons.search.env_mcts import MCTSAgent, run_mcts_episode


def _positive(owner: str, **values) -> None:
    for name, v in values.items():
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{owner}.{name} must be an int >= 1, got {v!r}")


def true_mdp(env, gamma: float) -> TabularMDP:
    """The env's TRUE model as a :class:`TabularMDP` (envs that expose
    ``transition_model() -> (P [S, A, S'], R [S, A])``, the course's grids)."""
    base = env.unwrapped
    if not hasattr(base, "transition_model"):
        raise ValueError(f"{type(base).__name__} exposes no transition_model(); "
                         "dynamic programming needs the true P and R (use one of "
                         "the course's grid worlds)")
    P, R = base.transition_model()
    terminal = getattr(base, "terminal_mask", None)
    return TabularMDP(P, R, gamma, terminal)


# ------------------------------------------------- dynamic programming (ch 2)
@dataclass(frozen=True)
class DPConfig:
    """Value or policy iteration on the env's true model (deterministic: no seed)."""

    gamma: float = 0.95
    """Discount factor."""
    tol: float = 1e-8
    """Value iteration stops once ``max |V_k+1 - V_k| < tol``."""
    max_iter: int = 10_000
    """Cap on sweeps (value iteration) or improvements (policy iteration)."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"DPConfig.gamma must be in [0, 1], got {self.gamma}")
        if self.tol <= 0:
            raise ValueError(f"DPConfig.tol must be > 0, got {self.tol}")
        _positive("DPConfig", max_iter=self.max_iter)


class DPResult(NamedTuple):
    V: np.ndarray          # [S] values of the returned policy
    policy: np.ndarray     # int [S] greedy policy
    iterations: int
    curve: np.ndarray      # [iterations] max |V_k+1 - V_k| (VI) or policy changes (PI)


def train_value_iteration(env, cfg: DPConfig = DPConfig(), *,
                          progress: bool = False) -> DPResult:
    """Value iteration (chapter 2) on the true model of ``env``."""
    res = value_iteration(true_mdp(as_env(env), cfg.gamma), tol=cfg.tol,
                          max_iter=cfg.max_iter)
    return DPResult(res.V, res.policy, res.iterations, np.asarray(res.deltas))


def train_policy_iteration(env, cfg: DPConfig = DPConfig(), *,
                           progress: bool = False) -> DPResult:
    """Policy iteration (chapter 2) on the true model of ``env``."""
    res = policy_iteration(true_mdp(as_env(env), cfg.gamma), max_iter=cfg.max_iter)
    return DPResult(res.V, res.policy, res.iterations,
                    np.asarray(res.policy_changes, dtype=float))


# ------------------------------------------------------ Q-learning (ch 3)
@dataclass(frozen=True)
class QConfig(QLearningConfig):
    """:class:`~mbrl_lessons.mdp.learning.QLearningConfig` plus the seed."""

    seed: int = 0
    """Seed of exploration and episode starts."""

    def __post_init__(self) -> None:
        _positive("QConfig", total_steps=self.total_steps,
                  record_every=self.record_every)


class QResult(NamedTuple):
    Q: np.ndarray                  # [S, A]
    episode_returns: np.ndarray    # [episodes]


def train_q_learning(env, cfg: QConfig = QConfig(), *,
                     progress: bool = False) -> QResult:
    """Watkins' Q-learning (chapter 3,
    :func:`~mbrl_lessons.mdp.learning.q_learning`)."""
    res = q_learning(as_env(env), cfg, seed=cfg.seed)
    return QResult(res.Q, np.asarray(res.episode_returns, dtype=float))


# --------------------------------------------- Dyna and prioritized sweeping
class EpisodesResult(NamedTuple):
    Q: np.ndarray                   # [S, A]
    steps_per_episode: np.ndarray   # [n_episodes] (the learning curve of ch 6)
    backups_per_episode: np.ndarray  # [n_episodes] cumulative Q backups


@dataclass(frozen=True)
class DynaRunConfig:
    """Episodes of Dyna-Q (``dyna.kappa = 0``) or Dyna-Q+ (``kappa > 0``)."""

    dyna: DynaConfig = field(default_factory=DynaConfig)
    """The agent's settings (:class:`~mbrl_lessons.dyna.dyna_q.DynaConfig`)."""
    n_episodes: int = 50
    """Real episodes to run."""
    seed: int = 0
    """Seed of exploration, planning draws and episode starts."""

    def __post_init__(self) -> None:
        _positive("DynaRunConfig", n_episodes=self.n_episodes)


def _discrete(env):
    env = as_env(env)
    if not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(f"a tabular algorithm needs Discrete actions, got "
                         f"{env.action_space}")
    return env


def train_dyna(env, cfg: DynaRunConfig = DynaRunConfig(), *,
               progress: bool = False) -> EpisodesResult:
    """Dyna-Q / Dyna-Q+ (chapter 6, :func:`~mbrl_lessons.dyna.dyna_q.run_episodes`)."""
    res = run_episodes(_discrete(env), cfg.dyna, cfg.n_episodes, seed=cfg.seed)
    return EpisodesResult(res.Q, res.steps_per_episode, res.backups_per_episode)


@dataclass(frozen=True)
class PSRunConfig:
    """Episodes of prioritized sweeping."""

    ps: PSConfig = field(default_factory=PSConfig)
    """The agent's settings (:class:`~mbrl_lessons.dyna.prioritized.PSConfig`)."""
    n_episodes: int = 50
    """Real episodes to run."""
    seed: int = 0
    """Seed of exploration and episode starts."""

    def __post_init__(self) -> None:
        _positive("PSRunConfig", n_episodes=self.n_episodes)


def train_prioritized_sweeping(env, cfg: PSRunConfig = PSRunConfig(), *,
                               progress: bool = False) -> EpisodesResult:
    """Prioritized sweeping (chapter 6, :mod:`mbrl_lessons.dyna.prioritized`)."""
    res = run_ps_episodes(_discrete(env), cfg.ps, cfg.n_episodes, seed=cfg.seed)
    return EpisodesResult(res.Q, res.steps_per_episode, res.backups_per_episode)


# ------------------------------------------------- UCT on the true env (ch 6)
@dataclass(frozen=True)
class UCTConfig:
    """MCTS (UCT) acting in a copyable env: search the simulator each step."""

    n_simulations: int = 100
    """Simulations per real step."""
    horizon: int = 50
    """Depth of each simulation's random rollout."""
    gamma: float = 0.99
    """Discount of simulated returns."""
    n_episodes: int = 3
    """Real episodes to play."""
    max_steps: int = 200
    """Real steps before an episode is cut off."""
    seed: int = 0
    """Seed of the search's random draws and the episode starts."""

    def __post_init__(self) -> None:
        _positive("UCTConfig", n_simulations=self.n_simulations,
                  horizon=self.horizon, n_episodes=self.n_episodes,
                  max_steps=self.max_steps)
        if not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"UCTConfig.gamma must be in [0, 1], got {self.gamma}")


class UCTResult(NamedTuple):
    returns: np.ndarray  # [n_episodes]
    steps: np.ndarray    # [n_episodes] real steps of each episode


def train_uct(env, cfg: UCTConfig = UCTConfig(), *,
              progress: bool = False) -> UCTResult:
    """UCT as model-predictive control on the env itself (the true model: no
    learning, so "train" only plays):
    :class:`~mbrl_lessons.search.env_mcts.MCTSAgent`."""
    env = _discrete(env)
    rng = make_rng(cfg.seed)
    agent = MCTSAgent(cfg.n_simulations, seed=rng, horizon=cfg.horizon,
                      gamma=cfg.gamma)
    returns, steps = [], []
    for _ in tqdm(range(cfg.n_episodes), desc="UCT", leave=False,
                  disable=not progress):
        ret, t = run_mcts_episode(env, agent, seed=int(rng.integers(2**31 - 1)),
                                  max_steps=cfg.max_steps)
        returns.append(ret)
        steps.append(t)
    return UCTResult(np.array(returns), np.array(steps))
