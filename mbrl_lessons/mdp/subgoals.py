"""Goal-conditioned values and subgoal discovery, in brief (§5.8).

- :func:`goal_values`: a *goal-conditioned* value table ``V[s, g]``, the
  value of state ``s`` for the task "reach ``g``" (reward 1 on arrival,
  discount ``gamma``), for every goal at once; with deterministic moves it
  is ``gamma ** (d(s, g) - 1)``, ``d`` the fewest moves.  A network that
  takes ``g`` as an input learns the same table and generalises across
  goals (universal value function approximators, Schaul et al. 2015).
- :func:`bottleneck_counts`: *subgoal discovery* by counting how often each
  cell lies on a shortest path between random pairs of cells (a sampled
  betweenness, in the spirit of Menache et al. 2002 and Şimşek & Barto
  2009): the cells that connect regions are the ones every long path must
  cross.
"""

from __future__ import annotations

import numpy as np

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp.options import _bfs, _next_states


def goal_distances(env: GridWorld) -> np.ndarray:
    """``D [S, S]``: fewest deterministic moves from ``s`` to ``g`` (``inf``
    for walls and unreachable pairs)."""
    nxt = _next_states(env)
    free = ~env.wall_mask
    D = np.full((env.n_states, env.n_states), np.inf)
    for g in np.flatnonzero(free):
        # moves are reversible in a grid, so distances from g are distances to g
        D[:, g] = _bfs(nxt, int(g), free)
    return D


def goal_values(D: np.ndarray, gamma: float) -> np.ndarray:
    """``V [S, G] = gamma ** (D - 1)`` for ``D >= 1`` (reward 1 on arriving in
    ``g``), 0 at the goal itself and where ``g`` cannot be reached."""
    if not 0 < gamma <= 1:
        raise ValueError(f"gamma must be in (0, 1], got {gamma}")
    with np.errstate(over="ignore", invalid="ignore"):
        V = np.where(np.isfinite(D) & (D >= 1), gamma ** (D - 1), 0.0)
    return V


def bottleneck_counts(env: GridWorld, n_pairs: int, rng: np.random.Generator,
                      D: np.ndarray | None = None) -> np.ndarray:
    """``[S]``: how often each cell is *inside* one shortest path (ties broken
    at random) between ``n_pairs`` random pairs of distinct free cells."""
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    D = goal_distances(env) if D is None else D
    nxt = _next_states(env)
    free = np.flatnonzero(~env.wall_mask)
    counts = np.zeros(env.n_states)
    for _ in range(n_pairs):
        s, g = rng.choice(free, size=2, replace=False)
        while D[s, g] > 1:  # step to any neighbour one move closer to g
            closer = [int(v) for v in nxt[s] if D[v, g] == D[s, g] - 1]
            s = closer[rng.integers(len(closer))]
            if s != g:
                counts[s] += 1
    return counts


def discover_subgoals(counts: np.ndarray, D: np.ndarray, k: int,
                      radius: int = 2) -> list[int]:
    """The ``k`` discovered subgoals: repeatedly take the cell with the largest
    count and rule out every cell within ``radius`` moves of it.

    Without the exclusion the top cells cluster at one doorway: the cells
    just before and after a hallway lie on almost as many shortest paths as
    the hallway itself."""
    counts = np.asarray(counts, dtype=float).copy()
    chosen: list[int] = []
    for _ in range(k):
        best = int(np.argmax(counts))
        if counts[best] <= 0:
            break
        chosen.append(best)
        counts[D[:, best] <= radius] = -np.inf
    return chosen


def hallways_found(subgoals: list[int], hallways: list[int], D: np.ndarray,
                   within: int = 1) -> float:
    """The fraction of ``hallways`` that have a discovered subgoal within
    ``within`` moves (the hallway itself or its doorstep)."""
    return float(np.mean([any(D[s, h] <= within for s in subgoals)
                          for h in hallways]))
