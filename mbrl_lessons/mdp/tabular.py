"""A finite MDP as arrays: ``P[s, a, s']``, ``R[s, a]``, ``gamma``, terminals.

Chapter 2 builds it from an environment's true model; chapter 3 from counts
(see :mod:`mbrl_lessons.mdp.learning`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TabularMDP:
    """A finite MDP ``(S, A, P, R, gamma)`` with absorbing terminal states.

    Attributes:
        P: ``[S, A, S']`` transition probabilities; each ``P[s, a]`` sums to 1.
        R: ``[S, A]`` expected immediate reward of taking ``a`` in ``s``.
        gamma: discount factor in ``[0, 1]``.
        terminal: ``[S]`` bool; terminal states are absorbing with value 0.
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    terminal: np.ndarray | None = None

    def __post_init__(self) -> None:
        P = np.asarray(self.P, dtype=float)
        R = np.asarray(self.R, dtype=float)
        if P.ndim != 3 or P.shape[0] != P.shape[2]:
            raise ValueError(f"P must have shape [S, A, S], got {P.shape}")
        S, A, _ = P.shape
        if R.shape != (S, A):
            raise ValueError(f"R must have shape [S, A] = {(S, A)} to match P, "
                             f"got {R.shape}")
        if not np.isfinite(P).all() or not np.isfinite(R).all():
            raise ValueError("P and R must be finite (found NaN or inf)")
        if (P < -1e-12).any():
            raise ValueError(f"P has negative probabilities (min {P.min():.3g})")
        sums = P.sum(axis=2)
        worst = np.unravel_index(np.abs(sums - 1).argmax(), sums.shape)
        if abs(sums[worst] - 1) > 1e-8:
            raise ValueError(
                f"each P[s, a] must sum to 1; P[{worst[0]}, {worst[1]}] sums to "
                f"{sums[worst]:.6g}")
        gamma = float(self.gamma)
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {self.gamma}")
        term = (np.zeros(S, dtype=bool) if self.terminal is None
                else np.asarray(self.terminal, dtype=bool))
        if term.shape != (S,):
            raise ValueError(f"terminal must have shape [S] = ({S},), got {term.shape}")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "gamma", gamma)
        object.__setattr__(self, "terminal", term)

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    @classmethod
    def from_env(cls, env, gamma: float) -> TabularMDP:
        """The TRUE model of a tabular env exposing ``transition_model()``.

        Walls (never occupied) are marked terminal too, so their value is 0.
        """
        base = getattr(env, "unwrapped", env)
        if not hasattr(base, "transition_model"):
            raise TypeError(f"{type(base).__name__} does not expose "
                            "transition_model(); use a GridWorld-based env")
        P, R = base.transition_model()
        terminal = base.terminal_mask | getattr(base, "wall_mask", False)
        return cls(P, R, gamma, terminal)

    def with_gamma(self, gamma: float) -> TabularMDP:
        return TabularMDP(self.P, self.R, gamma, self.terminal)
