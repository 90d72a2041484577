"""Options as multi-step models, and planning with them (chapter 5, section 5.8).

An option ``o = (I, pi, beta)`` (Sutton, Precup & Singh 1999, "Between MDPs and
semi-MDPs", Artificial Intelligence 112) starts in a state of ``I``, acts with
``pi`` and stops in each state it reaches with probability ``beta``.  Its
*multi-time model* is
``R_o[s] = E[r_1 + gamma r_2 + ... + gamma^(k-1) r_k]`` and
``P_o[s, s'] = sum_k gamma^k Pr(stop in s' after k steps)``, so the SMDP
backup ``V(s) = max_o R_o[s] + sum_s' P_o[s, s'] V(s')`` has no extra gamma.
A primitive action is the option that stops after one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from mbrl_lessons.envs.gridworld import MOVES, GridWorld
from mbrl_lessons.mdp.dp import as_stochastic
from mbrl_lessons.mdp.tabular import TabularMDP

# The rooms example of Sutton, Precup & Singh (1999): 104 free cells, hallways
# at (3, 6), (6, 2), (7, 9), (10, 6); the default goal sits in a hallway.
_FOUR_ROOMS = """\
#############
#.....#.....#
#.....#.....#
#...........#
#.....#.....#
#.....#.....#
##.####.....#
#.....###.###
#.....#.....#
#.....#.....#
#...........#
#.....#.....#
#############
"""


def four_rooms_layout(start: tuple[int, int] = (1, 1),
                      goal: tuple[int, int] = (7, 9)) -> str:
    """The four-rooms map with ``S`` at ``start`` and ``G`` at ``goal`` (row, col)."""
    rows = [list(r) for r in _FOUR_ROOMS.splitlines()]
    for ch, (r, c) in (("S", start), ("G", goal)):
        if not (0 <= r < 13 and 0 <= c < 13) or rows[r][c] != ".":
            raise ValueError(f"{ch} at {(r, c)} is not a free cell (or start == goal)")
        rows[r][c] = ch
    return "".join("".join(r) + "\n" for r in rows)


FOUR_ROOMS_LAYOUT = four_rooms_layout()


def four_rooms(slip: float = 1 / 3, **layout_kw) -> GridWorld:
    """The paper's task: reward 0 per step, +1 at the goal; ``slip = 1/3`` moves
    as intended with probability 2/3 and each other way with 1/9."""
    return GridWorld(layout=four_rooms_layout(**layout_kw), slip=slip,
                     step_reward=0.0, goal_reward=1.0, trap_reward=0.0)


@dataclass(frozen=True)
class Option:
    """A Markov option ``(I, pi, beta)`` over ``S`` states and ``A`` actions.

    Attributes:
        name: a label for plots and error messages.
        initiation: ``bool [S]``, where the option may be started.
        policy: ``int [S]`` (one action per state) or ``float [S, A]``.
        termination: ``float [S]``, ``beta(s)``: the chance to stop on arriving
            in ``s``.  Terminal states of the MDP always stop the option.
    """

    name: str
    initiation: np.ndarray
    policy: np.ndarray
    termination: np.ndarray

    def __post_init__(self) -> None:
        init = np.asarray(self.initiation, dtype=bool)
        beta = np.asarray(self.termination, dtype=float)
        policy, where = np.asarray(self.policy), f"option {self.name!r}:"
        if init.ndim != 1 or beta.shape != init.shape:
            raise ValueError(f"{where} initiation and termination must have shape "
                             f"[S], got {init.shape} and {beta.shape}")
        if policy.shape[:1] != init.shape or policy.ndim not in (1, 2):
            raise ValueError(f"{where} policy must have shape [S] or [S, A] with "
                             f"S = {init.size}, got {policy.shape}")
        if not init.any():
            raise ValueError(f"{where} the initiation set is empty")
        if not ((beta >= 0) & (beta <= 1)).all():
            raise ValueError(f"{where} termination probabilities must be in [0, 1]")
        for field, value in (("initiation", init), ("termination", beta),
                             ("policy", policy)):
            object.__setattr__(self, field, value)


class OptionModel(NamedTuple):
    """The multi-time model of one option; rows outside ``initiation`` are 0."""

    R: np.ndarray           # [S]     expected discounted reward until stopping
    P: np.ndarray           # [S, S'] sum_k gamma^k Pr(stop in s' after k steps)
    initiation: np.ndarray  # bool [S]


def primitive_options(mdp: TabularMDP) -> list[Option]:
    """One option per action: start in any non-terminal state, stop after a step."""
    return [Option(f"a{a}", ~mdp.terminal, np.full(mdp.n_states, a),
                   np.ones(mdp.n_states)) for a in range(mdp.n_actions)]


def option_model(mdp: TabularMDP, option: Option) -> OptionModel:
    """``R_o [S]`` and ``P_o [S, S']`` exactly, by one linear solve.

    With ``P_pi [S, S']``, ``r_pi [S]`` the option policy's one-step model and
    ``C = diag(1 - beta)``, conditioning on the first step gives (Sutton et al.
    1999) ``R_o = r_pi + gamma P_pi C R_o`` and ``P_o = gamma P_pi
    diag(beta) + gamma P_pi C P_o``, solved on the initiation set ``I``, which
    must hold every state where the option can still be running.
    """
    S, A = mdp.n_states, mdp.n_actions
    if option.initiation.shape != (S,):
        raise ValueError(f"option {option.name!r} is defined on "
                         f"{option.initiation.size} states, the MDP has {S}")
    pi = as_stochastic(option.policy, S, A)
    beta = np.where(mdp.terminal, 1.0, option.termination)
    P_pi = np.einsum("sa,sat->st", pi, mdp.P)
    r_pi = (pi * mdp.R).sum(1)
    inside = option.initiation & ~mdp.terminal
    # where can the option be, still running, one step after a state of I?
    running = (P_pi[inside] * (1.0 - beta)).sum(0) > 0
    bad = np.flatnonzero(running & ~option.initiation)[:5].tolist()
    if bad:
        raise ValueError(f"option {option.name!r}: its policy leaves the initiation "
                         f"set without terminating (e.g. in states {bad}); set "
                         "beta = 1 there or add them to the initiation set")
    idx = np.flatnonzero(inside)
    Pi = P_pi[idx]                                   # [n, S]
    M = np.eye(idx.size) - mdp.gamma * Pi[:, idx] * (1.0 - beta[idx])
    rhs = np.column_stack([r_pi[idx], mdp.gamma * Pi * beta])   # [n, 1 + S]
    try:
        sol = np.linalg.solve(M, rhs)
    except np.linalg.LinAlgError:
        raise ValueError(f"option {option.name!r} may never stop: with gamma = 1 "
                         "it must terminate with probability 1") from None
    R_o, P_o = np.zeros(S), np.zeros((S, S))
    R_o[idx], P_o[idx] = sol[:, 0], sol[:, 1:]
    return OptionModel(R_o, P_o, inside)


def _next_states(env: GridWorld) -> np.ndarray:
    """``int [S, 4]``: where each action leads without slipping (blocked: stay)."""
    S = np.arange(env.n_states)
    r, c = np.divmod(S, env.n_cols)
    nxt = np.empty((env.n_states, len(MOVES)), dtype=np.int64)
    for a, (dr, dc) in enumerate(MOVES):  # clipping keeps off-grid moves in place
        s2 = (np.clip(r + dr, 0, env.n_rows - 1) * env.n_cols
              + np.clip(c + dc, 0, env.n_cols - 1))
        nxt[:, a] = np.where(env.wall_mask[s2], S, s2)
    return nxt


def _bfs(nxt: np.ndarray, source: int, allowed: np.ndarray) -> np.ndarray:
    """Fewest deterministic moves ``[S]`` from ``source`` through ``allowed``."""
    dist = np.full(len(nxt), np.inf)
    dist[source], frontier = 0, [source]
    while frontier:
        u = frontier.pop(0)
        for v in nxt[u]:
            if allowed[v] and dist[v] == np.inf:
                dist[v] = dist[u] + 1
                frontier.append(v)
    return dist


def hallway_options(env: GridWorld) -> list[Option]:
    """The paper's options, from each room to each of its hallways.

    A hallway is a free cell open on exactly two opposite sides; rooms are the
    connected free regions left once hallways are taken out.  An option starts
    in its room or in one of the room's *other* hallways, follows a shortest
    path (breadth-first search on deterministic moves, inside the room) to its
    target hallway, and stops as soon as it leaves the room.
    """
    nxt = _next_states(env)
    opened = nxt != np.arange(env.n_states)[:, None]  # [S, 4], up right down left
    corridor = (opened == [1, 0, 1, 0]).all(1) | (opened == [0, 1, 0, 1]).all(1)
    hallways = np.flatnonzero(corridor & ~env.wall_mask).tolist()
    left, options = ~env.wall_mask, []
    left[hallways] = False
    while left.any():  # peel off one room (a connected region) at a time
        corner = int(np.argmax(left))  # the room's top-left cell names it
        in_room = _bfs(nxt, corner, left) < np.inf
        left &= ~in_room
        doors = [h for h in hallways if in_room[nxt[h]].any()]
        for h in doors:
            init = in_room.copy()
            init[[d for d in doors if d != h]] = True
            # a blocked move keeps s, whose distance is never the smallest
            policy = _bfs(nxt, h, in_room)[nxt].argmin(1)
            name = f"room {env.cell_of(corner)} -> hallway {env.cell_of(h)}"
            options.append(Option(name, init & ~env.terminal_mask, policy,
                                  (~in_room).astype(float)))
    return options


class SMDPResult(NamedTuple):
    V: np.ndarray              # [S]
    policy: np.ndarray         # int [S], index of the best option (-1 if terminal)
    iterations: int            # sweeps until max |V_k+1 - V_k| < tol
    backups: int               # (state, option) backups done, over all sweeps
    deltas: list[float]
    history: np.ndarray | None  # [iterations + 1, S], V_0 .. V_k, if recorded


def smdp_value_iteration(mdp: TabularMDP, models: Sequence[OptionModel], *,
                         tol: float = 1e-8, max_iter: int = 10_000,
                         record: bool = False) -> SMDPResult:
    """Synchronous value iteration over options (Sutton et al. 1999):

    ``V_k+1(s) = max_{o: s in I_o} [R_o(s) + sum_s' P_o(s, s') V_k(s')]``.

    Terminal states stay at 0.  Every non-terminal state must have an option.
    """
    if not models:
        raise ValueError("smdp_value_iteration needs at least one option model")
    S = mdp.n_states
    if any(m.P.shape != (S, S) or {m.R.shape, m.initiation.shape} != {(S,)}
           for m in models):
        raise ValueError(f"each option model needs R [S], P [S, S], initiation [S]"
                         f" with S = {S} states, the MDP's")
    R, P = np.stack([m.R for m in models]), np.stack([m.P for m in models])
    avail = np.stack([m.initiation for m in models]) & ~mdp.terminal  # [O, S]
    uncovered = np.flatnonzero(~mdp.terminal & ~avail.any(0))[:5].tolist()
    if uncovered:
        raise ValueError(f"no option can start in non-terminal states {uncovered}")
    history, deltas, k = [np.zeros(S)], [], 0
    for k in range(1, max_iter + 1):
        Q = np.where(avail, R + P @ history[-1], -np.inf)  # [O, S]
        history.append(np.where(mdp.terminal, 0.0, Q.max(0)))
        deltas.append(float(np.abs(history[-1] - history[-2]).max()))
        if deltas[-1] < tol:
            break
    V = history[-1]
    policy = np.where(mdp.terminal, -1, np.where(avail, R + P @ V, -np.inf).argmax(0))
    return SMDPResult(V, policy, k, k * int(avail.sum()), deltas,
                      np.array(history) if record else None)
