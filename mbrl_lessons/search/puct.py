"""pUCT tree search over a model given as a function (chapter 7, §7.5).

The search of AlphaZero (Silver et al. 2018) and MuZero (Schrittwieser et al.
2020), written against an mctx-style ``recurrent_fn(state, action) -> (reward,
next_state, logits, value)``: pass a learned latent model and it is MuZero's
search; pass a true simulator and it is AlphaZero's.  Each simulation descends
by the pUCT rule (prior-weighted UCB, MuZero eq. 2) with min-max normalised Q
values, expands one leaf with a single call of ``recurrent_fn`` (no rollout)
and backs up the discounted return.  Single-player, discrete actions.  The
UCT search of chapter 6, with rollouts and no priors, is in ``mcts.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mbrl_lessons.search.mcts import counts_to_policy


class MinMaxStats:
    """The range of Q values seen in one search, to map them onto ``[0, 1]``
    (rewards of unknown scale; paper eq. 5)."""

    def __init__(self) -> None:
        self.minimum, self.maximum = math.inf, -math.inf

    def update(self, q: float) -> None:
        self.minimum, self.maximum = min(self.minimum, q), max(self.maximum, q)

    def normalize(self, q: float) -> float:
        if self.maximum > self.minimum:
            return (q - self.minimum) / (self.maximum - self.minimum)
        return q  # no range seen yet: leave the value as it is


def puct_score(q: float, prior: float, n_parent: int, n_child: int,
               c1: float = 1.25, c2: float = 19652.0) -> float:
    """pUCT (paper eq. 2): ``q + P sqrt(N) / (1 + n) (c1 + log((N + c2 + 1) / c2))``.

    ``q`` is the child's normalised value, ``P`` its prior, ``N`` the parent's
    and ``n`` the child's visit count.
    """
    c = c1 + math.log((n_parent + c2 + 1.0) / c2)
    return q + prior * c * math.sqrt(n_parent) / (1.0 + n_child)


class LatentNode:
    """A search node: a hidden state, the reward predicted on the way in, and
    visit statistics; ``value_sum`` adds discounted returns from this node."""

    __slots__ = ("prior", "state", "reward", "children", "N", "value_sum")

    def __init__(self, prior: float) -> None:
        self.prior, self.state, self.reward = prior, None, 0.0
        self.children: dict[int, LatentNode] = {}
        self.N, self.value_sum = 0, 0.0

    def value(self) -> float:
        return self.value_sum / self.N if self.N else 0.0


RecurrentFn = Callable[[Any, int], tuple[float, Any, np.ndarray, float]]


def _expand(node: LatentNode, state, reward: float, logits: np.ndarray) -> None:
    node.state, node.reward = state, float(reward)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    node.children = {a: LatentNode(float(p[a])) for a in range(len(p))}


def _q(child: LatentNode, gamma: float) -> float:
    return child.reward + gamma * child.value()


def select_child(node: LatentNode, stats: MinMaxStats, gamma: float, c1: float,
                 c2: float) -> tuple[int, LatentNode]:
    """The child with the highest pUCT score; ties go to the lowest action.

    An unvisited child is scored with the node's own mean value (as mctx does)
    rather than the pseudocode's 0: with a few dozen simulations, a pessimistic
    0 (the bottom of the normalised range) locks the search onto the first
    child it tried.
    """
    best, best_score = None, -math.inf
    q_unvisited = stats.normalize(node.value()) if node.N else 0.0
    for a, ch in node.children.items():
        q = stats.normalize(_q(ch, gamma)) if ch.N else q_unvisited
        score = puct_score(q, ch.prior, node.N, ch.N, c1, c2)
        if score > best_score:
            best, best_score = (a, ch), score
    return best


def run_mcts(root_state, root_logits: np.ndarray, recurrent_fn: RecurrentFn,
             n_simulations: int, gamma: float, rng: np.random.Generator | None = None,
             dirichlet_alpha: float = 0.25, noise_fraction: float = 0.0,
             c1: float = 1.25, c2: float = 19652.0) -> LatentNode:
    """Search from a root state; returns the root (``root.children[a].N`` are
    the visit counts, ``root.value()`` the search value).

    ``noise_fraction > 0`` mixes Dirichlet(``dirichlet_alpha``) noise into the
    root priors (acting only; needs ``rng``).
    """
    if n_simulations < 1:
        raise ValueError(f"n_simulations must be >= 1, got {n_simulations}")
    root = LatentNode(1.0)
    _expand(root, root_state, 0.0, np.asarray(root_logits, dtype=np.float64))
    if noise_fraction > 0:
        if rng is None:
            raise ValueError("run_mcts: root noise needs an rng")
        noise = rng.dirichlet([dirichlet_alpha] * len(root.children))
        for a, ch in root.children.items():
            ch.prior = (1 - noise_fraction) * ch.prior + noise_fraction * noise[a]
    stats = MinMaxStats()
    for _ in range(n_simulations):
        node, path = root, [root]
        while node.children:  # descend to a leaf not yet expanded
            a, node = select_child(node, stats, gamma, c1, c2)
            path.append(node)
        # one model step to the leaf: the parent's hidden state and the action
        reward, state, logits, value = recurrent_fn(path[-2].state, a)
        _expand(node, state, reward, np.asarray(logits, dtype=np.float64))
        for n in reversed(path):  # back up the discounted return
            n.value_sum += value
            n.N += 1
            stats.update(_q(n, gamma))
            value = n.reward + gamma * value
    return root


def visit_policy(root: LatentNode, temperature: float = 1.0) -> np.ndarray:
    """Visit counts as a distribution ``pi(a) ~ N(a)^(1/T)``; ``T = 0`` is argmax."""
    return counts_to_policy([ch.N for ch in root.children.values()], temperature)


def best_action(root: LatentNode, gamma: float) -> int:
    """The most visited move; ties (common with few simulations) go to the
    higher backed-up Q rather than to the lowest action number."""
    return max(root.children, key=lambda a: (root.children[a].N,
                                             _q(root.children[a], gamma)))


__all__ = ["LatentNode", "MinMaxStats", "RecurrentFn", "best_action", "puct_score",
           "run_mcts", "select_child", "visit_policy"]
