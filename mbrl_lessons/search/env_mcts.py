"""MCTS on a single-agent environment with a copyable simulator (chapter 6).

:mod:`mbrl_lessons.search.mcts` searches two-player games given as pure
functions.  Here the model is any gymnasium environment with a ``Discrete``
action space that ``copy.deepcopy`` can clone: the true simulator (CartPole,
a maze) or a learned one wrapped as an env.  The four steps are the same; what
changes is the value being backed up.  A node stores the reward of the step
into it, and an edge's value is ``r + gamma V(child)``; simulations end at a
terminal state, at ``horizon`` steps from the root, or, if a ``value_fn`` is
given, at the new leaf, which is then scored by that learned estimate instead
of by a random rollout (the lecture's "planning input from learned
functions").  Returns are not in ``[0, 1]``, so UCB uses ``Q`` normalised by
the smallest and largest values seen in the tree (as MuZero does).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
from gymnasium import spaces

from mbrl_lessons.core.seeding import SeedLike, make_rng


class EnvNode:
    """A state of the simulator: its snapshot, the reward of the step into it,
    visit count ``N`` and summed return-from-here ``W``."""

    __slots__ = ("env", "reward", "terminal", "depth", "children", "untried",
                 "N", "W")

    def __init__(self, env, reward: float, terminal: bool, depth: int,
                 n_actions: int) -> None:
        self.env, self.reward, self.terminal, self.depth = env, reward, terminal, depth
        self.children: dict[int, EnvNode] = {}
        self.untried = [] if terminal else list(range(n_actions))
        self.N = 0
        self.W = 0.0

    @property
    def V(self) -> float:
        return self.W / self.N if self.N else 0.0


def snapshot(env):
    """A copy of the simulator to step without touching ``env``."""
    try:
        return copy.deepcopy(env)
    except Exception as err:  # noqa: BLE001 - any failure means "not copyable"
        raise TypeError(f"MCTS needs a copyable simulator, but deepcopy of "
                        f"{type(env).__name__} failed: {err}") from err


def mcts_env(env, n_simulations: int, rng: np.random.Generator, *,
             horizon: int = 50, gamma: float = 0.99, c: float = math.sqrt(2),
             value_fn: Callable | None = None) -> EnvNode:
    """UCT from the current state of ``env`` (left untouched); returns the root.

    ``value_fn(env) -> float`` (optional) scores a new leaf instead of a
    random rollout."""
    base = env.unwrapped if hasattr(env, "unwrapped") else env
    if not isinstance(base.action_space, spaces.Discrete):
        raise TypeError(f"MCTS branches over a Discrete action space, got "
                        f"{base.action_space}")
    if n_simulations < 1 or horizon < 1:
        raise ValueError(f"n_simulations and horizon must be >= 1, got "
                         f"{n_simulations} and {horizon}")
    if not 0 <= gamma <= 1:
        raise ValueError(f"gamma must be in [0, 1], got {gamma}")
    n_actions = int(base.action_space.n)
    root = EnvNode(snapshot(base), 0.0, False, 0, n_actions)
    lo, hi = math.inf, -math.inf  # value range seen so far, for normalising Q
    for _ in range(n_simulations):
        node, path = root, [root]
        # 1. selection
        while not node.untried and node.children and node.depth < horizon:
            log_n, best, best_score = math.log(node.N), None, -math.inf
            for ch in node.children.values():
                q = ch.reward + gamma * ch.V
                q = (q - lo) / (hi - lo) if hi > lo else 0.5
                score = q + c * math.sqrt(log_n / ch.N)
                if score > best_score:
                    best, best_score = ch, score
            node = best
            path.append(node)
        # 2. expansion
        if node.untried and node.depth < horizon:
            a = node.untried.pop(int(rng.integers(len(node.untried))))
            sim = snapshot(node.env)
            _, r, term, _, _ = sim.step(a)
            child = EnvNode(sim, float(r), bool(term), node.depth + 1, n_actions)
            node.children[a] = child
            node = child
            path.append(node)
        # 3. simulation: a learned value, or a random rollout to the horizon
        if node.terminal or node.depth >= horizon:
            ret = 0.0
        elif value_fn is not None:
            ret = float(value_fn(node.env))
        else:
            sim, ret, disc = snapshot(node.env), 0.0, 1.0
            for _ in range(horizon - node.depth):
                _, r, term, _, _ = sim.step(int(rng.integers(n_actions)))
                ret += disc * float(r)
                disc *= gamma
                if term:
                    break
        # 4. backpropagation: each node gets the return from its own state on
        for n in reversed(path):
            n.N += 1
            n.W += ret
            ret = n.reward + gamma * ret
            if n is not root:
                lo, hi = min(lo, ret), max(hi, ret)
    return root


class MCTSAgent:
    """Model-predictive control with MCTS: search from the current state,
    act with the most visited root action, search again at the next step."""

    def __init__(self, n_simulations: int, seed: SeedLike = 0, **search) -> None:
        self.n, self.search = n_simulations, search
        self.rng = make_rng(seed)

    def __call__(self, env) -> int:
        root = mcts_env(env, self.n, self.rng, **self.search)
        return max(root.children.items(), key=lambda kv: kv[1].N)[0]


def run_mcts_episode(env, agent: MCTSAgent, seed: int = 0,
                     max_steps: int = 500) -> tuple[float, int]:
    """One episode of ``agent`` acting in ``env``; returns (return, steps)."""
    env.reset(seed=seed)
    total, t = 0.0, 0
    for t in range(1, max_steps + 1):  # noqa: B007 (t is returned)
        _, r, term, trunc, _ = env.step(agent(env))
        total += float(r)
        if term or trunc:
            break
    return total, t
