"""A recurrent belief model for a partially observed system (chapter 5.4).

When the observation ``o_t`` hides part of the state, a model needs a summary
of the past.  :class:`GRUModel` keeps one: a GRU reads ``(o_t, a_t)`` and its
hidden state ``h_{t+1}`` (a learned *belief state*) predicts the next
observation, ``o_{t+1} = o_t + g(h_{t+1})``.  :class:`WindowModel` is the
alternative of §5.4's first experiment: an MLP on the last ``w`` observations.

Both are trained on one-step prediction from recorded sequences
(:func:`fit_sequence_model`) and rolled out open loop by
:func:`open_loop_forecast`: they read the first ``burn_in`` real
observations (the GRU filters them into ``h``, the window keeps the last
``w``), then feed back their own predictions.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.progress import tqdm
from mbrl_lessons.core.seeding import torch_generator, torch_seeded


class GRUModel(nn.Module):
    """``h_{t+1} = GRU([o_t, a_t], h_t)``, ``o_{t+1} = o_t + head(h_{t+1})``;
    inputs and changes are normalised with buffers set from the data."""

    def __init__(self, obs_dim: int, act_dim: int, hidden: int = 64, seed: int = 0
                 ) -> None:
        super().__init__()
        if min(obs_dim, act_dim, hidden) < 1:
            raise ValueError("GRUModel needs obs_dim, act_dim and hidden >= 1")
        self.obs_dim, self.hidden = obs_dim, hidden
        with torch_seeded(seed):
            self.gru = nn.GRU(obs_dim + act_dim, hidden, batch_first=True)
            self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(),
                                      nn.Linear(hidden, obs_dim))
        for n, d in (("x_mean", obs_dim + act_dim), ("y_mean", obs_dim)):
            self.register_buffer(n, torch.zeros(d))
        for n, d in (("x_std", obs_dim + act_dim), ("y_std", obs_dim)):
            self.register_buffer(n, torch.ones(d))

    def step(self, obs: torch.Tensor, act: torch.Tensor, h: torch.Tensor
             ) -> tuple[torch.Tensor, torch.Tensor]:
        """``obs [B, O]``, ``act [B, A]``, ``h [B, H]`` -> (predicted next
        observation ``[B, O]``, new belief ``[B, H]``)."""
        x = (torch.cat([obs, act], -1) - self.x_mean) / self.x_std
        h = self.gru(x[:, None], h[None])[1][0]
        return obs + self.y_mean + self.y_std * self.head(h), h

    def teacher_forced(self, obs: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """One-step predictions ``[B, T, O]`` of ``obs[:, 1:]`` from the real
        ``obs[:, :-1]`` and ``act [B, T, A]``, reading from ``h = 0`` (one fused
        GRU call: what training uses)."""
        x = (torch.cat([obs[:, :-1], act], -1) - self.x_mean) / self.x_std
        h = self.gru(x)[0]
        return obs[:, :-1] + self.y_mean + self.y_std * self.head(h)

    def initial(self, batch: int) -> torch.Tensor:
        return torch.zeros(batch, self.hidden)


class WindowModel(nn.Module):
    """``o_{t+1} = o_t + f(o_{t-w+1}, ..., o_t, a_t)``: an MLP on a window of
    the last ``w`` observations (``w = 1``: the observation alone)."""

    def __init__(self, obs_dim: int, act_dim: int, window: int, hidden: int = 64,
                 seed: int = 0) -> None:
        super().__init__()
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        self.obs_dim, self.window = obs_dim, window
        self.net = mlp(window * obs_dim + act_dim, obs_dim, hidden, 2, seed=seed)
        d = window * obs_dim + act_dim
        self.register_buffer("x_mean", torch.zeros(d))
        self.register_buffer("x_std", torch.ones(d))
        self.register_buffer("y_mean", torch.zeros(obs_dim))
        self.register_buffer("y_std", torch.ones(obs_dim))

    def predict(self, hist: torch.Tensor, act: torch.Tensor) -> torch.Tensor:
        """``hist [B, w, O]`` (oldest first), ``act [B, A]`` -> next ``[B, O]``."""
        x = (torch.cat([hist.flatten(1), act], -1) - self.x_mean) / self.x_std
        return hist[:, -1] + self.y_mean + self.y_std * self.net(x)


def _check(obs: torch.Tensor, act: torch.Tensor) -> None:
    if obs.ndim != 3 or act.ndim != 3 or act.shape[:2] != (len(obs), obs.shape[1] - 1):
        raise ValueError(f"need obs [N, T + 1, O] and act [N, T, A], got "
                         f"{tuple(obs.shape)} and {tuple(act.shape)}")


def _window_rows(obs: torch.Tensor, act: torch.Tensor, w: int):
    T = act.shape[1]
    hist = torch.stack([obs[:, t - w + 1:t + 1] for t in range(w - 1, T)], 1)
    return hist.flatten(0, 1), act[:, w - 1:].flatten(0, 1), obs[:, w:].flatten(0, 1)


def fit_sequence_model(model: GRUModel | WindowModel, obs: torch.Tensor,
                       act: torch.Tensor, n_steps: int = 1500, batch_size: int = 64,
                       lr: float = 3e-3, seed: int = 0, progress: bool = False
                       ) -> np.ndarray:
    """Fit either model on one-step prediction (mean squared error of the
    normalised change) from sequences ``obs [N, T + 1, O]``, ``act [N, T, A]``;
    the GRU reads each whole sequence from ``h = 0``.  Returns the loss per
    step.  Same data and seed, same weights."""
    _check(obs, act)
    delta = (obs[:, 1:] - obs[:, :-1]).flatten(0, 1)
    model.y_mean.copy_(delta.mean(0))
    model.y_std.copy_(delta.std(0).clamp_min(1e-6))
    if isinstance(model, GRUModel):
        x = torch.cat([obs[:, :-1], act], -1).flatten(0, 1)
    else:
        hist, a, _ = _window_rows(obs, act, model.window)
        x = torch.cat([hist.flatten(1), a], -1)
    model.x_mean.copy_(x.mean(0))
    model.x_std.copy_(x.std(0).clamp_min(1e-6))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, n_steps)
    gen = torch_generator(seed)
    losses = np.empty(n_steps)
    if isinstance(model, WindowModel):
        rows = _window_rows(obs, act, model.window)
    for i in tqdm(range(n_steps), desc="fit sequence model", leave=False,
                  disable=not progress):
        if isinstance(model, GRUModel):
            idx = torch.randint(len(obs), (batch_size,), generator=gen)
            pred = model.teacher_forced(obs[idx], act[idx])
            loss = ((pred - obs[idx, 1:]) / model.y_std).square().mean()
        else:
            idx = torch.randint(len(rows[0]), (batch_size * 16,), generator=gen)
            pred = model.predict(rows[0][idx], rows[1][idx])
            loss = ((pred - rows[2][idx]) / model.y_std).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses[i] = loss.item()
    model.eval()
    return losses


@torch.no_grad()
def open_loop_forecast(model: GRUModel | WindowModel, obs: torch.Tensor,
                       act: torch.Tensor, burn_in: int) -> torch.Tensor:
    """Predictions ``[N, T + 1 - burn_in, O]`` of observations ``burn_in .. T``.

    The model reads the real ``obs[:, :burn_in]`` (and the actions), then
    predicts every later observation from its own previous predictions,
    given the recorded actions: an open-loop forecast of ``T + 1 - burn_in``
    steps.  ``burn_in`` must be at least the window length.
    """
    _check(obs, act)
    T = act.shape[1]
    w = model.window if isinstance(model, WindowModel) else 1
    if not w <= burn_in <= T:
        raise ValueError(f"burn_in must be in [{w}, {T}], got {burn_in}")
    preds = []
    if isinstance(model, GRUModel):
        h = model.initial(len(obs))
        for t in range(burn_in - 1):
            _, h = model.step(obs[:, t], act[:, t], h)
        o = obs[:, burn_in - 1]
        for t in range(burn_in - 1, T):
            o, h = model.step(o, act[:, t], h)
            preds.append(o)
    else:
        hist = obs[:, burn_in - w:burn_in]
        for t in range(burn_in - 1, T):
            o = model.predict(hist, act[:, t])
            preds.append(o)
            hist = torch.cat([hist[:, 1:], o[:, None]], 1)
    return torch.stack(preds, 1)


__all__ = ["GRUModel", "WindowModel", "fit_sequence_model", "open_loop_forecast"]
