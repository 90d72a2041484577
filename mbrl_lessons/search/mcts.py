"""Monte Carlo tree search with UCT (Kocsis & Szepesvári 2006), chapter 6.

Works on any two-player, zero-sum, turn-based simulator given as a
:class:`Game` of pure functions (copying the simulator is free).  One
*simulation* has the four classic steps:

1. **selection** — from the root, follow the child maximising the UCB score
   ``Q(s,a) + c sqrt(ln N(s) / N(s,a))`` while the node is fully expanded;
2. **expansion** — add one untried child;
3. **simulation** — play uniformly random moves to the end of the game;
4. **backpropagation** — add the result to every node on the path, each from
   the point of view of the player who made the move into it.

After the budget, the root's visit counts are the search policy; the most
visited move is played.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mbrl_lessons.core.seeding import SeedLike, make_rng


@dataclass(frozen=True)
class Game:
    """A simulator as pure functions on an immutable state."""

    legal_actions: Callable
    play: Callable
    is_terminal: Callable
    winner: Callable   # +1 / -1 for the first / second player, 0 for none
    to_play: Callable  # +1 or -1


def tictactoe_game() -> Game:
    from mbrl_lessons.envs import tictactoe as t

    return Game(t.legal_actions, t.play, t.is_terminal, t.winner, t.to_play)


def ucb_score(q: float, n_parent: int, n_child: int, c: float) -> float:
    """UCB1: ``q + c sqrt(ln n_parent / n_child)``; unvisited children first."""
    if n_child == 0:
        return math.inf
    return q + c * math.sqrt(math.log(n_parent) / n_child)


class Node:
    """A search-tree node; ``W`` sums results for the player who moved here."""

    __slots__ = ("state", "mover", "children", "untried", "N", "W", "terminal")

    def __init__(self, state, mover: int, game: Game) -> None:
        self.state = state
        self.mover = mover
        self.terminal = game.is_terminal(state)
        self.untried = [] if self.terminal else list(game.legal_actions(state))
        self.children: dict[int, Node] = {}
        self.N = 0
        self.W = 0.0

    @property
    def Q(self) -> float:
        return self.W / self.N if self.N else 0.0


def backpropagate(path: list[Node], result: int) -> None:
    """Add one game result (+1 first player wins, -1 second, 0 draw) to each
    node on the path, as a win (1), draw (0.5) or loss (0) for its mover."""
    for node in path:
        node.N += 1
        node.W += 0.5 + 0.5 * result * node.mover


def select_child(node: Node, c: float) -> tuple[int, Node]:
    """The child with the highest UCB score (ties: first in insertion order)."""
    log_n = math.log(node.N)
    best, best_score = None, -math.inf
    for a, ch in node.children.items():
        score = ch.W / ch.N + c * math.sqrt(log_n / ch.N)
        if score > best_score:
            best, best_score = (a, ch), score
    return best


def mcts(game: Game, root_state, n_simulations: int, rng: np.random.Generator,
         c: float = math.sqrt(2)) -> Node:
    """Run ``n_simulations`` UCT simulations from ``root_state``; return the root."""
    root = Node(root_state, -game.to_play(root_state), game)
    legal, play_, terminal, winner, to_play = (game.legal_actions, game.play,
                                               game.is_terminal, game.winner,
                                               game.to_play)
    randoms = rng.random(n_simulations * 10 + 16)
    k = 0
    for _ in range(n_simulations):
        node, path = root, [root]
        # 1. selection
        while not node.untried and node.children:
            _, node = select_child(node, c)
            path.append(node)
        # 2. expansion
        if node.untried:
            a = node.untried.pop(int(randoms[k] * len(node.untried)))
            k += 1
            child = Node(play_(node.state, a), to_play(node.state), game)
            node.children[a] = child
            node = child
            path.append(node)
        # 3. simulation (random rollout)
        state = node.state
        while not terminal(state):
            moves = legal(state)
            if k >= len(randoms):
                randoms, k = rng.random(4096), 0
            state = play_(state, moves[int(randoms[k] * len(moves))])
            k += 1
        # 4. backpropagation
        backpropagate(path, winner(state))
    return root


def search_policy(root: Node, n_actions: int, temperature: float = 1.0) -> np.ndarray:
    """Visit counts turned into a distribution ``pi(a) ~ N(a)^(1/T)``; ``T -> 0``
    is the most-visited move."""
    counts = np.zeros(n_actions)
    for a, ch in root.children.items():
        counts[a] = ch.N
    if temperature == 0:
        out = np.zeros(n_actions)
        out[int(np.argmax(counts))] = 1.0
        return out
    counts = counts ** (1.0 / temperature)
    return counts / counts.sum()


class MCTSPlayer:
    """Plays the most-visited move of a fresh search every turn."""

    def __init__(self, game: Game, n_simulations: int, seed: SeedLike = 0,
                 c: float = math.sqrt(2)) -> None:
        self.game, self.n, self.c = game, n_simulations, c
        self.rng = make_rng(seed)

    def __call__(self, state) -> int:
        root = mcts(self.game, state, self.n, self.rng, self.c)
        return max(root.children.items(), key=lambda kv: kv[1].N)[0]


def play_match(game: Game, first: Callable, second: Callable, start=None) -> int:
    """Play one game; returns +1 (first wins), -1 (second wins) or 0."""
    from mbrl_lessons.envs.tictactoe import EMPTY

    state = EMPTY if start is None else start
    players = {1: first, -1: second}
    while not game.is_terminal(state):
        state = game.play(state, players[game.to_play(state)](state))
    return game.winner(state)
