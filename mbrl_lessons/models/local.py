"""Local models: time-varying linear dynamics around a trajectory (§5.1).

A *local* model is accurate only near the states the agent is in.  The
classic one linearises the dynamics along a reference trajectory
``(s_t, a_t)``, ``t = 0..T-1``: for every step ``t`` a separate affine model

    s_{t+1} ~ A_t s_t + B_t a_t + c_t,

fitted by least squares to transitions sampled near ``(s_t, a_t)``.  This is
the model iLQR and guided policy search use between refits (Atkeson, Moore
& Schaal 1997 survey locally weighted models).  Its error grows with the
distance from the trajectory, roughly with its square (the first term of
the dynamics' Taylor expansion that a linear model leaves out).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class LocalLinear(NamedTuple):
    """``A [T, O, O]``, ``B [T, O, A]``, ``c [T, O]``: one affine model per step."""

    A: np.ndarray
    B: np.ndarray
    c: np.ndarray

    def predict(self, t: int, obs: np.ndarray, act: np.ndarray) -> np.ndarray:
        """The step-``t`` model's next observation ``[N, O]`` for ``obs [N, O]``,
        ``act [N, A]``."""
        if not 0 <= t < len(self.A):
            raise ValueError(f"t must be in 0..{len(self.A) - 1}, got {t}")
        return obs @ self.A[t].T + act @ self.B[t].T + self.c[t]


def fit_affine(obs: np.ndarray, act: np.ndarray, next_obs: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least squares ``next_obs ~ A obs + B act + c`` on ``[N, O], [N, A],
    [N, O]``; returns ``(A [O, O], B [O, A], c [O])``."""
    n, O = obs.shape
    if n < O + act.shape[1] + 1:
        raise ValueError(f"{n} transitions cannot determine an affine model of "
                         f"{O + act.shape[1] + 1} coefficients per output")
    X = np.hstack([obs, act, np.ones((n, 1))])
    W, *_ = np.linalg.lstsq(X, next_obs, rcond=None)  # [O + A + 1, O]
    return W[:O].T, W[O:-1].T, W[-1]


def fit_local_linear(samples: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
                     ) -> LocalLinear:
    """One affine model per step from ``samples[t] = (obs, act, next_obs)``,
    the transitions gathered near step ``t`` of the reference trajectory."""
    fits = [fit_affine(*s) for s in samples]
    return LocalLinear(*(np.stack(x) for x in zip(*fits, strict=True)))
