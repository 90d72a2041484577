"""Dyna-Q and Dyna-Q+ (Sutton 1990; Sutton & Barto §8.2–8.3), chapter 6.

Every real step does three things: a Q-learning update from the real
transition, an update of a learned model ``Model(s, a) -> (r, s')``, and ``n``
*planning* updates, each a Q-learning update on a transition imagined by the
model.  The model is either the last outcome seen (``model="deterministic"``,
Sutton & Barto's choice for their deterministic mazes) or the counts of every
outcome, sampled in proportion (``model="stochastic"``), which a slippery
world needs.

Dyna-Q+ adds an exploration bonus to imagined rewards, ``r + kappa sqrt(tau)``
with ``tau`` the real steps since ``(s, a)`` was last tried, and lets planning
consider actions never tried from a visited state (modelled as "stay, reward
0"), so the agent is drawn back to test parts of the world it has not checked
for a while — which is how it notices that a maze has changed.

Where planning starts (the lecture's §6.1) is ``start_rule``:
``"visited"`` (classic Dyna: a previously seen pair, uniformly), ``"uniform"``
(any pair of any state — unseen ones waste the backup), ``"current"`` (a
model rollout from the agent's current state: trajectory sampling).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from gymnasium import spaces

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.mdp.learning import epsilon_greedy

START_RULES = ("visited", "uniform", "current")
MODELS = ("deterministic", "stochastic")


def check_rates(alpha: float, gamma: float, epsilon: float) -> None:
    """Refuse a step size outside (0, 1], a discount or an exploration rate
    outside [0, 1], with the offending value in the message."""
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha (the step size) must be in (0, 1], got {alpha}")
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    if not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")


def tabular_sizes(env) -> tuple[int, int]:
    """``(n_states, n_actions)`` of an env with Discrete spaces, or a clear
    ``TypeError``: tabular agents index their tables by state and action."""
    obs_space, act_space = env.observation_space, env.action_space
    if not (isinstance(obs_space, spaces.Discrete)
            and isinstance(act_space, spaces.Discrete)):
        raise TypeError(
            "tabular Dyna agents need Discrete observation and action spaces, got "
            f"{obs_space} and {act_space}; for continuous control use the "
            "model-based agents of chapters 4 and 7")
    return int(obs_space.n), int(act_space.n)


@dataclass(frozen=True)
class DynaConfig:
    """Dyna-Q / Dyna-Q+ settings (defaults: Sutton & Barto's Fig 8.2)."""

    n_planning: int = 5
    """Planning updates per real step (``n``); 0 is plain Q-learning."""
    alpha: float = 0.1
    """Step size of every (real or imagined) Q-learning update."""
    gamma: float = 0.95
    """Discount factor."""
    epsilon: float = 0.1
    """Exploration rate of the epsilon-greedy behaviour policy."""
    kappa: float = 0.0
    """Dyna-Q+ bonus weight; 0 gives plain Dyna-Q."""
    start_rule: str = "visited"
    """Where planning updates start: visited, uniform or current."""
    plan_every: str = "step"
    """``"step"``: n updates after each real step; ``"episode"``: n x (steps of
    the episode) updates at the end of each episode."""
    q_init: float = 0.0
    """Initial action value; above the largest return it is *optimistic*
    and makes the agent try every pair (0 in Sutton & Barto)."""
    model: str = "deterministic"
    """``"deterministic"``: remember the last outcome of each pair (Sutton &
    Barto's Dyna-Q, right for deterministic worlds); ``"stochastic"``: count
    every outcome and let planning sample one in proportion to its count (a
    maximum-likelihood model of a stochastic world)."""

    def __post_init__(self) -> None:
        check_rates(self.alpha, self.gamma, self.epsilon)
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.kappa < 0:
            raise ValueError(f"kappa must be >= 0, got {self.kappa}")
        if self.start_rule not in START_RULES:
            raise ValueError(f"start_rule must be one of {START_RULES}, "
                             f"got {self.start_rule!r}")
        if self.plan_every not in ("step", "episode"):
            raise ValueError("plan_every must be 'step' or 'episode'")
        if self.n_planning < 0:
            raise ValueError("n_planning must be >= 0")


class DynaQ:
    """A tabular Dyna-Q(+) agent; ``Q`` has shape ``[S, A]``."""

    def __init__(self, n_states: int, n_actions: int, cfg: DynaConfig,
                 rng: np.random.Generator) -> None:
        self.cfg, self.rng = cfg, rng
        self.n_states, self.n_actions = n_states, n_actions
        self.Q = np.full((n_states, n_actions), float(cfg.q_init))
        self.model: dict[tuple[int, int], tuple[float, int, bool]] = {}  # last seen
        # stochastic model: (s, a) -> {(r, s', done): count}
        self.counts: dict[tuple[int, int], dict[tuple[float, int, bool], int]] = {}
        self.totals: dict[tuple[int, int], int] = {}
        self.last_tried = np.zeros((n_states, n_actions))
        self.visited_states: dict[int, None] = {}  # insertion-ordered set
        self.pairs: list[tuple[int, int]] = []
        self.time = 0
        self.backups = 0  # every Q update, real or imagined

    def act(self, obs: int) -> int:
        """Epsilon-greedy in ``Q`` with random tie-breaks."""
        return epsilon_greedy(self.Q[obs], self.cfg.epsilon, self.rng)

    def update(self, s: int, a: int, r: float, s2: int, done: bool) -> None:
        """One Q-learning backup (no bootstrap from a terminal state)."""
        target = r if done else r + self.cfg.gamma * self.Q[s2].max()
        self.Q[s, a] += self.cfg.alpha * (target - self.Q[s, a])
        self.backups += 1

    def observe(self, s: int, a: int, r: float, s2: int, done: bool) -> None:
        """Learn from a real transition: direct RL and model learning."""
        self.time += 1
        self.update(s, a, r, s2, done)
        if (s, a) not in self.model:
            self.pairs.append((s, a))
        self.model[(s, a)] = (r, s2, done)
        if self.cfg.model == "stochastic":
            seen = self.counts.setdefault((s, a), {})
            seen[(r, s2, done)] = seen.get((r, s2, done), 0) + 1
            self.totals[(s, a)] = self.totals.get((s, a), 0) + 1
        self.last_tried[s, a] = self.time
        self.visited_states[s] = None

    def _sample_outcome(self, s: int, a: int) -> tuple[float, int, bool] | None:
        """One outcome of ``(s, a)`` from the learned model, or ``None``."""
        if self.cfg.model == "deterministic":
            return self.model.get((s, a))
        seen = self.counts.get((s, a))
        if not seen:
            return None
        u = self.rng.random() * self.totals[(s, a)]  # pick in proportion to counts
        for outcome, count in seen.items():
            u -= count
            if u < 0:
                return outcome
        return outcome  # u hit the total exactly (rounding)

    def _imagine(self, s: int, a: int) -> tuple[float, int, bool] | None:
        known = self._sample_outcome(s, a)
        if known is None:
            if self.cfg.kappa > 0 and s in self.visited_states:
                known = (0.0, s, False)  # Dyna-Q+: untried actions "stay put"
            else:
                return None
        r, s2, done = known
        if self.cfg.kappa > 0:
            r = r + self.cfg.kappa * np.sqrt(self.time - self.last_tried[s, a])
        return r, s2, done

    def plan_dyna_q(self, n: int) -> None:
        """Plain Dyna-Q planning (Sutton & Barto Fig 8.1, step (f)): ``n`` times,
        pick a state–action pair seen before, ask the model what followed it,
        and make a Q-learning backup on that imagined transition."""
        for _ in range(n):
            s, a = self.pairs[self.rng.integers(len(self.pairs))]  # seen before
            r, s2, done = self._sample_outcome(s, a)  # the model's answer
            self.update(s, a, r, s2, done)  # the same backup as a real step

    def plan(self, n: int, current: int | None = None) -> None:
        """``n`` planning backups from the configured start states: plain
        Dyna-Q (:meth:`plan_dyna_q`), or Dyna-Q+ and the other start rules."""
        rule = self.cfg.start_rule
        if not self.pairs:
            return
        if rule == "visited" and self.cfg.kappa == 0:
            self.plan_dyna_q(n)
            return
        states = list(self.visited_states) if self.cfg.kappa > 0 else None
        s = current
        for _ in range(n):
            if rule == "visited":  # Dyna-Q+: any action of a visited state
                s = states[self.rng.integers(len(states))]
                a = int(self.rng.integers(self.n_actions))
            elif rule == "uniform":
                s = int(self.rng.integers(self.n_states))
                a = int(self.rng.integers(self.n_actions))
            else:  # "current": follow the model from the agent's state
                a = self.act(s)
            out = self._imagine(s, a)
            if out is None:
                self.backups += 1  # the backup was spent on an unknown pair
                if rule == "current":
                    s = current
                continue
            r, s2, done = out
            self.update(s, a, r, s2, done)
            if rule == "current":
                s = current if done else s2


class EpisodeStats(NamedTuple):
    steps_per_episode: np.ndarray   # [n_episodes]
    backups_per_episode: np.ndarray  # [n_episodes] cumulative Q backups
    Q: np.ndarray
    model: dict | None = None       # the learned model (s, a) -> (r, s', done)


def run_episodes(env, cfg: DynaConfig, n_episodes: int, seed: SeedLike = 0,
                 agent: DynaQ | None = None) -> EpisodeStats:
    """Run whole episodes; returns steps and cumulative backups per episode."""
    n_states, n_actions = tabular_sizes(env)
    rng = make_rng(seed)
    agent = agent or DynaQ(n_states, n_actions, cfg, rng)
    steps, backups = [], []
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for _ in range(n_episodes):
        t, done = 0, False
        while not done:
            a = agent.act(obs)
            obs2, r, term, trunc, _ = env.step(a)
            agent.observe(obs, a, r, obs2, term)
            if cfg.plan_every == "step":
                agent.plan(cfg.n_planning, current=obs2)
            obs, t, done = obs2, t + 1, term or trunc
        if cfg.plan_every == "episode":
            agent.plan(cfg.n_planning * t, current=obs)
        steps.append(t)
        backups.append(agent.backups)
        obs, _ = env.reset()
    return EpisodeStats(np.array(steps), np.array(backups), agent.Q, agent.model)


def run_steps(env, cfg: DynaConfig, total_steps: int, seed: SeedLike = 0
              ) -> np.ndarray:
    """Run for ``total_steps`` real steps; returns cumulative reward ``[T]``."""
    n_states, n_actions = tabular_sizes(env)
    rng = make_rng(seed)
    agent = DynaQ(n_states, n_actions, cfg, rng)
    cumulative = np.zeros(total_steps)
    total = 0.0
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for t in range(total_steps):
        a = agent.act(obs)
        obs2, r, term, trunc, _ = env.step(a)
        agent.observe(obs, a, r, obs2, term)
        agent.plan(cfg.n_planning, current=obs2)
        total += r
        cumulative[t] = total
        obs = obs2
        if term or trunc:
            obs, _ = env.reset()
    return cumulative


def greedy_path_length(env, Q: np.ndarray, max_steps: int = 10_000) -> int | None:
    """Steps the greedy policy (ties -> lowest action) takes to the goal on a
    deterministic maze; ``None`` if it loops or runs past ``max_steps``."""
    base = env.unwrapped if hasattr(env, "unwrapped") else env
    expected = (int(base.observation_space.n), int(base.action_space.n))
    if np.shape(Q) != expected:
        raise ValueError(f"Q must have shape [n_states, n_actions] = {expected} "
                         f"for this maze, got {np.shape(Q)}")
    s, seen = base.start_states[0], set()
    for t in range(1, max_steps + 1):
        if s in seen:
            return None
        seen.add(s)
        s = base._move(s, int(np.argmax(Q[s])))
        if base.goal_mask[s]:
            return t
    return None


def model_path_length(env, model: dict) -> int | None:
    """The shortest route to a goal that a learned deterministic ``model``
    knows about (breadth-first over its recorded transitions only); ``None``
    if the model has never seen the goal reached.  Planning to convergence on
    the model cannot do better than this, whatever the budget."""
    base = env.unwrapped if hasattr(env, "unwrapped") else env
    start = base.start_states[0]
    n_actions = base.action_space.n
    dist, frontier = {start: 0}, [start]
    while frontier:
        nxt = []
        for s in frontier:
            for a in range(n_actions):
                known = model.get((s, a))
                if known is None:
                    continue
                _, s2, done = known
                if done:
                    return dist[s] + 1
                if s2 not in dist:
                    dist[s2] = dist[s] + 1
                    nxt.append(s2)
        frontier = nxt
    return None
