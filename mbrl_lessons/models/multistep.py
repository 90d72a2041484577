"""Training a one-step model for multi-step use (chapter 5, §5.6).

A model trained on one-step errors is then *composed* with itself in a
rollout, where its own prediction errors become its next inputs, states it
never saw in training.  Training through the unroll (Abbeel et al. 2005's
"lagged error" idea; Talvitie 2014 "hallucinated replay"; Venkatraman et al.
2015 "data as demonstrator") minimises what the planner actually sees:

    L_k(theta) = 1/k sum_{j=1..k} || norm(s_hat_{t+j} - s_{t+j}) ||^2,
    s_hat_{t+j} = f_theta(s_hat_{t+j-1}, a_{t+j-1}),  s_hat_t = s_t.
"""

from __future__ import annotations

import numpy as np
import torch

from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.models.dynamics import MLPDynamics, TrainConfig


def _windows(obs: torch.Tensor, act: torch.Tensor, k: int
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """All length-``k`` windows: ``obs [N, k + 1, O]``, ``act [N, k, A]``."""
    n_traj, t_len = act.shape[:2]
    if k > t_len:
        raise ValueError(f"k = {k} is longer than the trajectories ({t_len} steps)")
    o = obs.unfold(1, k + 1, 1).permute(0, 1, 3, 2).reshape(-1, k + 1, obs.shape[-1])
    a = act.unfold(1, k, 1).permute(0, 1, 3, 2)[:, :t_len - k + 1]
    return o, a.reshape(-1, k, act.shape[-1])


def fit_multistep(model: MLPDynamics, obs: np.ndarray, act: np.ndarray, k: int,
                  cfg: TrainConfig | None = None, seed: int = 0) -> list[float]:
    """Fit ``model`` by the ``k``-step unrolled loss ``L_k`` above.

    ``obs [N, T + 1, O]`` and ``act [N, T, A]`` are whole trajectories; ``k = 1``
    is ordinary one-step training.  Runs ``cfg.max_epochs`` epochs (no early
    stopping, so one- and multi-step fits make the same number of passes over
    the data; a trajectory of ``T`` steps gives ``T - k + 1`` windows, so
    larger ``k`` means slightly fewer minibatch updates); returns the loss of
    every epoch.
    """
    cfg = cfg or TrainConfig()
    obs_t = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
    act_t = torch.as_tensor(np.asarray(act), dtype=torch.float32)
    if obs_t.ndim != 3 or act_t.ndim != 3 or obs_t.shape[1] != act_t.shape[1] + 1:
        raise ValueError(f"need obs [N, T + 1, O] and act [N, T, A], got "
                         f"{tuple(obs_t.shape)} and {tuple(act_t.shape)}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    flat_o, flat_a = obs_t[:, :-1].reshape(-1, obs_t.shape[-1]), act_t.reshape(
        -1, act_t.shape[-1])
    model.set_normalisation(torch.cat([flat_o, flat_a], -1),
                            (obs_t[:, 1:] - obs_t[:, :-1]).reshape(flat_o.shape))
    win_o, win_a = _windows(obs_t, act_t, k)
    scale = model.out_std  # compare states in the units the model is trained in
    gen = torch_generator(seed)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = []
    for _ in range(cfg.max_epochs):
        order = torch.randperm(len(win_o), generator=gen)
        total = 0.0
        for i in range(0, len(order), cfg.batch_size):
            idx = order[i:i + cfg.batch_size]
            s, loss = win_o[idx, 0], 0.0
            for j in range(k):
                s = model.predict(s, win_a[idx, j])
                loss = loss + (((s - win_o[idx, j + 1]) / scale) ** 2).mean()
            loss = loss / k
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history.append(total / len(order))
    return history


@torch.no_grad()
def rollout_error(model, obs: np.ndarray, act: np.ndarray) -> np.ndarray:
    """Open-loop prediction error by horizon: start each test trajectory at its
    first state, feed the recorded actions, and return the mean Euclidean
    distance to the true states, ``[T]`` (index ``h - 1`` is ``h`` steps
    ahead)."""
    obs_t = torch.as_tensor(np.asarray(obs), dtype=torch.float32)
    act_t = torch.as_tensor(np.asarray(act), dtype=torch.float32)
    s, errs = obs_t[:, 0], []
    for t in range(act_t.shape[1]):
        s = model.predict(s, act_t[:, t])
        errs.append((s - obs_t[:, t + 1]).norm(dim=-1).mean().item())
    return np.array(errs)
