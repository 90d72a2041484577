"""Connect Four on a board of any size: pure-function rules and a gymnasium env.

The harder game of §7.5.  ``rows x columns`` cells, players drop a disc into a
column and it falls to the lowest empty cell; ``k`` in a row (horizontal,
vertical or diagonal) wins, a full board without one is a draw.  The standard
game is ``6 x 7, k = 4``; OpenSpiel's ``connect_four(rows=R,columns=C,
x_in_row=K)`` is the same game with the same action numbers (the column), and
it referees every move our agents make (``analysis/games.py``).

A state is two bitboards ``(first, second)``, the discs of the player who
moved first and of the other.  Bit ``c * (rows + 1) + r`` is row ``r``
(0 at the bottom) of column ``c``; the extra, never-set bit on top of each
column stops a line from wrapping into the next column, so a win is found
with ``k - 1`` shifts and ANDs per direction (the classic bitboard trick).
"""

from __future__ import annotations

from functools import cached_property

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from mbrl_lessons.search.mcts import Game

FIRST, SECOND = 1, -1


class ConnectFourRules:
    """The rules of ``k`` in a row on ``rows x columns`` as pure functions of
    a state ``(first_bits, second_bits)``."""

    def __init__(self, rows: int = 6, columns: int = 7, k: int = 4) -> None:
        if rows < 1 or columns < 1:
            raise ValueError(f"the board needs rows, columns >= 1, got {rows} x "
                             f"{columns}")
        if not 2 <= k <= max(rows, columns):
            raise ValueError(f"k must be in [2, max(rows, columns)] = "
                             f"[2, {max(rows, columns)}], got {k}")
        self.rows, self.columns, self.k = rows, columns, k
        self.height = rows + 1
        self.bottom = [1 << (c * self.height) for c in range(columns)]
        self.top = [1 << (c * self.height + rows - 1) for c in range(columns)]
        self.column_mask = [((1 << rows) - 1) << (c * self.height)
                            for c in range(columns)]
        self.full = sum(self.column_mask)
        self.shifts = (1, self.height, self.height - 1, self.height + 1)
        # cell r * columns + c of the encoding <- bit c * height + r
        self.cell_bits = [c * self.height + r for r in range(rows)
                          for c in range(columns)]
        self.initial = (0, 0)

    def __repr__(self) -> str:
        return f"ConnectFourRules(rows={self.rows}, columns={self.columns}, k={self.k})"

    # -- the Game interface ---------------------------------------------------
    def to_play(self, state: tuple[int, int]) -> int:
        """``FIRST`` (+1) or ``SECOND`` (-1)."""
        a, b = state
        return FIRST if a.bit_count() == b.bit_count() else SECOND

    def has_line(self, bits: int) -> bool:
        """Whether ``bits`` hold ``k`` in a row in any direction."""
        for s in self.shifts:
            m = bits
            for i in range(1, self.k):
                m &= bits >> (s * i)
                if not m:
                    break
            if m:
                return True
        return False

    def winner(self, state: tuple[int, int]) -> int:
        """+1 if the first player has ``k`` in a row, -1 if the second has."""
        if self.has_line(state[0]):
            return FIRST
        if self.has_line(state[1]):
            return SECOND
        return 0

    def is_terminal(self, state: tuple[int, int]) -> bool:
        a, b = state
        return (a | b) == self.full or self.winner(state) != 0

    def legal_actions(self, state: tuple[int, int]) -> list[int]:
        """Columns that are not full (empty list once the game is over)."""
        if self.is_terminal(state):
            return []
        filled = state[0] | state[1]
        return [c for c in range(self.columns) if not filled & self.top[c]]

    def play(self, state: tuple[int, int], action: int) -> tuple[int, int]:
        """Drop a disc of the player to move into column ``action``."""
        a, b = state
        filled = a | b
        if not 0 <= action < self.columns or filled & self.top[action]:
            raise ValueError(f"illegal move {action} (columns 0..{self.columns - 1},"
                             f" not full) in\n{self.render(state)}")
        if self.winner(state):
            raise ValueError(f"the game is over:\n{self.render(state)}")
        disc = (filled + self.bottom[action]) & self.column_mask[action]
        return (a | disc, b) if self.to_play(state) == FIRST else (a, b | disc)

    def encode(self, state: tuple[int, int]) -> np.ndarray:
        """``[2 * rows * columns]`` floats seen from the player to move: 1
        where that player has a disc (first plane) and where the opponent has
        one (second); cell ``r * columns + c``, row 0 at the bottom."""
        a, b = state
        own, other = (a, b) if self.to_play(state) == FIRST else (b, a)
        return np.array([(own >> i) & 1 for i in self.cell_bits]
                        + [(other >> i) & 1 for i in self.cell_bits], dtype=np.float32)

    @cached_property
    def symmetries(self) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
        """Identity and the left-right mirror as ``(obs_perm, action_perm)``."""
        n = self.rows * self.columns
        cells = np.arange(n).reshape(self.rows, self.columns)
        mirror = cells[:, ::-1].reshape(-1)
        actions = np.arange(self.columns)
        return ((np.arange(2 * n), actions),
                (np.concatenate([mirror, mirror + n]), actions[::-1].copy()))

    # -- helpers ----------------------------------------------------------------
    def from_board(self, board: str) -> tuple[int, int]:
        """A state from ``rows`` lines of ``columns`` characters ``X`` (first
        player), ``O`` and ``.``, top row first (as printed)."""
        lines = [ln.strip() for ln in board.strip().splitlines() if ln.strip()]
        if len(lines) != self.rows or any(
                len(ln) != self.columns or set(ln) - set("XO.") for ln in lines):
            raise ValueError(f"a board is {self.rows} lines of {self.columns} "
                             f"characters of X, O and '.', got {board!r}")
        a = b = 0
        for i, line in enumerate(lines):
            r = self.rows - 1 - i
            for c, ch in enumerate(line):
                bit = 1 << (c * self.height + r)
                if ch == "X":
                    a |= bit
                elif ch == "O":
                    b |= bit
        filled = a | b
        for c in range(self.columns):
            col = (filled & self.column_mask[c]) >> (c * self.height)
            if col & (col + 1):
                raise ValueError(f"column {c} has a disc above an empty cell")
        if not 0 <= a.bit_count() - b.bit_count() <= 1:
            raise ValueError("X moves first: X must have as many discs as O, "
                             "or one more")
        return a, b

    def render(self, state: tuple[int, int]) -> str:
        a, b = state
        lines = []
        for r in reversed(range(self.rows)):
            bits = [c * self.height + r for c in range(self.columns)]
            lines.append("".join("X" if (a >> i) & 1 else "O" if (b >> i) & 1 else "."
                                 for i in bits))
        return "\n".join(lines)

    def game(self) -> Game:
        """The rules as the :class:`~mbrl_lessons.search.mcts.Game` that the
        searches and learners take."""
        return Game(self.legal_actions, self.play, self.is_terminal, self.winner,
                    self.to_play, n_actions=self.columns, initial=self.initial,
                    encode=self.encode, symmetries=self.symmetries,
                    board_shape=(self.rows, self.columns))

    def openspiel_name(self) -> str:
        """The same game in OpenSpiel."""
        return (f"connect_four(rows={self.rows},columns={self.columns},"
                f"x_in_row={self.k})")


def connect_four_game(rows: int = 6, columns: int = 7, k: int = 4) -> Game:
    """``ConnectFourRules(rows, columns, k).game()``."""
    return ConnectFourRules(rows, columns, k).game()


class ConnectFour(gym.Env):
    """The agent moves first against a uniformly random opponent.

    Observation: the board ``[rows, columns]`` in {0 empty, 1 agent, 2
    opponent}, row 0 at the bottom.  Reward +1 for a win, -1 for a loss, 0
    otherwise; an illegal move (a full column) loses at once.  ``.game``
    holds the rules as a ``Game`` for the learners that need them
    (AlphaZero, MuZero's legal moves at the root).
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, rows: int = 6, columns: int = 7, k: int = 4,
                 render_mode: str | None = None) -> None:
        self.rules = ConnectFourRules(rows, columns, k)
        self.game = self.rules.game()
        self.render_mode = render_mode
        self.observation_space = spaces.Box(0, 2, (rows, columns), dtype=np.int64)
        self.action_space = spaces.Discrete(columns)
        self.state = self.rules.initial

    def _obs(self) -> np.ndarray:
        a, b = self.state
        r = self.rules
        out = np.zeros((r.rows, r.columns), dtype=np.int64)
        for i, bit in enumerate(r.cell_bits):
            out.flat[i] = 1 if (a >> bit) & 1 else 2 if (b >> bit) & 1 else 0
        return out

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.state = self.rules.initial
        return self._obs(), {}

    def step(self, action):
        action = int(action)
        if action not in self.rules.legal_actions(self.state):
            return self._obs(), -1.0, True, False, {"illegal": True}
        self.state = self.rules.play(self.state, action)
        if self.rules.is_terminal(self.state):
            return self._obs(), float(self.rules.winner(self.state)), True, False, {}
        moves = self.rules.legal_actions(self.state)
        self.state = self.rules.play(self.state,
                                     int(moves[self.np_random.integers(len(moves))]))
        done = self.rules.is_terminal(self.state)
        return self._obs(), float(self.rules.winner(self.state)), done, False, {}

    def render(self):
        return self.rules.render(self.state) + "\n"


__all__ = ["ConnectFour", "ConnectFourRules", "connect_four_game"]
