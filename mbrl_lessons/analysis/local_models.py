"""§5.1's local-model experiment: a time-varying linear model around a
pendulum swing-up against global models, as the query moves away from the
trajectory."""

from __future__ import annotations

import numpy as np
import torch

from mbrl_lessons.analysis.model_learning import pendulum_trajectories, transitions
from mbrl_lessons.analysis.schemes import swing_up_transitions
from mbrl_lessons.core.seeding import stream_rng, stream_seed
from mbrl_lessons.envs.pendulum import pendulum_step
from mbrl_lessons.models import MLPDynamics, TrainConfig, fit_model
from mbrl_lessons.models.local import fit_affine, fit_local_linear


def _perturbed(obs: np.ndarray, act: np.ndarray, scale: float, n: int,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` pendulum observations and torques near ``(obs [3], act [1])``:
    the angle, the speed and the torque each moved by ``scale`` times a
    standard normal (observations stay on the circle)."""
    th = np.arctan2(obs[1], obs[0]) + scale * rng.normal(size=n)
    thdot = obs[2] + scale * rng.normal(size=n)
    o = np.stack([np.cos(th), np.sin(th), thdot], 1).astype(np.float32)
    a = np.clip(act[0] + scale * rng.normal(size=(n, 1)), -2, 2).astype(np.float32)
    return o, a


def _true_next(o: np.ndarray, a: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return pendulum_step(torch.as_tensor(o), torch.as_tensor(a)).numpy()


def local_vs_global(seed: int = 0, deltas=(0.01, 0.03, 0.1, 0.3, 1.0),
                    sigma: float = 0.05, n_local: int = 30, n_train: int = 3000,
                    n_test: int = 20, epochs: int = 200) -> dict:
    """Mean one-step error of three models at query points ``delta`` away
    from a swing-up trajectory (MPC with the true model, one episode):

    - ``local``: one affine model per step, fitted to ``n_local`` true
      transitions around that step (angle, speed and torque each moved by
      Gaussian noise of standard deviation ``sigma``);
    - ``global linear`` and ``global MLP``: fitted to ``n_train`` random
      transitions from the whole state space.

    Returns ``{"deltas": [...], model: [error per delta]}``."""
    rng = stream_rng(seed, "perturbations")
    obs, act, _ = swing_up_transitions(seed=stream_seed(seed, "swing-up"))
    samples = []
    for o_t, a_t in zip(obs, act, strict=True):
        o, a = _perturbed(o_t, a_t, sigma, n_local, rng)
        samples.append((o, a, _true_next(o, a)))
    local = fit_local_linear(samples)
    o_tr, a_tr, n_tr = transitions(*pendulum_trajectories(
        n_train, 1, stream_seed(seed, "global data")))
    A, B, c = fit_affine(o_tr, a_tr, n_tr)
    mlp = MLPDynamics(3, 1, hidden=64, seed=stream_seed(seed, "mlp init"))
    fit_model(mlp, o_tr, a_tr, n_tr, TrainConfig(max_epochs=epochs, batch_size=64,
                                                 patience=20),
              seed=stream_seed(seed, "mlp fit"))
    out: dict = {"deltas": list(deltas), "local": [], "global linear": [],
                 "global MLP": []}
    for delta in deltas:
        errs = {k: [] for k in ("local", "global linear", "global MLP")}
        for t, (o_t, a_t) in enumerate(zip(obs, act, strict=True)):
            o, a = _perturbed(o_t, a_t, delta, n_test, rng)
            true = _true_next(o, a)
            with torch.no_grad():
                pm = mlp.predict(torch.as_tensor(o), torch.as_tensor(a)).numpy()
            for k, pred in (("local", local.predict(t, o, a)),
                            ("global linear", o @ A.T + a @ B.T + c),
                            ("global MLP", pm)):
                errs[k].append(np.linalg.norm(pred - true, axis=1).mean())
        for k, v in errs.items():
            out[k].append(float(np.mean(v)))
    return out


def inverse_model_errors(n_train: int = 3000, n_test: int = 2000, epochs: int = 100,
                         seed: int = 0) -> dict:
    """An inverse model ``(s_t, s_{t+1}) -> a_t`` of the pendulum: an MLP
    (:class:`~mbrl_lessons.models.probabilistic.PointMLP`, squared error)
    fitted to ``n_train`` random one-step transitions from the whole state
    space, scored on ``n_test`` fresh ones by the mean absolute torque error,
    separately where the next speed stayed inside the limit of ``MAX_SPEED``
    (the torque is then determined by the two states) and where it was
    clipped to the limit (many torques give the same next state).

    Returns ``{"free": error, "at_limit": error, "share_at_limit": share,
    "torque_range": 4.0}``."""
    from mbrl_lessons.envs.pendulum import MAX_SPEED
    from mbrl_lessons.models.probabilistic import (
        PointMLP,
        RegressionConfig,
        fit_regression,
    )

    def data(n, name):
        obs, act = pendulum_trajectories(n, 1, stream_seed(seed, name))
        return np.concatenate([obs[:, 0], obs[:, 1]], 1), act[:, 0], obs[:, 1, 2]

    x, y, _ = data(n_train, "inverse train")
    model = PointMLP(6, 1, seed=stream_seed(seed, "inverse init"))
    fit_regression(model, x, y, RegressionConfig(epochs=epochs),
                   seed=stream_seed(seed, "inverse fit"))
    tx, ty, speed = data(n_test, "inverse test")
    with torch.no_grad():
        err = np.abs(model(torch.as_tensor(tx)).numpy() - ty)[:, 0]
    at_limit = np.abs(speed) >= MAX_SPEED - 1e-5
    return {"free": float(err[~at_limit].mean()),
            "at_limit": float(err[at_limit].mean()) if at_limit.any() else float("nan"),
            "share_at_limit": float(at_limit.mean()), "torque_range": 4.0}
