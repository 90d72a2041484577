"""Learned dynamics models and the batched model environment (chapters 4–8).

A :class:`DynamicsModel` maps ``(obs [B, O], act [B, A]) -> next_obs [B, O]``.
:class:`MLPDynamics` predicts the *change* ``next_obs - obs`` (small and well
scaled, so easier to learn than the next state itself), with inputs and
outputs normalised by statistics of the training data.  :func:`fit_model` is
plain supervised learning with a validation split and early stopping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.core.types import DynamicsModel, require


class TrueModel:
    """Wraps a known step function (e.g. ``pendulum_step``) as a model."""

    def __init__(self, step_fn: Callable) -> None:
        self.step_fn = step_fn

    def predict(self, obs, act):
        return self.step_fn(obs, act)


class MLPDynamics(nn.Module):
    """``next_obs = obs + denorm(net(norm([obs, act])))``."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 128, layers: int = 2,
                 seed: int = 0) -> None:
        super().__init__()
        self.obs_dim, self.act_dim = obs_dim, act_dim
        # ReLU rather than SiLU: the planner calls this thousands of times per
        # step, and ReLU is the cheaper of the two at equal accuracy here
        self.net = mlp(obs_dim + act_dim, obs_dim, hidden, layers, activation=nn.ReLU,
                       seed=seed)
        self.register_buffer("in_mean", torch.zeros(obs_dim + act_dim))
        self.register_buffer("in_std", torch.ones(obs_dim + act_dim))
        self.register_buffer("out_mean", torch.zeros(obs_dim))
        self.register_buffer("out_std", torch.ones(obs_dim))

    def set_normalisation(self, x: torch.Tensor, delta: torch.Tensor) -> None:
        self.in_mean.copy_(x.mean(0))
        self.in_std.copy_(x.std(0).clamp_min(1e-6))
        self.out_mean.copy_(delta.mean(0))
        self.out_std.copy_(delta.std(0).clamp_min(1e-6))

    def forward_normalised(self, obs, act):
        x = (torch.cat([obs, act], -1) - self.in_mean) / self.in_std
        return self.net(x)

    def predict(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        if obs.shape[-1] != self.obs_dim or act.shape[-1] != self.act_dim:
            raise ValueError(f"expected obs [..., {self.obs_dim}] and act "
                             f"[..., {self.act_dim}], got {tuple(obs.shape)} and "
                             f"{tuple(act.shape)}")
        return obs + self.forward_normalised(obs, act) * self.out_std + self.out_mean


@dataclass(frozen=True)
class TrainConfig:
    """Supervised model training."""

    max_epochs: int = 200
    """Upper bound on passes over the training split."""
    batch_size: int = 256
    """Minibatch size."""
    lr: float = 1e-3
    """Adam learning rate."""
    weight_decay: float = 1e-5
    """L2 regularisation."""
    val_fraction: float = 0.1
    """Share of the data held out for early stopping."""
    patience: int = 10
    """Stop after this many epochs without a better validation loss."""


class TrainResult(NamedTuple):
    train_losses: list[float]
    val_losses: list[float]
    epochs: int


def fit_model(model: MLPDynamics, obs: np.ndarray, act: np.ndarray,
              next_obs: np.ndarray, cfg: TrainConfig = TrainConfig(),
              seed: int = 0) -> TrainResult:
    """Fit by MSE on normalised deltas; keep the weights of the best validation
    epoch.  Arrays are ``[N, O]``, ``[N, A]``, ``[N, O]``."""
    obs_t, act_t, nxt_t = (torch.as_tensor(a, dtype=torch.float32)
                           for a in (obs, act, next_obs))
    if not (len(obs_t) == len(act_t) == len(nxt_t)):
        raise ValueError("obs, act and next_obs need the same number of rows")
    if len(obs_t) < 10:
        raise ValueError(f"need at least 10 transitions to fit, got {len(obs_t)}")
    gen = torch_generator(seed)
    perm = torch.randperm(len(obs_t), generator=gen)
    n_val = max(1, int(cfg.val_fraction * len(obs_t)))
    val, tr = perm[:n_val], perm[n_val:]
    delta = nxt_t - obs_t
    model.set_normalisation(torch.cat([obs_t[tr], act_t[tr]], -1), delta[tr])
    target = (delta - model.out_mean) / model.out_std
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr,
                           weight_decay=cfg.weight_decay)
    best, best_state, since = float("inf"), None, 0
    train_losses, val_losses = [], []
    for epoch in range(1, cfg.max_epochs + 1):
        order = tr[torch.randperm(len(tr), generator=gen)]
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            loss = ((model.forward_normalised(obs_t[idx], act_t[idx]) - target[idx])
                    ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        train_losses.append(total / len(order))
        with torch.no_grad():
            v = ((model.forward_normalised(obs_t[val], act_t[val]) - target[val])
                 ** 2).mean().item()
        val_losses.append(v)
        if v < best - 1e-7:
            best, since = v, 0
            best_state = {k: t.clone() for k, t in model.state_dict().items()}
        else:
            since += 1
            if since >= cfg.patience:
                break
    model.load_state_dict(best_state)
    return TrainResult(train_losses, val_losses, epoch)


class ModelEnv:
    """Roll many action sequences through a model at once (no real env): the
    deterministic :class:`~mbrl_lessons.core.types.BatchedModelEnv`.

    ``rollout(obs0 [O] or [B, O], actions [B, H, A])`` returns predicted
    observations ``[B, H + 1, O]`` and rewards ``[B, H]`` (the known reward of
    each state–action pair along the way).
    """

    def __init__(self, model: DynamicsModel, reward_fn: Callable) -> None:
        require(model, DynamicsModel, "ModelEnv's model")
        if not callable(reward_fn):
            raise TypeError(f"ModelEnv's reward_fn must be callable as "
                            f"reward_fn(obs, act, next_obs), got {reward_fn!r}")
        self.model, self.reward_fn = model, reward_fn

    def rollout(self, obs0: torch.Tensor, actions: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        if actions.ndim != 3:
            raise ValueError(f"actions must be [B, H, A], got {tuple(actions.shape)}")
        B, H, _ = actions.shape
        obs = obs0.expand(B, -1) if obs0.ndim == 1 else obs0
        traj, rewards = [obs], []
        for t in range(H):
            next_obs = self.model.predict(obs, actions[:, t])
            rewards.append(self.reward_fn(obs, actions[:, t], next_obs))
            obs = next_obs
            traj.append(obs)
        return torch.stack(traj, 1), torch.stack(rewards, 1)

    def returns(self, obs0: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
        """The summed predicted reward ``[B]`` of each sequence: what a planner
        scores, without keeping the trajectory (same numbers as
        ``rollout(...)[1].sum(1)``, less memory traffic)."""
        if actions.ndim != 3:
            raise ValueError(f"actions must be [B, H, A], got {tuple(actions.shape)}")
        B, H, _ = actions.shape
        obs = obs0.expand(B, -1) if obs0.ndim == 1 else obs0
        total = torch.zeros(B)
        for t in range(H):
            next_obs = self.model.predict(obs, actions[:, t])
            total += self.reward_fn(obs, actions[:, t], next_obs)
            obs = next_obs
        return total
