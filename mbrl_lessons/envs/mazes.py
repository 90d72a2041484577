"""The mazes of Sutton & Barto chapter 8, on the GridWorld base (chapter 6).

All pay 0 per step and +1 on reaching the goal; episodes end at the goal and
have no time limit (as in the book).  ``BlockingMaze`` and ``ShortcutMaze``
change their walls once, after a set number of steps counted across episodes
(Figs 8.4 and 8.5); :func:`scaled_dyna_maze` enlarges the Dyna maze by a
factor ``k`` for Example 8.4 (prioritized sweeping).
"""

from __future__ import annotations

from mbrl_lessons.envs.gridworld import GridWorld

DYNA_MAZE = """\
.......#G
..#....#.
S.#....#.
..#......
.....#...
.........
"""
DYNA_MAZE_SHORTEST = 14

BLOCKING_BEFORE = """\
........G
.........
.........
########.
.........
...S.....
"""
BLOCKING_AFTER = BLOCKING_BEFORE.replace("########.", ".########")

SHORTCUT_BEFORE = """\
........G
.........
.........
.########
.........
...S.....
"""
SHORTCUT_AFTER = SHORTCUT_BEFORE.replace(".########", ".#######.")


def _maze_kwargs(kwargs: dict) -> dict:
    base = {"step_reward": 0.0, "goal_reward": 1.0, "max_steps": None}
    base.update(kwargs)
    return base


class DynaMaze(GridWorld):
    """Sutton & Barto Fig 8.2: 6x9, start (2, 0), goal (0, 8); shortest path 14."""

    def __init__(self, layout: str = DYNA_MAZE, **kwargs) -> None:
        super().__init__(layout, **_maze_kwargs(kwargs))


def scale_layout(layout: str, k: int) -> str:
    """Each cell becomes a ``k x k`` block; S and G stay single cells (top-left)."""
    if k < 1:
        raise ValueError(f"resolution must be >= 1, got {k}")
    rows = layout.strip("\n").splitlines()
    out = []
    for r in rows:
        for i in range(k):
            line = ""
            for ch in r:
                first = ch if i == 0 else (ch if ch == "#" else ".")
                line += first + ("#" if ch == "#" else ".") * (k - 1)
            out.append(line)
    return "\n".join(out)


def scaled_dyna_maze(k: int, **kwargs) -> DynaMaze:
    """Example 8.4's maze at resolution ``k`` (shortest path ``14 k`` steps)."""
    return DynaMaze(scale_layout(DYNA_MAZE, k), **kwargs)


class _SwitchingMaze(GridWorld):
    """A maze whose walls change once, after ``switch_step`` total steps."""

    BEFORE = AFTER = ""
    SWITCH = 0

    def __init__(self, switch_step: int | None = None, **kwargs) -> None:
        super().__init__(self.BEFORE, **_maze_kwargs(kwargs))
        self.switch_step = self.SWITCH if switch_step is None else int(switch_step)
        self.total_steps = 0
        self.switched = False

    def step(self, action):
        out = super().step(action)
        self.total_steps += 1
        if not self.switched and self.total_steps >= self.switch_step:
            after = GridWorld(self.AFTER)
            if not after.wall_mask[self._state]:  # never wall the agent in
                self.set_layout(self.AFTER)
                self.switched = True
        return out


class BlockingMaze(_SwitchingMaze):
    """Fig 8.4: the short way round (right) is blocked after 1000 steps."""

    BEFORE, AFTER, SWITCH = BLOCKING_BEFORE, BLOCKING_AFTER, 1000


class ShortcutMaze(_SwitchingMaze):
    """Fig 8.5: a shortcut (right) opens after 3000 steps."""

    BEFORE, AFTER, SWITCH = SHORTCUT_BEFORE, SHORTCUT_AFTER, 3000


def shortest_path_length(env: GridWorld) -> int:
    """Breadth-first distance from the first start to the nearest goal."""
    start = env.start_states[0]
    dist = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for s in frontier:
            if env.goal_mask[s]:
                return dist[s]
            for a in range(4):
                t = env._move(s, a)
                if t not in dist:
                    dist[t] = dist[s] + 1
                    nxt.append(t)
        frontier = nxt
    raise ValueError("the goal cannot be reached")


__all__ = ["DynaMaze", "BlockingMaze", "ShortcutMaze", "scaled_dyna_maze",
           "scale_layout", "shortest_path_length", "DYNA_MAZE", "DYNA_MAZE_SHORTEST"]
