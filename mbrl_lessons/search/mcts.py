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

Two classic enhancements are options of :func:`mcts` (both off by default):

* ``rave=k`` — *rapid action value estimation* (Gelly & Silver 2007, 2011):
  every node also keeps "all moves as first" (AMAF) statistics: how games
  went when the player to move there played action ``a`` *at any later
  point* of the simulation.  Selection blends them into ``Q`` with weight
  ``beta = sqrt(k / (3 N(s) + k))``, which fades as real visits accumulate.
  A move that is good in many positions (the centre in tic-tac-toe) is
  recognised after a few simulations instead of a few hundred.
* ``solver=True`` — MCTS-Solver (Winands, Björnsson & Saito 2008): terminal
  results are exact, and exactness is propagated up the tree (a node is lost
  for its mover as soon as the opponent has a proven win below it; a node
  whose children are all proven takes the best of them).  Proven nodes are
  scored by their exact value, the search stops once the root is proven, and
  the final move never walks into a proven loss.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mbrl_lessons.core.seeding import SeedLike, make_rng


@dataclass(frozen=True)
class Game:
    """A simulator as pure functions on an immutable state.

    ``n_actions``, ``initial`` and ``encode`` are needed only by the learners
    of chapter 7 (AlphaZero, MuZero): the size of the action space, the
    starting state, and the board as a float vector seen from the player to
    move (so one network plays both sides).  ``symmetries`` (optional) are
    the board's symmetries as index permutations of the encoding and of the
    actions, ``[(obs_perm, action_perm), ...]``; ``board_shape`` (optional)
    is ``(rows, cols)`` of the board planes in ``encode``, for conv nets."""

    legal_actions: Callable
    play: Callable
    is_terminal: Callable
    winner: Callable   # +1 / -1 for the first / second player, 0 for none
    to_play: Callable  # +1 or -1
    n_actions: int = 0
    initial: object = None
    encode: Callable | None = None
    symmetries: tuple = ()
    board_shape: tuple = ()


def tictactoe_game() -> Game:
    from mbrl_lessons.envs import tictactoe as t

    return Game(t.legal_actions, t.play, t.is_terminal, t.winner, t.to_play,
                n_actions=9, initial=t.EMPTY, encode=t.encode,
                symmetries=t.SYMMETRIES, board_shape=(3, 3))


def ucb_score(q: float, n_parent: int, n_child: int, c: float) -> float:
    """UCB1: ``q + c sqrt(ln n_parent / n_child)``; unvisited children first."""
    if n_child == 0:
        return math.inf
    return q + c * math.sqrt(math.log(n_parent) / n_child)


class Node:
    """A search-tree node with the statistics every tree search here uses:
    ``N`` visits, ``W`` summed results, ``V = W / N``.  Here the results are
    for the player who moved *into* the node (1 win, 0.5 draw, 0 loss), so a
    parent reads ``child.V`` directly as the value of that move."""

    __slots__ = ("state", "mover", "children", "untried", "N", "W", "terminal",
                 "proven", "amaf_N", "amaf_W")

    def __init__(self, state, mover: int, game: Game) -> None:
        self.state = state
        self.mover = mover
        self.terminal = game.is_terminal(state)
        self.untried = [] if self.terminal else list(game.legal_actions(state))
        self.children: dict[int, Node] = {}
        self.N = 0
        self.W = 0.0
        # solver: the exact value for the mover (1 win, 0.5 draw, 0 loss)
        self.proven: float | None = (0.5 + 0.5 * game.winner(state) * mover
                                     if self.terminal else None)
        # RAVE: AMAF visits and results of the *next* player's actions
        self.amaf_N: dict[int, int] = {}
        self.amaf_W: dict[int, float] = {}

    @property
    def V(self) -> float:
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


def select_child_enhanced(node: Node, c: float, rave: float, solver: bool
                          ) -> tuple[int, Node]:
    """UCB selection with RAVE blending and/or solver values.

    A proven child scores its exact value (no exploration: nothing is left to
    learn there); otherwise ``Q`` is blended with the parent's AMAF estimate
    of the same action, ``(1 - beta) Q + beta Q_amaf``."""
    log_n = math.log(node.N)
    beta = math.sqrt(rave / (3 * node.N + rave)) if rave > 0 else 0.0
    best, best_score = None, -math.inf
    for a, ch in node.children.items():
        if solver and ch.proven is not None:
            score = ch.proven
        else:
            q = ch.W / ch.N
            n_amaf = node.amaf_N.get(a, 0)
            if n_amaf:
                q = (1 - beta) * q + beta * node.amaf_W[a] / n_amaf
            score = q + c * math.sqrt(log_n / ch.N)
        if score > best_score:
            best, best_score = (a, ch), score
    return best


def prove(path: list[Node]) -> None:
    """MCTS-Solver: settle exact values bottom-up along ``path``.

    A node is lost for its mover (0) once the opponent has a child proven won
    (1); once all its children are proven, it is worth one minus the best of
    them.  Stops at the first node that cannot be settled."""
    for node in reversed(path):
        if node.proven is not None:
            continue
        values = [ch.proven for ch in node.children.values() if ch.proven is not None]
        if values and max(values) == 1.0:
            node.proven = 0.0
        elif not node.untried and len(values) == len(node.children):
            node.proven = 1.0 - max(values)
        else:
            return


def update_amaf(path: list[Node], moves: list[int], result: int) -> None:
    """RAVE: ``moves[i]`` was played at ``path[i]`` (tree moves, then the
    rollout's).  Each node credits every later move of its player to move
    (``moves[i], moves[i+2], ...``), once per action, with the result."""
    for i, node in enumerate(path):
        value = 0.5 - 0.5 * result * node.mover  # for the player to move here
        seen = set()
        for a in moves[i::2]:
            if a not in seen:
                seen.add(a)
                node.amaf_N[a] = node.amaf_N.get(a, 0) + 1
                node.amaf_W[a] = node.amaf_W.get(a, 0.0) + value


def mcts(game: Game, root_state, n_simulations: int, rng: np.random.Generator,
         c: float = math.sqrt(2), rave: float = 0.0, solver: bool = False) -> Node:
    """Run ``n_simulations`` UCT simulations from ``root_state``; return the root.

    ``rave`` (the equivalence parameter ``k``, 0 = off) and ``solver`` switch on
    the two enhancements described in the module docstring."""
    if not isinstance(game, Game):
        raise TypeError(f"game must be a search.Game of pure functions (see "
                        f"tictactoe_game()), got {type(game).__name__}")
    if n_simulations < 1:
        raise ValueError(f"n_simulations must be >= 1, got {n_simulations}")
    if c < 0:
        raise ValueError(f"the exploration weight c must be >= 0, got {c}")
    if rave < 0:
        raise ValueError(f"rave must be >= 0, got {rave}")
    try:
        finished = game.is_terminal(root_state)
    except (TypeError, ValueError, IndexError) as err:
        raise ValueError(f"root_state {root_state!r} is not a state of this game "
                         f"({err})") from err
    if finished:
        raise ValueError("cannot search from a finished game")
    root = Node(root_state, -game.to_play(root_state), game)
    legal, play_, terminal, winner, to_play = (game.legal_actions, game.play,
                                               game.is_terminal, game.winner,
                                               game.to_play)
    plain = rave == 0 and not solver
    randoms = rng.random(n_simulations * 10 + 16)
    k = 0
    for _ in range(n_simulations):
        node, path, moves = root, [root], []
        # 1. selection (stops at a proven node: its value is known)
        while not node.untried and node.children and node.proven is None:
            a, node = (select_child(node, c) if plain else
                       select_child_enhanced(node, c, rave, solver))
            path.append(node)
            moves.append(a)
        # 2. expansion
        if node.untried and node.proven is None:
            a = node.untried.pop(int(randoms[k] * len(node.untried)))
            k += 1
            child = Node(play_(node.state, a), to_play(node.state), game)
            node.children[a] = child
            node = child
            path.append(node)
            moves.append(a)
        # 3. simulation (random rollout; a proven node needs none)
        if solver and node.proven is not None:
            result = round((2 * node.proven - 1) * node.mover)
        else:
            state = node.state
            while not terminal(state):
                legal_now = legal(state)
                if k >= len(randoms):
                    randoms, k = rng.random(4096), 0
                a = legal_now[int(randoms[k] * len(legal_now))]
                k += 1
                state = play_(state, a)
                if rave:
                    moves.append(a)
            result = winner(state)
        # 4. backpropagation
        backpropagate(path, result)
        if rave:
            update_amaf(path, moves, result)
        if solver:
            prove(path)
            if root.proven is not None:
                break
    return root


def best_move(root: Node, solver: bool = False) -> int:
    """The most visited root move.  With ``solver``, proof overrides counts:
    a proven win is played, and a proven loss is avoided while anything else
    is left."""
    kids = list(root.children.items())
    if not solver:
        return max(kids, key=lambda kv: kv[1].N)[0]
    for a, ch in kids:
        if ch.proven == 1.0:
            return a
    alive = [(a, ch) for a, ch in kids if ch.proven != 0.0] or kids
    return max(alive, key=lambda kv: kv[1].N)[0]


def counts_to_policy(counts: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Visit counts ``[A]`` as a distribution ``pi(a) ~ N(a)^(1/T)``; ``T = 0``
    puts all the mass on the most-visited action.  Shared by UCT here and by
    the pUCT search of ``puct.py``."""
    counts = np.asarray(counts, dtype=np.float64)
    if temperature == 0:
        out = np.zeros_like(counts)
        out[int(np.argmax(counts))] = 1.0
        return out
    counts = counts ** (1.0 / temperature)
    return counts / counts.sum()


def search_policy(root: Node, n_actions: int, temperature: float = 1.0) -> np.ndarray:
    """Visit counts turned into a distribution ``pi(a) ~ N(a)^(1/T)``; ``T -> 0``
    is the most-visited move."""
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if root.children and max(root.children) >= n_actions:
        raise ValueError(f"n_actions={n_actions} is too small: the root has a "
                         f"child for action {max(root.children)}")
    counts = np.zeros(n_actions)
    for a, ch in root.children.items():
        counts[a] = ch.N
    return counts_to_policy(counts, temperature)


class MCTSPlayer:
    """Plays :func:`best_move` of a fresh search every turn."""

    def __init__(self, game: Game, n_simulations: int, seed: SeedLike = 0,
                 c: float = math.sqrt(2), rave: float = 0.0,
                 solver: bool = False) -> None:
        self.game, self.n, self.c = game, n_simulations, c
        self.rave, self.solver = rave, solver
        self.rng = make_rng(seed)

    def __call__(self, state) -> int:
        root = mcts(self.game, state, self.n, self.rng, self.c, self.rave,
                    self.solver)
        return best_move(root, self.solver)


def play_match(game: Game, first: Callable, second: Callable, start=None) -> int:
    """Play one game; returns +1 (first wins), -1 (second wins) or 0."""
    if start is None and game.initial is None:
        from mbrl_lessons.envs.tictactoe import EMPTY

        start = EMPTY
    state = game.initial if start is None else start
    players = {1: first, -1: second}
    while not game.is_terminal(state):
        state = game.play(state, players[game.to_play(state)](state))
    return game.winner(state)
