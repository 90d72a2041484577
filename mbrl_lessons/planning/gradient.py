"""Gradient-based trajectory optimisation: shooting through a model (ch. 6.3).

Where CEM *samples* action sequences and keeps the best, gradient shooting
treats the predicted return ``J(a_{0:H-1}) = sum_t r(s_t, a_t)``, with
``s_{t+1} = f(s_t, a_t)`` the model, as a differentiable function of the
actions and climbs it with Adam.  The gradient flows backwards through every
model step (backpropagation through time), so the model must be
differentiable: a neural network, or a known step function written in torch.

Actions are kept inside their bounds by a squashing change of variables,
``a = mid + half * tanh(z)``, and ``z`` is optimised freely.  The return is
not concave in the actions (a pendulum can swing up either way), so
``n_restarts`` sequences are optimised in parallel from different starts — the
previous plan shifted by one step (warm start) and random ones — and the best
at the end is returned.  One "model call" is one ``f(s, a)`` in the forward
pass, as CEM counts them; the backward pass costs extra time but no calls, so
at equal calls gradient shooting is slower per plan, which chapter 6
measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mbrl_lessons.models.dynamics import ModelEnv


@dataclass(frozen=True)
class GradientPlannerConfig:
    """Settings of gradient shooting."""

    horizon: int = 25
    """Planning horizon H (steps)."""
    n_restarts: int = 10
    """Sequences optimised in parallel (the first starts from the warm start)."""
    n_iterations: int = 20
    """Adam steps per plan; the plan then costs ``n_restarts * H *
    (n_iterations + 1)`` model calls (one last forward pass picks the best)."""
    lr: float = 0.3
    """Adam step size on the unsquashed actions ``z``."""
    init_std: float = 1.0
    """Std of the random restarts' ``z`` (``tanh`` maps it into the bounds)."""
    grad_clip: float = 100.0
    """Clip each restart's gradient norm: a long chain of model Jacobians can
    explode (chapter 4, v2.0)."""

    def __post_init__(self) -> None:
        for name in ("horizon", "n_restarts", "n_iterations"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"GradientPlannerConfig.{name} must be a positive "
                                 f"int, got {getattr(self, name)!r}")
        if self.lr <= 0 or self.init_std < 0 or self.grad_clip <= 0:
            raise ValueError("lr and grad_clip must be > 0 and init_std >= 0, got "
                             f"{self.lr}, {self.grad_clip}, {self.init_std}")

    def model_calls(self) -> int:
        """Model calls of one plan (forward passes only)."""
        return self.n_restarts * self.horizon * (self.n_iterations + 1)


def squash(z: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """``mid + half * tanh(z)``: any real ``z`` becomes an action in bounds."""
    return (low + high) / 2 + (high - low) / 2 * torch.tanh(z)


def unsquash(a: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`squash` (clipped just inside the bounds)."""
    u = (2 * a - (low + high)) / (high - low)
    return torch.atanh(u.clamp(-0.995, 0.995))


def gradient_step(z: torch.Tensor, opt: torch.optim.Optimizer, model_env: ModelEnv,
                  obs: torch.Tensor, low: torch.Tensor, high: torch.Tensor,
                  grad_clip: float) -> torch.Tensor:
    """One ascent step on every restart's predicted return.

    ``z [K, H, A]`` (requires grad) -> the returns ``[K]`` *before* the step.
    The restarts are independent, so the sum of their returns has, for each
    restart, exactly that restart's gradient."""
    returns = model_env.returns(obs, squash(z, low, high))
    opt.zero_grad()
    (-returns.sum()).backward()
    with torch.no_grad():  # per-restart norm clipping
        norms = z.grad.flatten(1).norm(dim=1).clamp_min(1e-12)
        z.grad.mul_((grad_clip / norms).clamp(max=1.0)[:, None, None])
    opt.step()
    return returns.detach()


class GradientPlanner:
    """Shooting by gradient ascent through the model (see module docstring).

    ``plan(obs) -> [H, A]`` actions; ``model_calls`` counts forward model
    calls, as :class:`~mbrl_lessons.planning.CEMPlanner` does."""

    def __init__(self, model_env: ModelEnv, act_low, act_high,
                 cfg: GradientPlannerConfig = GradientPlannerConfig(),
                 seed: int = 0) -> None:
        self.model_env, self.cfg = model_env, cfg
        self.low = torch.as_tensor(np.atleast_1d(act_low), dtype=torch.float32)
        self.high = torch.as_tensor(np.atleast_1d(act_high), dtype=torch.float32)
        if not bool((self.low < self.high).all()):
            raise ValueError(f"need act_low < act_high, got {act_low}, {act_high}")
        self.gen = torch.Generator().manual_seed(int(seed))
        self.model_calls = 0
        self.reset()

    def reset(self) -> None:
        self.warm = torch.zeros(self.cfg.horizon, len(self.low))  # z of mid-range

    def plan(self, obs) -> np.ndarray:
        cfg = self.cfg
        obs = torch.as_tensor(obs, dtype=torch.float32)
        K, H, A = cfg.n_restarts, cfg.horizon, len(self.low)
        z0 = cfg.init_std * torch.randn((K, H, A), generator=self.gen)
        z0[0] = self.warm
        z = z0.requires_grad_(True)
        opt = torch.optim.Adam([z], lr=cfg.lr)
        for _ in range(cfg.n_iterations):
            gradient_step(z, opt, self.model_env, obs, self.low, self.high,
                          cfg.grad_clip)
        with torch.no_grad():
            acts = squash(z, self.low, self.high)
            best = int(self.model_env.returns(obs, acts).argmax())
            self.model_calls += cfg.model_calls()
            # warm start: the next plan begins where this one would continue
            self.warm = torch.cat([z[best, 1:], z[best, -1:]], 0).detach().clone()
            return acts[best].numpy()
