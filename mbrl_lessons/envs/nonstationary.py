"""A pendulum whose physics change mid-stream (chapter 5.5, non-stationarity).

:class:`NonStationaryPendulum` is gymnasium's ``Pendulum-v1`` (same
observation ``[cos th, sin th, th_dot]``, action ``[torque]``, reward and time
step) except that one physical parameter -- the mass ``m``, the length ``l``
or the gravity ``g`` -- jumps from ``before`` to ``after`` once the env has
taken ``switch_step`` steps, and optionally jumps back at ``switch_back_step``.

The step counter runs over the env's whole life, across episodes: ``reset()``
starts a new episode but does not undo the change, just as a robot that picks
up a payload keeps it when it is put back at its start pose.  A freshly made
env starts in the ``before`` regime again.  Like ``PendulumEnv`` itself, the
env never truncates; register it with ``max_episode_steps=200`` to get
Pendulum-v1's time limit.

:func:`pendulum_step_params` is the true step with explicit parameters (batched
torch, used by the tests and the book), and :func:`random_stream` collects a
seeded stream of random-action transitions to learn from.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import torch
from gymnasium.envs.classic_control.pendulum import PendulumEnv

from mbrl_lessons.core.seeding import make_rng, spawn_seeds
from mbrl_lessons.envs.pendulum import DT, MAX_SPEED, MAX_TORQUE, G, L, M

DEFAULTS = {"m": M, "l": L, "g": G}
"""Pendulum-v1's values of the parameters that may change."""


def pendulum_step_params(obs: torch.Tensor, act: torch.Tensor, m: float = M,
                         l: float = L, g: float = G) -> torch.Tensor:
    """The true next observation for mass ``m``, length ``l`` and gravity ``g``.

    obs ``[..., 3]``, act ``[..., 1]`` -> ``[..., 3]``.  With the defaults it
    is exactly :func:`mbrl_lessons.envs.pendulum.pendulum_step`.
    """
    th = torch.atan2(obs[..., 1], obs[..., 0])
    u = act[..., 0].clamp(-MAX_TORQUE, MAX_TORQUE)
    thdot = obs[..., 2] + (3 * g / (2 * l) * torch.sin(th) + 3.0 / (m * l**2) * u) * DT
    thdot = thdot.clamp(-MAX_SPEED, MAX_SPEED)
    newth = th + thdot * DT
    return torch.stack([torch.cos(newth), torch.sin(newth), thdot], dim=-1)


def _positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _step_count(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return int(value)


class NonStationaryPendulum(PendulumEnv):
    """Pendulum-v1 whose ``param`` switches from ``before`` to ``after``.

    Steps number ``0, 1, 2, ...`` over the env's life.  Step ``t`` uses
    ``before`` for ``t < switch_step``, ``after`` from ``switch_step`` on, and
    ``before`` again from ``switch_back_step`` on (if given).  ``info`` of each
    step reports ``"regime"`` (0 before, 1 after) and the parameter value
    used; ``total_steps`` is the number of steps taken so far.

    Args:
        switch_step: number of steps taken under ``before``.
        param: ``"m"`` (mass), ``"l"`` (length) or ``"g"`` (gravity).
        before: the value until the switch (default: Pendulum-v1's).
        after: the value after it (default: twice ``before``).
        switch_back_step: optional step at which ``before`` returns.
        render_mode: as for ``PendulumEnv``.
    """

    def __init__(self, switch_step: int = 1000, param: str = "m",
                 before: float | None = None, after: float | None = None,
                 switch_back_step: int | None = None,
                 render_mode: str | None = None) -> None:
        if param not in DEFAULTS:
            raise ValueError(f"param must be one of {sorted(DEFAULTS)}, got {param!r}")
        self.switch_step = _step_count("switch_step", switch_step)
        if switch_back_step is not None:
            switch_back_step = _step_count("switch_back_step", switch_back_step)
            if switch_back_step <= self.switch_step:
                raise ValueError(f"switch_back_step ({switch_back_step}) must come "
                                 f"after switch_step ({self.switch_step})")
        self.switch_back_step = switch_back_step
        self.param = param
        self.before = _positive("before", DEFAULTS[param] if before is None else before)
        self.after = _positive("after", 2 * self.before if after is None else after)
        super().__init__(render_mode=render_mode,
                         g=self.before if param == "g" else G)
        self.total_steps = 0
        setattr(self, param, self.before)

    def regime(self, t: int) -> int:
        """0 if step ``t`` runs under ``before``, 1 if under ``after``."""
        back = self.switch_back_step
        return int(self.switch_step <= t and (back is None or t < back))

    def params_at(self, t: int) -> dict[str, float]:
        """``{"m": ..., "l": ..., "g": ...}`` in force at step ``t``."""
        value = self.after if self.regime(t) else self.before
        return {**DEFAULTS, self.param: value}

    def step(self, u):
        t = self.total_steps
        # PendulumEnv.step reads self.m / self.l / self.g, so setting the
        # attribute before the call is all it takes to change the physics
        setattr(self, self.param, self.params_at(t)[self.param])
        obs, rew, term, trunc, info = super().step(u)
        self.total_steps += 1
        info = {**info, "regime": self.regime(t), self.param: getattr(self, self.param)}
        return obs, rew, term, trunc, info


class Transitions(NamedTuple):
    """A stream of ``N`` real transitions in the order they happened."""

    obs: np.ndarray
    """``[N, 3]``"""
    act: np.ndarray
    """``[N, 1]``"""
    next_obs: np.ndarray
    """``[N, 3]``"""
    regime: np.ndarray
    """``[N]``, 0 or 1: the physics each transition came from."""


def random_stream(env: NonStationaryPendulum, n_steps: int, seed: int,
                  episode_len: int = 200) -> Transitions:
    """``n_steps`` transitions with uniformly random torques, starting a new
    episode (seeded from ``seed``) every ``episode_len`` steps."""
    if n_steps < 1 or episode_len < 1:
        raise ValueError("n_steps and episode_len must be positive")
    rng = make_rng(seed)
    obs_l, act_l, nxt_l, reg_l = [], [], [], []
    for t in range(n_steps):
        if t % episode_len == 0:
            obs, _ = env.reset(seed=spawn_seeds(rng, 1)[0])
        act = rng.uniform(-MAX_TORQUE, MAX_TORQUE, size=1).astype(np.float32)
        nxt, _, _, _, info = env.step(act)
        obs_l.append(obs)
        act_l.append(act)
        nxt_l.append(nxt)
        reg_l.append(info["regime"])
        obs = nxt
    return Transitions(np.array(obs_l, dtype=np.float32), np.array(act_l),
                       np.array(nxt_l, dtype=np.float32), np.array(reg_l))
