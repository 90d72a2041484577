"""pUCT tree search over a model given as a function (chapter 7, §7.5).

The search of AlphaZero (Silver et al. 2018) and MuZero (Schrittwieser et al.
2020), written against an mctx-style ``recurrent_fn(state, action) ->
RecurrentOutput(reward, next_state, logits, value, terminal)``: pass a
learned latent model and it is MuZero's search; pass a true simulator and it
is AlphaZero's.  Each simulation descends by the pUCT rule (prior-weighted
UCB, MuZero eq. 2) with min-max normalised Q values, expands one leaf with a
single call of ``recurrent_fn`` (no rollout) and backs up the return.

Node statistics use the vocabulary of every tree search in this package
(``mcts.py``, ``env_mcts.py``): ``N`` visits, ``W`` summed backed-up value,
``V = W / N``.  Here ``V`` is the value of the node's state *for the player
to move there*, and the edge value is ``Q(s, a) = r + sign * gamma * V(s')``
with ``sign = +1`` for one agent and ``-1`` for two alternating players of a
zero-sum game: what is good for the opponent to move at ``s'`` is bad for the
player who moved into it (the negamax backup; mctx expresses the same thing
as a discount of ``-1``).

Two details decide what a small search does, so they are stated here:

* **A node's own evaluation counts as a visit.**  A node expanded with
  network value ``v`` starts with ``N = 1, W = v`` (the pseudocode does this
  for every leaf; mctx also for the root).  Without it the root has ``N = 0``
  at the first simulation, the exploration term ``P sqrt(N)`` is 0 for every
  child, and the first simulation goes to action 0 whatever the prior says.
* **An unvisited child scores 0 after normalisation**, the bottom of the
  range, as in the MuZero pseudocode and in mctx's default ``muzero_policy``
  (``qtransform_by_parent_and_siblings`` completes unvisited Q by the
  minimum).  Completing it with the parent's value instead is close to Gumbel
  MuZero's ``qtransform_completed_by_mix_value`` (Danihelka et al. 2022), which
  mixes the node's network value with its visited children's Q; not used here.
"""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.core.types import RecurrentFn, RecurrentOutput, require
from mbrl_lessons.search.mcts import counts_to_policy


class MinMaxStats:
    """The range of Q values seen in one search, to map them onto ``[0, 1]``
    (rewards of unknown scale; paper eq. 5).  ``bounds`` fixes the range when
    it is known, as the pseudocode's ``KnownBounds(-1, 1)`` for board games."""

    def __init__(self, bounds: tuple[float, float] | None = None) -> None:
        self.minimum, self.maximum = bounds if bounds else (math.inf, -math.inf)
        self.fixed = bounds is not None

    def update(self, q: float) -> None:
        if not self.fixed:
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


class PUCTNode:
    """A search node: a (hidden or true) state, the reward of the step into
    it, its prior, and the statistics ``N``, ``W``; ``V = W / N`` is for the
    player to move at this node."""

    __slots__ = ("prior", "state", "reward", "terminal", "children", "n_actions",
                 "N", "W")

    def __init__(self, prior: float) -> None:
        self.prior, self.state, self.reward, self.terminal = prior, None, 0.0, False
        self.children: dict[int, PUCTNode] = {}
        self.n_actions = 0
        self.N, self.W = 0, 0.0

    @property
    def expanded(self) -> bool:
        return self.n_actions > 0

    @property
    def V(self) -> float:
        return self.W / self.N if self.N else 0.0


def expand(node: PUCTNode, state, reward: float, logits: np.ndarray,
           terminal: bool = False) -> None:
    """Fill in a new node: children for every action with a finite logit,
    priors the softmax over them."""
    logits = np.asarray(logits, dtype=np.float64)
    node.state, node.reward, node.terminal = state, float(reward), bool(terminal)
    node.n_actions = len(logits)
    if terminal:
        return
    legal = np.flatnonzero(np.isfinite(logits))
    if len(legal) == 0:
        raise ValueError("a non-terminal node has no legal action (all logits -inf)")
    p = np.exp(logits[legal] - logits[legal].max())
    p /= p.sum()
    node.children = {int(a): PUCTNode(float(pa)) for a, pa in zip(legal, p,
                                                                   strict=True)}


def edge_q(child: PUCTNode, gamma: float, sign: float = 1.0) -> float:
    """``Q(s, a) = r + sign * gamma * V(s')`` for the player to move at ``s``."""
    return child.reward + sign * gamma * child.V


def select_child(node: PUCTNode, stats: MinMaxStats, gamma: float, c1: float,
                 c2: float, sign: float = 1.0) -> tuple[int, PUCTNode]:
    """The child with the highest pUCT score; ties go to the lowest action.

    A visited child's Q is min-max normalised; an unvisited child scores 0,
    the bottom of the range (MuZero pseudocode; mctx's default qtransform), so
    the prior alone decides which untried move comes first.
    """
    best, best_score = None, -math.inf
    for a, ch in node.children.items():
        q = stats.normalize(edge_q(ch, gamma, sign)) if ch.N else 0.0
        score = puct_score(q, ch.prior, node.N, ch.N, c1, c2)
        if score > best_score:
            best, best_score = (a, ch), score
    return best


def add_root_noise(root: PUCTNode, rng: np.random.Generator, alpha: float,
                   fraction: float) -> None:
    """Mix Dirichlet(``alpha``) noise into the root priors of the legal moves:
    ``P <- (1 - fraction) P + fraction * noise`` (AlphaZero, acting only)."""
    noise = rng.dirichlet([alpha] * len(root.children))
    for (_, ch), eta in zip(root.children.items(), noise, strict=True):
        ch.prior = (1 - fraction) * ch.prior + fraction * eta


def run_mcts(root_state, root_logits: np.ndarray, root_value: float,
             recurrent_fn: RecurrentFn, n_simulations: int, *, gamma: float = 1.0,
             two_player: bool = False, value_bounds: tuple[float, float] | None = None,
             rng: np.random.Generator | None = None, dirichlet_alpha: float = 0.25,
             noise_fraction: float = 0.0, c1: float = 1.25,
             c2: float = 19652.0) -> PUCTNode:
    """Search from a root state; returns the root (``root.children[a].N`` are
    the visit counts, ``root.V`` the search value for the player to move).

    ``root_logits`` ``[A]`` (``-inf`` for illegal moves) and ``root_value``
    come from the network at the root.  ``two_player`` switches on the
    negamax backup; ``value_bounds`` fixes the min-max range (``(-1, 1)`` for
    games won or lost).  ``noise_fraction > 0`` mixes Dirichlet noise into the
    root priors (acting only; needs ``rng``).
    """
    if n_simulations < 1:
        raise ValueError(f"n_simulations must be >= 1, got {n_simulations}")
    require(recurrent_fn, RecurrentFn, "run_mcts's recurrent_fn")
    sign = -1.0 if two_player else 1.0
    root = PUCTNode(1.0)
    expand(root, root_state, 0.0, root_logits)
    root.N, root.W = 1, float(root_value)  # the root's own evaluation
    if noise_fraction > 0:
        if rng is None:
            raise ValueError("run_mcts: root noise needs an rng")
        add_root_noise(root, rng, dirichlet_alpha, noise_fraction)
    stats = MinMaxStats(value_bounds)
    for _ in range(n_simulations):
        # 1. selection: descend by pUCT to a node not yet expanded (or terminal)
        node, path = root, [root]
        while node.expanded and not node.terminal:
            a, node = select_child(node, stats, gamma, c1, c2, sign)
            path.append(node)
        # 2. expansion: one model step from the parent's state, no rollout
        if node.expanded:  # a terminal node reached again: nothing follows it
            value = 0.0
        else:
            out = recurrent_fn(path[-2].state, a)
            if not isinstance(out, RecurrentOutput):
                raise TypeError(f"recurrent_fn must return a RecurrentOutput("
                                f"reward, next_state, logits, value, terminal), "
                                f"got {type(out).__name__}")
            expand(node, out.next_state, out.reward, out.logits, out.terminal)
            value = 0.0 if out.terminal else float(out.value)
        # 3. backup: each node gets the return for its own player to move
        for n in reversed(path):
            n.W += value
            n.N += 1
            if n is not root:
                stats.update(edge_q(n, gamma, sign))
            value = n.reward + sign * gamma * value
    return root


def visit_policy(root: PUCTNode, temperature: float = 1.0) -> np.ndarray:
    """Visit counts ``[A]`` as a distribution ``pi(a) ~ N(a)^(1/T)``; ``T = 0``
    is argmax; illegal moves (no child) get 0."""
    counts = np.zeros(root.n_actions)
    for a, ch in root.children.items():
        counts[a] = ch.N
    return counts_to_policy(counts, temperature)


def best_action(root: PUCTNode, gamma: float = 1.0, two_player: bool = False) -> int:
    """The most visited move; ties (common with few simulations) go to the
    higher backed-up Q rather than to the lowest action number."""
    sign = -1.0 if two_player else 1.0
    return max(root.children, key=lambda a: (root.children[a].N,
                                             edge_q(root.children[a], gamma, sign)))


# RecurrentOutput and RecurrentFn are imported from core.types (documented there)
__all__ = ["MinMaxStats", "PUCTNode", "add_root_noise", "best_action", "edge_q",
           "expand", "puct_score", "run_mcts", "select_child", "visit_policy"]
