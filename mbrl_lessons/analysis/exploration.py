"""§5.3: exploring where the model's ensemble disagrees, against ε-greedy.

The task is a *deep chain* (after the "deep sea" of Osband et al.'s
behaviour suite): ``n`` states in a row, the agent starts at the left end,
and a treasure worth 1 waits at the right end.  In every state one action
(which one is drawn at random per state, so that no fixed action preference
helps) moves right, with probability ``1 - slip`` (else the agent stays), at
a small cost ``cost / n``; the other moves left for free.  Until the treasure
has been found, every reward the agent has seen says "do not go right", so
dithering (ε-greedy) must string together about ``n`` lucky random moves,
which takes a number of episodes exponential in ``n``.

The learner is model-based: a count model of the chain
(:class:`~mbrl_lessons.mdp.learning.TabularModel`, untried pairs stay put
with reward 0) and value iteration on it after every real step.  Three
exploration rules share that learner and the same budget of real steps and
value-iteration sweeps:

- ``"egreedy"``: a random action with probability ``epsilon``;
- ``"disagreement"``: plan for ``R_hat + beta * sigma(s, a)``, where
  ``sigma`` is the spread of the next-state predictions of a bootstrapped
  ensemble of learned models (:class:`BootstrapTableEnsemble`), and act
  greedily;
- ``"count"``: plan for ``R_hat + beta / sqrt(N(s, a) + 1)``, the count
  bonus that the ensemble's spread approximates in a table.
"""

from __future__ import annotations

import numpy as np

from mbrl_lessons.core.seeding import make_rng, stream_rng
from mbrl_lessons.mdp.learning import TabularModel, epsilon_greedy

BONUSES = ("none", "disagreement", "count")


class DeepChain:
    """``n`` states in a row; start at 0; the treasure (reward 1, episode
    ends) at ``n - 1``; moving right costs ``cost / n`` and slips (the agent
    stays) with probability ``slip``; moving left is free.

    ``right_action[s]`` is the action that moves right in state ``s``, drawn
    per state from ``rng`` (a fixed action preference does not help)."""

    n_actions = 2

    def __init__(self, n: int, rng: np.random.Generator, *, slip: float = 0.1,
                 cost: float = 0.01) -> None:
        if n < 2:
            raise ValueError(f"a chain needs n >= 2 states, got {n}")
        if not 0.0 <= slip < 1.0:
            raise ValueError(f"slip must be in [0, 1), got {slip}")
        if cost < 0:
            raise ValueError(f"cost must be >= 0, got {cost}")
        self.n, self.slip, self.cost = n, slip, cost
        self.right_action = rng.integers(2, size=n)

    @property
    def n_states(self) -> int:
        return self.n

    def step(self, s: int, a: int, rng: np.random.Generator) -> tuple[int, float, bool]:
        """One real step: ``(next state, reward, terminated)``."""
        if not 0 <= s < self.n - 1:
            raise ValueError(f"state {s} is outside 0..{self.n - 2} (the treasure "
                             f"state {self.n - 1} ends the episode)")
        if a not in (0, 1):
            raise ValueError(f"action must be 0 or 1, got {a}")
        if a == self.right_action[s]:
            s2 = s + 1 if rng.random() >= self.slip else s
            r = -self.cost / self.n
        else:
            s2, r = max(s - 1, 0), 0.0
        done = s2 == self.n - 1
        return s2, r + (1.0 if done else 0.0), done


class BootstrapTableEnsemble:
    """An ensemble of ``n_members`` tabular next-state models, each fitted to
    its own bootstrap resample of the data.

    Member ``k`` predicts ``p_k(. | s, a)``: the weighted frequencies of the
    next states it was given, plus ``prior_weight`` pseudo-observations of a
    next state drawn at random for it at the start (its *random prior*, which
    plays the part of a network's random initial weights: without it a table
    says nothing about a pair it has no data for).  Each real transition
    reaches member ``k`` with a weight drawn from Poisson(1), the online
    version of a bootstrap resample (a sample of size N with replacement
    holds each point a Binomial(N, 1/N) number of times, close to
    Poisson(1)).

    :meth:`disagreement` is the spread of the members' predictions,
    ``(1/E) sum_k ||p_k(. | s, a) - p_bar(. | s, a)||^2``: the trace of the
    epistemic part of the law-of-total-variance split, with the next state
    one-hot encoded."""

    def __init__(self, n_states: int, n_actions: int, rng: np.random.Generator, *,
                 n_members: int = 10, prior_weight: float = 1.0) -> None:
        if n_members < 2:
            raise ValueError(f"an ensemble needs n_members >= 2, got {n_members}")
        if prior_weight <= 0:
            raise ValueError(f"prior_weight must be > 0, got {prior_weight}")
        self.rng = rng
        E, S, A = n_members, n_states, n_actions
        self.weights = np.zeros((E, S, A, S))
        prior = rng.integers(S, size=(E, S, A))
        e, s, a = np.indices((E, S, A))
        self.weights[e, s, a, prior] = prior_weight
        self._spread = np.zeros((S, A))
        for s_ in range(S):
            for a_ in range(A):
                self._spread[s_, a_] = self._pair_spread(s_, a_)

    @property
    def n_members(self) -> int:
        return self.weights.shape[0]

    def _pair_spread(self, s: int, a: int) -> float:
        w = self.weights[:, s, a, :]
        p = w / w.sum(axis=1, keepdims=True)
        return float(((p - p.mean(axis=0)) ** 2).sum(axis=1).mean())

    def update(self, s: int, a: int, s2: int) -> None:
        """Give the transition ``(s, a) -> s2`` to every member, with its own
        Poisson(1) weight."""
        self.weights[:, s, a, s2] += self.rng.poisson(1.0, self.n_members)
        self._spread[s, a] = self._pair_spread(s, a)

    def predictions(self) -> np.ndarray:
        """The members' next-state distributions, ``[E, S, A, S]``."""
        return self.weights / self.weights.sum(axis=3, keepdims=True)

    def disagreement(self) -> np.ndarray:
        """``[S, A]``: the members' spread, ``(1/E) sum_k ||p_k - p_bar||^2``."""
        return self._spread.copy()


def plan_q(model: TabularModel, bonus: np.ndarray, gamma: float, q: np.ndarray,
           sweeps: int) -> np.ndarray:
    """``sweeps`` value-iteration sweeps of ``Q`` (warm-started from ``q``) on
    the count model's MDP with reward ``R_hat + bonus``."""
    mdp = model.to_mdp(gamma)
    R = mdp.R + bonus
    alive = ~mdp.terminal
    for _ in range(sweeps):
        v = q.max(axis=1) * alive
        q = R + gamma * mdp.P @ v
    return q


def explore_chain(seed: int, n: int = 10, bonus: str = "disagreement",
                  beta: float = 0.1, epsilon: float = 0.0, n_episodes: int = 100,
                  slip: float = 0.1, gamma: float = 0.99, n_members: int = 10,
                  sweeps: int | None = None) -> dict:
    """One run of the model-based learner on a :class:`DeepChain` of ``n``
    states for ``n_episodes`` episodes of ``2 n`` steps.

    ``bonus`` is ``"none"`` (plan for the model's reward; with ``epsilon``
    > 0 this is ε-greedy), ``"disagreement"`` (plus ``beta`` times the
    ensemble's spread ``sigma = sqrt(disagreement)``) or ``"count"`` (plus
    ``beta / sqrt(N(s, a) + 1)``).  Every variant updates the same count
    model and the same ensemble after every real step and runs ``sweeps``
    (default ``n``) value-iteration sweeps, so they differ only in how they
    choose actions.

    Returns the episode in which the treasure was first reached (1-based,
    ``None`` if never), the number of episodes that reached it, the total
    reward, the real steps and sweeps spent, and the fraction of
    state-action pairs ever tried."""
    if bonus not in BONUSES:
        raise ValueError(f"bonus must be one of {BONUSES}, got {bonus!r}")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
    sweeps = n if sweeps is None else sweeps
    env = DeepChain(n, stream_rng(seed, "chain_layout"), slip=slip)
    env_rng, act_rng = stream_rng(seed, "chain_steps"), stream_rng(seed, "actions")
    S, A = env.n_states, env.n_actions
    model = TabularModel(S, A)
    ensemble = BootstrapTableEnsemble(S, A, stream_rng(seed, "ensemble"),
                                      n_members=n_members)
    q = np.zeros((S, A))
    first = None
    found = total = steps = n_sweeps = 0
    for episode in range(1, n_episodes + 1):
        s = 0
        for _ in range(2 * n):
            if bonus == "disagreement":
                b = beta * np.sqrt(ensemble.disagreement())
            elif bonus == "count":
                b = beta / np.sqrt(model.visits + 1.0)
            else:
                b = np.zeros((S, A))
            q = plan_q(model, b, gamma, q, sweeps)
            n_sweeps += sweeps
            a = epsilon_greedy(q[s], epsilon, act_rng)
            s2, r, done = env.step(s, a, env_rng)
            model.update(s, a, r, s2, done)
            ensemble.update(s, a, s2)
            total, steps = total + r, steps + 1
            s = s2
            if done:
                found += 1
                first = episode if first is None else first
                break
    return {"first_treasure_episode": first, "treasure_episodes": found,
            "total_reward": float(total), "real_steps": steps, "sweeps": n_sweeps,
            "pairs_tried": float((model.visits[: n - 1] > 0).mean())}


def make_ensemble(n_states: int, n_actions: int, seed: int,
                  **kw) -> BootstrapTableEnsemble:
    """A :class:`BootstrapTableEnsemble` seeded with an int (for the book)."""
    return BootstrapTableEnsemble(n_states, n_actions, make_rng(seed), **kw)
