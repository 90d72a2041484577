"""§5.4's recurrent experiment: a window of observations against a GRU
belief state on the pendulum observed without its speed.

:func:`recurrent_experiment` observes ``o = (cos th, sin th)`` (optionally with
Gaussian sensor noise), trains window models and a GRU
(:mod:`mbrl_lessons.models.recurrent`) on one-step prediction from random-torque
trajectories, and scores their open-loop forecasts after a burn-in against the
*noise-free* observations, horizon by horizon.
"""

from __future__ import annotations

import numpy as np
import torch

from mbrl_lessons.analysis.model_learning import pendulum_trajectories
from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.models.recurrent import (
    GRUModel,
    WindowModel,
    fit_sequence_model,
    open_loop_forecast,
)


def speedless(obs: np.ndarray, noise: float, seed: int
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """(observed, clean) ``[N, T + 1, 2]``: ``(cos, sin)`` with and without
    N(0, noise^2) sensor noise."""
    clean = torch.as_tensor(obs[..., :2], dtype=torch.float32)
    eps = make_rng(seed).normal(0.0, 1.0, clean.shape)
    return clean + noise * torch.as_tensor(eps, dtype=torch.float32), clean


def recurrent_experiment(noise: float = 0.0, windows=(1, 2), n_train: int = 200,
                         length: int = 40, burn_in: int = 10, steps: int = 1500,
                         hidden: int = 64, seed: int = 0) -> dict:
    """Forecast error by horizon of each window model and of the GRU.

    Returns ``{"horizon": [H], "models": [names], "error": {name: [H]},
    "models_fitted": {name: model}}`` with ``H = length + 1 - burn_in`` and
    the error the mean Euclidean distance to the noise-free observation on 300
    fresh trajectories.
    """
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    obs, act = pendulum_trajectories(n_train, length, stream_seed(seed, "train data"))
    test_obs, test_act = pendulum_trajectories(300, length,
                                               stream_seed(seed, "test data"))
    x, _ = speedless(obs, noise, stream_seed(seed, "train noise"))
    tx, tclean = speedless(test_obs, noise, stream_seed(seed, "test noise"))
    a, ta = torch.as_tensor(act), torch.as_tensor(test_act)
    models = {f"window {w}": WindowModel(2, 1, w, hidden,
                                         stream_seed(seed, "init", f"window {w}"))
              for w in windows}
    models["GRU"] = GRUModel(2, 1, hidden, stream_seed(seed, "init", "GRU"))
    out = {"horizon": list(range(1, length + 2 - burn_in)), "models": list(models),
           "error": {}, "models_fitted": models, "noise": noise}
    for name, model in models.items():
        fit_sequence_model(model, x, a, steps, seed=stream_seed(seed, "fit", name))
        pred = open_loop_forecast(model, tx, ta, burn_in)
        err = (pred - tclean[:, burn_in:]).norm(dim=-1).mean(0)
        out["error"][name] = err.tolist()
    return out
