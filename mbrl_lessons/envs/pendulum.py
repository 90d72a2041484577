"""Pendulum-v1's known reward and true dynamics, batched in torch (chapter 4).

Observation ``[cos th, sin th, th_dot]``, action ``[torque]`` in ``[-2, 2]``.
These match ``gymnasium.make("Pendulum-v1")`` step for step (tested), so a
planner can use the TRUE model (the ceiling) or a learned one with the same
reward.  The reward is charged on the state *before* the step, as gymnasium does.
"""

from __future__ import annotations

import math

import torch

G, M, L, DT = 10.0, 1.0, 1.0, 0.05
MAX_SPEED, MAX_TORQUE = 8.0, 2.0


def angle_normalize(x: torch.Tensor) -> torch.Tensor:
    return ((x + math.pi) % (2 * math.pi)) - math.pi


def pendulum_reward(obs: torch.Tensor, act: torch.Tensor,
                    next_obs: torch.Tensor | None = None) -> torch.Tensor:
    """``-(th^2 + 0.1 th_dot^2 + 0.001 u^2)``; obs ``[..., 3]``, act ``[..., 1]``
    -> ``[...]``.  ``atan2`` already returns the angle in ``[-pi, pi]``, so
    gymnasium's ``angle_normalize`` has nothing left to do here.

    The package's reward convention is ``(obs, act, next_obs)``
    (:mod:`mbrl_lessons.envs.rewards`); the pendulum charges the state *before*
    the step, so ``next_obs`` is unused and may be left out."""
    th = torch.atan2(obs[..., 1], obs[..., 0])
    u = act[..., 0].clamp(-MAX_TORQUE, MAX_TORQUE)
    return -(th.square() + 0.1 * obs[..., 2].square() + 0.001 * u.square())


def pendulum_step(obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
    """The true next observation; obs ``[..., 3]``, act ``[..., 1]``."""
    th = torch.atan2(obs[..., 1], obs[..., 0])
    thdot = obs[..., 2]
    u = act[..., 0].clamp(-MAX_TORQUE, MAX_TORQUE)
    newthdot = thdot + (3 * G / (2 * L) * torch.sin(th) + 3.0 / (M * L**2) * u) * DT
    newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED)
    newth = th + newthdot * DT
    return torch.stack([torch.cos(newth), torch.sin(newth), newthdot], dim=-1)

