"""Belief states: a discrete Bayes filter and the tiger problem (§5.4).

In a partially observable MDP the agent sees an observation ``o`` drawn from
``Z[a, s', o] = p(o | s', a)`` instead of the state.  The *belief*
``b(s) = p(s | history)`` is a sufficient statistic of the history, and it
is updated after each action and observation by Bayes' rule:

    b'(s') = Z[a, s', o] * sum_s P[s, a, s'] b(s)  /  normaliser

(predict with the transition model, then weigh by how likely each state
makes the observation).  The tiger problem of Kaelbling, Littman & Cassandra
(1998) makes the point: a tiger is behind the left or the right door;
listening costs 1 and reports the tiger's side correctly with probability
0.85; opening the tiger's door costs 100, the other door pays 10, and either
opening resets the problem.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LISTEN, OPEN_LEFT, OPEN_RIGHT = 0, 1, 2
TIGER_LEFT, TIGER_RIGHT = 0, 1
HEAR_LEFT, HEAR_RIGHT = 0, 1


def belief_update(b: np.ndarray, a: int, o: int, P: np.ndarray, Z: np.ndarray
                  ) -> np.ndarray:
    """One Bayes-filter step: ``b [S]``, ``P [S, A, S]``, ``Z [A, S, Obs]``
    -> the posterior ``b' [S]`` after action ``a`` and observation ``o``.

    Raises ``ValueError`` when the observation has probability zero under
    the belief (the model says it cannot happen)."""
    b = np.asarray(b, dtype=float)
    if b.shape != (P.shape[0],) or not np.isclose(b.sum(), 1.0) or (b < 0).any():
        raise ValueError(f"b must be a distribution over {P.shape[0]} states, "
                         f"got {b}")
    predicted = b @ P[:, a, :]            # p(s' | history, a)
    unnormalised = Z[a, :, o] * predicted  # times p(o | s', a)
    z = unnormalised.sum()
    if z <= 0:
        raise ValueError(f"observation {o} has probability 0 after action {a} "
                         f"from belief {b}")
    return unnormalised / z


@dataclass(frozen=True)
class Tiger:
    """The tiger problem's model: ``P [2, 3, 2]``, ``Z [3, 2, 2]``, ``R [2, 3]``."""

    accuracy: float = 0.85
    """Probability that listening reports the tiger's true side."""
    listen_cost: float = 1.0
    tiger_cost: float = 100.0
    treasure: float = 10.0

    @property
    def P(self) -> np.ndarray:
        P = np.zeros((2, 3, 2))
        P[:, LISTEN, :] = np.eye(2)   # listening leaves the tiger where it is
        P[:, OPEN_LEFT, :] = 0.5      # opening a door resets the problem
        P[:, OPEN_RIGHT, :] = 0.5
        return P

    @property
    def Z(self) -> np.ndarray:
        Z = np.full((3, 2, 2), 0.5)   # after opening, the growl says nothing
        q = self.accuracy
        Z[LISTEN] = [[q, 1 - q], [1 - q, q]]
        return Z

    @property
    def R(self) -> np.ndarray:
        R = np.zeros((2, 3))
        R[:, LISTEN] = -self.listen_cost
        R[TIGER_LEFT, OPEN_LEFT] = R[TIGER_RIGHT, OPEN_RIGHT] = -self.tiger_cost
        R[TIGER_LEFT, OPEN_RIGHT] = R[TIGER_RIGHT, OPEN_LEFT] = self.treasure
        return R


def belief_policy(threshold: float):
    """Listen until the belief in one side reaches ``threshold``, then open
    the OTHER door."""
    def act(b: np.ndarray, last_obs: int | None) -> int:
        if b[TIGER_LEFT] >= threshold:
            return OPEN_RIGHT
        if b[TIGER_RIGHT] >= threshold:
            return OPEN_LEFT
        return LISTEN
    return act


def last_observation_policy(b: np.ndarray, last_obs: int | None) -> int:
    """A memoryless agent: listen once, then open the door opposite to the
    growl it heard last (it forgets everything before)."""
    if last_obs is None:
        return LISTEN
    return OPEN_RIGHT if last_obs == HEAR_LEFT else OPEN_LEFT


def run_tiger(policy, n_steps: int, seed: int, tiger: Tiger = Tiger()) -> dict:
    """Play ``n_steps`` steps of the tiger problem with ``policy(b, last_obs)
    -> action``, filtering the belief with :func:`belief_update`.

    Returns the mean reward per step, the number of doors opened and the
    fraction of openings that found the treasure."""
    rng = np.random.default_rng(seed)
    P, Z, R = tiger.P, tiger.Z, tiger.R
    s = int(rng.integers(2))
    b, last = np.array([0.5, 0.5]), None
    total, opened, good = 0.0, 0, 0
    for _ in range(n_steps):
        a = policy(b, last)
        total += R[s, a]
        if a != LISTEN:
            opened += 1
            good += int(R[s, a] > 0)
        s2 = int(rng.choice(2, p=P[s, a]))
        o = int(rng.choice(2, p=Z[a, s2]))
        b = belief_update(b, a, o, P, Z)
        last = o if a == LISTEN else None
        s = s2
    return {"reward_per_step": total / n_steps, "opened": opened,
            "treasure_rate": good / max(opened, 1)}
