"""Tic-tac-toe: a copyable simulator, a perfect player, and a gymnasium env.

The simulator is a set of pure functions on a state ``(x, o)`` of two 9-bit
masks (cell ``i`` is bit ``i``, row-major); X moves first, so the player to
move follows from the counts.  Pure functions on small ints make "copying the
simulator" free, which is what tree search needs (chapter 6).
"""

from __future__ import annotations

from functools import cache

import gymnasium as gym
import numpy as np
from gymnasium import spaces

WIN_LINES = tuple(sum(1 << i for i in line) for line in (
    (0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8),
    (2, 4, 6)))
FULL = (1 << 9) - 1
EMPTY = (0, 0)
X, O = 1, -1


def _popcount(b: int) -> int:
    return bin(b).count("1")


def to_play(state: tuple[int, int]) -> int:
    """``X`` (+1) or ``O`` (-1): whose turn it is."""
    x, o = state
    return X if _popcount(x) == _popcount(o) else O


def has_won(bits: int) -> bool:
    for m in WIN_LINES:
        if bits & m == m:
            return True
    return False


def winner(state: tuple[int, int]) -> int:
    """+1 if X has three in a row, -1 if O has, 0 otherwise."""
    x, o = state
    if has_won(x):
        return X
    if has_won(o):
        return O
    return 0


def is_terminal(state: tuple[int, int]) -> bool:
    x, o = state
    return (x | o) == FULL or has_won(x) or has_won(o)


def legal_actions(state: tuple[int, int]) -> list[int]:
    filled = state[0] | state[1]
    return [i for i in range(9) if not (filled >> i) & 1]


def play(state: tuple[int, int], action: int) -> tuple[int, int]:
    """The state after the player to move marks cell ``action``."""
    x, o = state
    bit = 1 << action
    if not 0 <= action < 9 or (x | o) & bit:
        raise ValueError(f"illegal move {action} in\n{render(state)}")
    return (x | bit, o) if to_play(state) == X else (x, o | bit)


def from_board(board: str) -> tuple[int, int]:
    """A state from 9 characters of ``X``, ``O`` and ``.`` (row-major)."""
    board = board.replace("\n", "").replace(" ", "")
    if len(board) != 9 or set(board) - set("XO."):
        raise ValueError(f"a board is 9 characters of X, O and '.', got {board!r}")
    x = sum(1 << i for i, c in enumerate(board) if c == "X")
    o = sum(1 << i for i, c in enumerate(board) if c == "O")
    if not 0 <= _popcount(x) - _popcount(o) <= 1:
        raise ValueError("X moves first: X must have as many marks as O, or one more")
    return x, o


def render(state: tuple[int, int]) -> str:
    x, o = state
    cells = ["X" if (x >> i) & 1 else "O" if (o >> i) & 1 else "." for i in range(9)]
    return "\n".join("".join(cells[r * 3:r * 3 + 3]) for r in range(3))


def encode(state: tuple[int, int]) -> np.ndarray:
    """The board from the point of view of the player to move: ``[18]``
    floats, 1 where that player has a mark (first 9) and where the opponent
    has one (last 9).  One network then plays both X and O."""
    x, o = state
    own, other = (x, o) if to_play(state) == X else (o, x)
    return np.array([(own >> i) & 1 for i in range(9)]
                    + [(other >> i) & 1 for i in range(9)], dtype=np.float32)


def _symmetries() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """The 8 rotations and reflections of the board as ``(obs_perm,
    action_perm)``: ``obs[obs_perm]`` and ``pi[action_perm]`` are the
    transformed encoding ``[18]`` and move distribution ``[9]``."""
    grid = np.arange(9).reshape(3, 3)
    out = []
    for k in range(4):
        for flip in (False, True):
            g = np.rot90(grid, k)
            g = np.fliplr(g) if flip else g
            perm = g.reshape(-1)
            out.append((np.concatenate([perm, perm + 9]), perm))
    return tuple(out)


SYMMETRIES = _symmetries()


@cache
def minimax_value(state: tuple[int, int]) -> int:
    """Game value for X under perfect play by both sides (+1, 0, -1)."""
    w = winner(state)
    if w or (state[0] | state[1]) == FULL:
        return w
    values = [minimax_value(play(state, a)) for a in legal_actions(state)]
    return max(values) if to_play(state) == X else min(values)


@cache
def positions(terminal: bool = False) -> tuple[tuple[int, int], ...]:
    """Every position reachable from the empty board by legal play (4,520
    with a move to make; ``terminal=True`` adds the 958 finished ones)."""
    seen, stack = set(), [EMPTY]
    while stack:
        s = stack.pop()
        if s in seen:
            continue
        seen.add(s)
        if not is_terminal(s):
            stack += [play(s, a) for a in legal_actions(s)]
    return tuple(sorted(s for s in seen if terminal or not is_terminal(s)))


def perfect_moves(state: tuple[int, int]) -> list[int]:
    """All moves that keep the best game value for the player to move."""
    sign = to_play(state)
    scored = [(sign * minimax_value(play(state, a)), a) for a in legal_actions(state)]
    best = max(v for v, _ in scored)
    return [a for v, a in scored if v == best]


class TicTacToe(gym.Env):
    """The agent plays X (first) against an opponent policy playing O.

    Observation: the board as 9 values in {0: empty, 1: X, 2: O}.  Reward +1 for
    a win, -1 for a loss, 0 otherwise; an illegal move loses at once.
    ``opponent`` is ``"random"`` or ``"perfect"`` (minimax, random tie-breaks).
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, opponent: str = "random", render_mode: str | None = None):
        if opponent not in ("random", "perfect"):
            raise ValueError(
                f"opponent must be 'random' or 'perfect', got {opponent!r}")
        self.opponent = opponent
        self.render_mode = render_mode
        self.observation_space = spaces.MultiDiscrete([3] * 9)
        self.action_space = spaces.Discrete(9)
        self.state = EMPTY

    def _obs(self) -> np.ndarray:
        x, o = self.state
        return np.array([1 if (x >> i) & 1 else 2 if (o >> i) & 1 else 0
                         for i in range(9)], dtype=np.int64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = EMPTY
        return self._obs(), {}

    def step(self, action):
        action = int(action)
        if action not in legal_actions(self.state):
            return self._obs(), -1.0, True, False, {"illegal": True}
        self.state = play(self.state, action)
        if is_terminal(self.state):
            return self._obs(), float(winner(self.state)), True, False, {}
        moves = (legal_actions(self.state) if self.opponent == "random"
                 else perfect_moves(self.state))
        self.state = play(self.state, int(moves[self.np_random.integers(len(moves))]))
        done = is_terminal(self.state)
        return self._obs(), float(winner(self.state)), done, False, {}

    def render(self):
        return render(self.state) + "\n"
