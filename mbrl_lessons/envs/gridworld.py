"""A tabular grid world whose true model is exposed (chapters 2, 3 and 6).

The layout is a string map, one row per line::

    S  start cell (several S: the start is drawn uniformly among them)
    G  goal cell (terminal; ``goal_reward`` on entering it)
    T  trap cell (terminal; ``trap_reward`` on entering it)
    #  wall (never occupied)
    .  free cell

Every step costs ``step_reward``; entering a goal or trap adds its reward on
top.  Moving into a wall or off the grid leaves the agent where it is.  With
probability ``slip`` the intended move is replaced by one of the other three,
chosen uniformly.  States index ALL cells, ``state = row * n_cols + col``, so
that the numbering survives a change of layout (the blocking and shortcut mazes
of chapter 6 move their walls mid-run).  :meth:`GridWorld.transition_model`
returns the exact ``P[s, a, s']`` and ``R[s, a]`` that :meth:`step` samples from.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
ARROWS = ("↑", "→", "↓", "←")

# The course's default grid: every route to the goal passes the cell above the trap.
DEFAULT_LAYOUT = """\
S...#....
.##.#.##.
.#.....#.
.#.##T.#.
...#...#G
"""

_CELL_CHARS = set("SGT#.")


def parse_layout(layout: str | Sequence[str]) -> np.ndarray:
    """A layout string (or list of rows) as a ``[rows, cols]`` array of chars."""
    rows = layout.strip("\n").splitlines() if isinstance(layout, str) else list(layout)
    rows = [r.strip() for r in rows if r.strip()]
    if not rows:
        raise ValueError("the layout is empty")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise ValueError(
            f"layout rows must have equal length, got widths {sorted(widths)}")
    bad = {ch for r in rows for ch in r} - _CELL_CHARS
    if bad:
        raise ValueError(f"unknown layout characters {sorted(bad)}; use S G T # .")
    grid = np.array([list(r) for r in rows])
    if not (grid == "S").any():
        raise ValueError("the layout needs at least one start cell 'S'")
    if not (grid == "G").any():
        raise ValueError("the layout needs at least one goal cell 'G'")
    return grid


class GridWorld(gym.Env):
    """A slippery grid world with walls, goals and traps (see module docstring)."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(
        self,
        layout: str | Sequence[str] = DEFAULT_LAYOUT,
        *,
        slip: float = 0.0,
        step_reward: float = -1.0,
        goal_reward: float = 0.0,
        trap_reward: float = -20.0,
        max_steps: int | None = 200,
        render_mode: str | None = None,
    ) -> None:
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"slip must be a probability in [0, 1], got {slip}")
        if max_steps is not None and max_steps < 1:
            raise ValueError(f"max_steps must be positive or None, got {max_steps}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of "
                             f"{self.metadata['render_modes']}, got {render_mode!r}")
        self.slip = float(slip)
        self.step_reward = float(step_reward)
        self.goal_reward = float(goal_reward)
        self.trap_reward = float(trap_reward)
        self.max_steps = max_steps
        self.render_mode = render_mode
        self.set_layout(layout)
        self.action_space = spaces.Discrete(4)
        self.n_actions = 4
        self._state: int | None = None
        self._t = 0

    # ----------------------------------------------------------------- layout
    def set_layout(self, layout: str | Sequence[str]) -> None:
        """Replace the map (same size keeps state numbers; mazes use it mid-run)."""
        grid = parse_layout(layout)
        if hasattr(self, "grid") and grid.shape != self.grid.shape:
            raise ValueError(f"a new layout must keep the size {self.grid.shape}, "
                             f"got {grid.shape}")
        self.grid = grid
        self.n_rows, self.n_cols = grid.shape
        self.n_states = self.n_rows * self.n_cols
        flat = grid.reshape(-1)
        self.wall_mask = flat == "#"
        self.goal_mask = flat == "G"
        self.trap_mask = flat == "T"
        self.terminal_mask = self.goal_mask | self.trap_mask
        self.start_states = [int(s) for s in np.flatnonzero(flat == "S")]
        self.goal_states = [int(s) for s in np.flatnonzero(self.goal_mask)]
        self.observation_space = spaces.Discrete(self.n_states)
        self._P, self._R = self._build_model()
        if getattr(self, "_state", None) is not None and self.wall_mask[self._state]:
            # A wall appeared on the agent (cannot happen in the book's mazes).
            raise ValueError("the new layout puts a wall on the agent's cell")

    def state_of(self, row: int, col: int) -> int:
        if not (0 <= row < self.n_rows and 0 <= col < self.n_cols):
            raise ValueError(f"cell ({row}, {col}) is outside the "
                             f"{self.n_rows}x{self.n_cols} grid")
        return row * self.n_cols + col

    def cell_of(self, state: int) -> tuple[int, int]:
        if not 0 <= state < self.n_states:
            raise ValueError(f"state {state} is outside 0..{self.n_states - 1}")
        return divmod(int(state), self.n_cols)

    def _move(self, state: int, action: int) -> int:
        row, col = self.cell_of(state)
        dr, dc = MOVES[action]
        r2, c2 = row + dr, col + dc
        if not (0 <= r2 < self.n_rows and 0 <= c2 < self.n_cols):
            return state
        nxt = r2 * self.n_cols + c2
        return state if self.wall_mask[nxt] else nxt

    def _build_model(self) -> tuple[np.ndarray, np.ndarray]:
        S, A = self.n_states, 4
        P = np.zeros((S, A, S))
        R = np.zeros((S, A))
        entry = np.where(self.goal_mask, self.goal_reward,
                         np.where(self.trap_mask, self.trap_reward, 0.0))
        for s in range(S):
            if self.wall_mask[s] or self.terminal_mask[s]:
                P[s, :, s] = 1.0  # absorbing, zero reward
                continue
            for a in range(A):
                for b in range(A):
                    prob = 1.0 - self.slip if b == a else self.slip / 3.0
                    if prob == 0.0:
                        continue
                    nxt = self._move(s, b)
                    P[s, a, nxt] += prob
                    R[s, a] += prob * (self.step_reward + entry[nxt])
        return P, R

    def transition_model(self) -> tuple[np.ndarray, np.ndarray]:
        """The TRUE model: ``P [S, A, S']`` and expected reward ``R [S, A]``.

        Terminal and wall cells are absorbing with zero reward.
        """
        return self._P.copy(), self._R.copy()

    # ------------------------------------------------------------ gym API
    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._state = int(self.np_random.choice(self.start_states))
        self._t = 0
        return self._state, {"cell": self.cell_of(self._state)}

    def step(self, action):
        if self._state is None:
            raise RuntimeError("call reset() before step()")
        if not self.action_space.contains(action):
            raise ValueError(f"action must be an int in 0..3, got {action!r}")
        action = int(action)
        if self.slip > 0 and self.np_random.random() < self.slip:
            others = [b for b in range(4) if b != action]
            action_taken = int(others[self.np_random.integers(3)])
        else:
            action_taken = action
        nxt = self._move(self._state, action_taken)
        reward = self.step_reward
        if self.goal_mask[nxt]:
            reward += self.goal_reward
        elif self.trap_mask[nxt]:
            reward += self.trap_reward
        self._state = nxt
        self._t += 1
        terminated = bool(self.terminal_mask[nxt])
        truncated = bool(self.max_steps is not None and self._t >= self.max_steps
                         and not terminated)
        info = {"cell": self.cell_of(nxt), "action_taken": action_taken}
        return nxt, float(reward), terminated, truncated, info

    # ------------------------------------------------------------ rendering
    def render(self):
        if self.render_mode == "ansi":
            return self._render_text()
        if self.render_mode == "rgb_array":
            return self._render_rgb()
        return None

    def _render_text(self) -> str:
        grid = self.grid.copy()
        if self._state is not None:
            grid[self.cell_of(self._state)] = "A"
        return "\n".join("".join(row) for row in grid) + "\n"

    def _render_rgb(self, cell: int = 16) -> np.ndarray:
        colours = {".": (240, 240, 240), "S": (200, 220, 255), "G": (120, 200, 120),
                   "T": (230, 120, 120), "#": (60, 60, 60)}
        img = np.zeros((self.n_rows * cell, self.n_cols * cell, 3), dtype=np.uint8)
        for r in range(self.n_rows):
            for c in range(self.n_cols):
                img[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = colours[
                    self.grid[r, c]]
        if self._state is not None:
            r, c = self.cell_of(self._state)
            q = cell // 4
            img[r * cell + q:(r + 1) * cell - q, c * cell + q:(c + 1) * cell - q] = (
                30, 80, 200)
        return img
