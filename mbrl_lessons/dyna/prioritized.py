"""Prioritized sweeping (Moore & Atkeson 1993; Sutton & Barto §8.4), chapter 6.

Dyna plans from uniformly chosen remembered pairs, so most of its backups
change nothing: early on, only the few pairs next to the goal have anything to
learn.  Prioritized sweeping keeps a queue of pairs ordered by how much their
value would change, ``P = |r + gamma max_a' Q(s', a') - Q(s, a)|``, and works
*backwards*: after updating ``(s, a)`` it asks a **predecessor model** which
pairs ``(s_bar, a_bar)`` lead to ``s`` and queues those whose priority exceeds
``theta``.  Value information flows back from the goal along the paths that
matter.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from mbrl_lessons.core.seeding import SeedLike, make_rng
from mbrl_lessons.dyna.dyna_q import EpisodeStats, check_rates, tabular_sizes
from mbrl_lessons.mdp.learning import epsilon_greedy


@dataclass(frozen=True)
class PSConfig:
    """Prioritized sweeping settings (S&B Example 8.4)."""

    n_planning: int = 5
    """At most this many queue pops (backups) per real step."""
    alpha: float = 0.5
    """Step size."""
    gamma: float = 0.95
    """Discount factor."""
    epsilon: float = 0.1
    """Exploration rate."""
    theta: float = 1e-4
    """Only pairs whose priority exceeds theta enter the queue."""

    def __post_init__(self) -> None:
        check_rates(self.alpha, self.gamma, self.epsilon)
        if self.n_planning < 0:
            raise ValueError(f"n_planning must be >= 0, got {self.n_planning}")
        if self.theta < 0:
            raise ValueError(f"theta must be >= 0, got {self.theta}")


def priority(Q: np.ndarray, s: int, a: int, r: float, s2: int, done: bool,
             gamma: float) -> float:
    """``|r + gamma max_a' Q(s2, a') - Q(s, a)|`` (no bootstrap when done)."""
    target = r if done else r + gamma * Q[s2].max()
    return abs(target - Q[s, a])


class PrioritizedSweeping:
    """A tabular prioritized-sweeping agent with a deterministic model."""

    def __init__(self, n_states: int, n_actions: int, cfg: PSConfig,
                 rng: np.random.Generator) -> None:
        self.cfg, self.rng = cfg, rng
        self.n_actions = n_actions
        self.Q = np.zeros((n_states, n_actions))
        self.model: dict[tuple[int, int], tuple[float, int, bool]] = {}
        self.predecessors: dict[int, set[tuple[int, int]]] = defaultdict(set)
        self.queue: list[tuple[float, int, int, int]] = []
        self.best: dict[tuple[int, int], float] = {}  # pair -> priority queued
        self.backups = 0
        self._tick = 0

    def act(self, obs: int) -> int:
        """Epsilon-greedy in ``Q`` with random tie-breaks."""
        return epsilon_greedy(self.Q[obs], self.cfg.epsilon, self.rng)

    def push(self, s: int, a: int, p: float) -> None:
        """Queue ``(s, a)`` with priority ``p`` if above theta (keep the max)."""
        if p <= self.cfg.theta or p <= self.best.get((s, a), 0.0):
            return
        self.best[(s, a)] = p
        self._tick += 1  # ties pop in insertion order: deterministic
        heapq.heappush(self.queue, (-p, self._tick, s, a))

    def pop(self) -> tuple[int, int] | None:
        while self.queue:
            neg_p, _, s, a = heapq.heappop(self.queue)
            if self.best.get((s, a)) == -neg_p:  # skip stale entries
                del self.best[(s, a)]
                return s, a
        return None

    def observe(self, s: int, a: int, r: float, s2: int, done: bool) -> None:
        old = self.model.get((s, a))
        if old is not None:
            self.predecessors[old[1]].discard((s, a))
        self.model[(s, a)] = (r, s2, done)
        self.predecessors[s2].add((s, a))
        self.push(s, a, priority(self.Q, s, a, r, s2, done, self.cfg.gamma))

    def sweep(self, n: int) -> None:
        """Up to ``n`` backups, highest priority first, queueing predecessors."""
        for _ in range(n):
            pair = self.pop()
            if pair is None:
                return
            s, a = pair
            r, s2, done = self.model[pair]
            target = r if done else r + self.cfg.gamma * self.Q[s2].max()
            self.Q[s, a] += self.cfg.alpha * (target - self.Q[s, a])
            self.backups += 1
            for sb, ab in self.predecessors[s]:
                rb, _, db = self.model[(sb, ab)]
                self.push(sb, ab, priority(self.Q, sb, ab, rb, s, db, self.cfg.gamma))


def run_ps_episodes(env, cfg: PSConfig, n_episodes: int, seed: SeedLike = 0,
                    stop=None) -> EpisodeStats:
    """Run episodes; ``stop(Q)`` (optional) ends the run early when true."""
    n_states, n_actions = tabular_sizes(env)
    rng = make_rng(seed)
    agent = PrioritizedSweeping(n_states, n_actions, cfg, rng)
    steps, backups = [], []
    obs, _ = env.reset(seed=int(rng.integers(2**31 - 1)))
    for _ in range(n_episodes):
        t, done = 0, False
        while not done:
            a = agent.act(obs)
            obs2, r, term, trunc, _ = env.step(a)
            agent.observe(obs, a, r, obs2, term)
            agent.sweep(cfg.n_planning)
            obs, t, done = obs2, t + 1, term or trunc
        steps.append(t)
        backups.append(agent.backups)
        obs, _ = env.reset()
        if stop is not None and stop(agent.Q):
            break
    return EpisodeStats(np.array(steps), np.array(backups), agent.Q, agent.model)
