"""Chapter 5's experiments on learning dynamics models.

Every function takes explicit seeds and returns arrays or NamedTuples; the
notebook plots them and tests check them.  One run seed is split into named
streams (:func:`~mbrl_lessons.core.seeding.stream_seed`): the training data,
the test data, each network's initial weights and each fit's minibatches draw
from their own stream, so no two of them share random numbers, within a run
or across runs.  Pendulum data come from the torch
dynamics in :mod:`mbrl_lessons.envs.pendulum` (identical to Pendulum-v1), so
the true next state of ANY state is known and model errors can be measured
exactly, also far from the training data.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

from mbrl_lessons.core.seeding import make_rng, stream_seed
from mbrl_lessons.envs.pendulum import MAX_SPEED, pendulum_step
from mbrl_lessons.models import MLPDynamics, TrainConfig, fit_model
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.models.multistep import fit_multistep, rollout_error
from mbrl_lessons.models.probabilistic import (
    GaussianMLP,
    MixtureMLP,
    PointMLP,
    RegressionConfig,
    ensemble_predict,
    fit_regression,
)


# ------------------------------------------------------------- data
def pendulum_trajectories(n_traj: int, length: int, seed: int = 0,
                          start: str = "any") -> tuple[np.ndarray, np.ndarray]:
    """Random-torque pendulum trajectories: ``obs [N, T + 1, 3]``, ``act [N, T, 1]``.

    ``start="any"``: angle and speed uniform over their whole range;
    ``"hanging"``: near the bottom at rest (where a random policy stays).
    """
    if start not in ("any", "hanging"):
        raise ValueError(f"start must be 'any' or 'hanging', got {start!r}")
    rng = make_rng(seed)
    if start == "any":
        th = rng.uniform(-np.pi, np.pi, n_traj)
        thdot = rng.uniform(-MAX_SPEED, MAX_SPEED, n_traj)
    else:
        th = np.pi + rng.uniform(-0.3, 0.3, n_traj)
        thdot = rng.uniform(-0.5, 0.5, n_traj)
    s = torch.tensor(np.stack([np.cos(th), np.sin(th), thdot], -1), dtype=torch.float32)
    act = torch.tensor(rng.uniform(-2, 2, (n_traj, length, 1)), dtype=torch.float32)
    obs = [s]
    for t in range(length):
        s = pendulum_step(s, act[:, t])
        obs.append(s)
    return torch.stack(obs, 1).numpy(), act.numpy()


def transitions(obs: np.ndarray, act: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flatten trajectories into ``(obs [M, O], act [M, A], next_obs [M, O])``."""
    return (obs[:, :-1].reshape(-1, obs.shape[-1]), act.reshape(-1, act.shape[-1]),
            obs[:, 1:].reshape(-1, obs.shape[-1]))


# ------------------------------------------------- 5.1 model families
def knn_predict(train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray,
                k: int = 5) -> np.ndarray:
    """Non-parametric regression: the mean ``y`` of the ``k`` nearest training
    inputs (Euclidean, on inputs scaled by the training std)."""
    tx, x_ = (torch.as_tensor(a, dtype=torch.float32) for a in (train_x, x))
    scale = tx.std(0).clamp_min(1e-6)
    dist = torch.cdist(x_ / scale, tx / scale)
    idx = dist.topk(min(k, len(tx)), largest=False).indices
    return torch.as_tensor(train_y, dtype=torch.float32)[idx].mean(1).numpy()


def linear_predict(train_x: np.ndarray, train_y: np.ndarray, x: np.ndarray
                   ) -> np.ndarray:
    """A global linear model ``y = [x, 1] W`` by least squares."""
    def ones(a):
        return np.hstack([a, np.ones((len(a), 1))])
    w, *_ = np.linalg.lstsq(ones(train_x), train_y, rcond=None)
    return ones(x) @ w


def model_families(sizes=(100, 300, 1000, 3000), n_test=2000, seed=0,
                   epochs: int = 200) -> dict:
    """Test error of the next-state prediction (Euclidean, mean) of three
    forward models, against the number of training transitions: a global
    linear model, k-nearest neighbours, and an MLP (all predicting the change
    of state)."""
    test_o, test_a, test_n = transitions(*pendulum_trajectories(
        n_test, 1, stream_seed(seed, "test data")))
    test_x = np.hstack([test_o, test_a])
    out = {"sizes": list(sizes), "linear": [], "knn": [], "mlp": []}
    for n in sizes:
        o, a, nx = transitions(*pendulum_trajectories(
            n, 1, stream_seed(seed, "train data", n)))
        x, d = np.hstack([o, a]), nx - o
        for name, pred in (("linear", linear_predict(x, d, test_x)),
                           ("knn", knn_predict(x, d, test_x))):
            out[name].append(float(np.linalg.norm(test_o + pred - test_n, axis=1)
                                   .mean()))
        model = MLPDynamics(3, 1, hidden=64, seed=stream_seed(seed, "mlp init", n))
        fit_model(model, o, a, nx, TrainConfig(max_epochs=epochs, batch_size=64,
                                               patience=20),
                  seed=stream_seed(seed, "mlp fit", n))
        with torch.no_grad():
            pred = model.predict(torch.as_tensor(test_o), torch.as_tensor(test_a))
        out["mlp"].append(float(np.linalg.norm(pred.numpy() - test_n, axis=1).mean()))
    return out


# ------------------------------------------------- 5.2 stochasticity
def bimodal_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``y = sin(3x) +- 0.6`` (a fair coin picks the sign) ``+ N(0, 0.05^2)``,
    ``x ~ U(-1, 1)``: a transition with two possible outcomes."""
    rng = make_rng(seed)
    x = rng.uniform(-1, 1, (n, 1))
    sign = np.where(rng.random((n, 1)) < 0.5, 1.0, -1.0)
    return x, np.sin(3 * x) + 0.6 * sign + 0.05 * rng.normal(size=(n, 1))


class StochasticFits(NamedTuple):
    point: PointMLP
    gaussian: GaussianMLP
    mixture: MixtureMLP
    test_nll: dict          # per model: mean negative log-likelihood on test data
    near_a_mode: dict       # per model: share of its samples within 0.15 of a mode


def stochastic_fits(n: int = 1000, epochs: int = 150, seed: int = 0
                    ) -> StochasticFits:
    """Fit the three model types of :mod:`~mbrl_lessons.models.probabilistic`
    to :func:`bimodal_data` and score them on fresh data.  The MSE model is
    scored as a Gaussian with the one variance that fits its residuals best."""
    x, y = bimodal_data(n, stream_seed(seed, "train data"))
    cfg = RegressionConfig(epochs=epochs)
    models = {"point": PointMLP(1, 1, seed=stream_seed(seed, "init", "point")),
              "gaussian": GaussianMLP(1, 1, seed=stream_seed(seed, "init", "gaussian")),
              "mixture": MixtureMLP(1, 2, seed=stream_seed(seed, "init", "mixture"))}
    for name, m in models.items():
        fit_regression(m, x, y, cfg, seed=stream_seed(seed, "fit", name))
    tx, ty = (torch.as_tensor(a, dtype=torch.float32)
              for a in bimodal_data(2000, stream_seed(seed, "test data")))
    gen = torch.Generator().manual_seed(stream_seed(seed, "samples", "gaussian"))
    nll, near = {}, {}
    with torch.no_grad():
        p = models["point"](tx)
        var = ((p - ty) ** 2).mean()
        nll["point"] = float(torch.nn.functional.gaussian_nll_loss(
            p, ty, var.expand_as(p), full=True))
        samples = {"point": p[:, 0]}
        mean, var = models["gaussian"](tx)
        nll["gaussian"] = float(torch.nn.functional.gaussian_nll_loss(mean, ty, var,
                                                                      full=True))
        samples["gaussian"] = (mean + var.sqrt() * torch.randn(mean.shape,
                                                               generator=gen))[:, 0]
        dist = models["mixture"].distribution(tx)
        nll["mixture"] = float(-dist.log_prob(ty[:, 0]).mean())
        samples["mixture"] = models["mixture"].sample(
            tx, torch.Generator().manual_seed(stream_seed(seed, "samples", "mixture")))
        centre = torch.sin(3 * tx[:, 0])
        for k, s in samples.items():
            gap = torch.minimum((s - centre - 0.6).abs(), (s - centre + 0.6).abs())
            near[k] = float((gap < 0.15).float().mean())
    return StochasticFits(models["point"], models["gaussian"], models["mixture"],
                          nll, near)


# ------------------------------------------------- 5.3 uncertainty
def gap_data(n: int, seed: int = 0, noise: float = 0.1
             ) -> tuple[np.ndarray, np.ndarray]:
    """``y = x sin(2x) + N(0, noise^2 (1 + x^2)/2)`` on ``x`` in ``[-3, -1]``
    and ``[1, 3]``: heteroscedastic noise, and a gap with no data."""
    rng = make_rng(seed)
    x = np.concatenate([rng.uniform(-3, -1, n // 2), rng.uniform(1, 3, n - n // 2)])
    x = x[:, None]
    std = noise * np.sqrt((1 + x ** 2) / 2)
    return x, x * np.sin(2 * x) + std * rng.normal(size=x.shape)


def fit_gaussian_ensemble(x, y, n_members: int = 5, steps: int = 3000,
                          hidden: int = 64, seed: int = 0, bootstrap: bool = True,
                          beta: float = 0.0, lr: float = 3e-3) -> GaussianEnsemble:
    """A :class:`GaussianEnsemble` of ``n_members`` Gaussian MLPs fitted to
    ``x [N, in], y [N, out]`` by :func:`fit_ensemble` (inputs and targets
    standardised, every member on its own bootstrap resample unless
    ``bootstrap=False``; the plain Gaussian NLL unless ``beta > 0``, see
    :class:`EnsembleTrainConfig`).  The initial
    weights and the fit draw from their own streams of ``seed``."""
    model = GaussianEnsemble(np.shape(x)[1], np.shape(y)[1], n_members, hidden,
                             seed=stream_seed(seed, "ensemble init"))
    fit_ensemble(model, x, y, EnsembleTrainConfig(steps=steps, beta=beta, lr=lr,
                                                  bootstrap=bootstrap),
                 seed=stream_seed(seed, "ensemble fit"))
    return model


class UncertaintyCheck(NamedTuple):
    epistemic_std: np.ndarray   # [M] ensemble disagreement per test transition
    error: np.ndarray           # [M] true error of the ensemble mean
    distance: np.ndarray        # [M] distance of the test state to the training data
    rank_correlation: float     # Spearman: disagreement vs error


def _ranks(a: np.ndarray) -> np.ndarray:
    r = np.empty(len(a))
    r[np.argsort(a)] = np.arange(len(a))
    return r


def pendulum_uncertainty(n_train: int = 40, n_test: int = 2000, n_members: int = 5,
                         steps: int = 2000, seed: int = 0) -> UncertaintyCheck:
    """Train an ensemble on random-torque episodes that start hanging (so the
    data never contains fast or upright states); test on states spread over
    the whole state space.  Does disagreement predict error?"""
    o, a, nx = transitions(*pendulum_trajectories(
        n_train, 50, stream_seed(seed, "train data"), start="hanging"))
    x, d = np.hstack([o, a]), nx - o
    model = fit_gaussian_ensemble(x, d, n_members, steps, seed=seed)
    to, ta, tn = transitions(*pendulum_trajectories(n_test, 1,
                                                    stream_seed(seed, "test data")))
    tx = np.hstack([to, ta])
    pred = ensemble_predict(model, tx)  # raw units: the change of state
    epi = np.sqrt(pred.epistemic.numpy().sum(1))
    err = np.linalg.norm(to + pred.mean.numpy() - tn, axis=1)
    mu, sd = x.mean(0), x.std(0) + 1e-6  # distances in standardised inputs
    dist = torch.cdist(torch.as_tensor((tx - mu) / sd, dtype=torch.float32),
                       torch.as_tensor((x - mu) / sd, dtype=torch.float32)
                       ).min(1).values.numpy()
    rho = float(np.corrcoef(_ranks(epi), _ranks(err))[0, 1])
    return UncertaintyCheck(epi, err, dist, rho)


# ------------------------------------------ 5.4 partial observability
def window_experiment(windows=(1, 2, 3), n_train: int = 200, length: int = 20,
                      epochs: int = 150, seed: int = 0) -> dict:
    """The pendulum observed WITHOUT its speed (``o = [cos th, sin th]``):
    predict the next observation from the last ``w`` observations and the
    action, for each window length ``w``; returns the test error (Euclidean,
    mean) per ``w``."""
    def stacked(obs, act, w):
        o = obs[:, :, :2]
        rows_x, rows_y = [], []
        for t in range(w - 1, act.shape[1]):
            hist = o[:, t - w + 1:t + 1].reshape(len(o), -1)
            rows_x.append(np.hstack([hist, act[:, t]]))
            rows_y.append(o[:, t + 1] - o[:, t])
        return np.concatenate(rows_x), np.concatenate(rows_y), o

    train = pendulum_trajectories(n_train, length, stream_seed(seed, "train data"))
    test = pendulum_trajectories(500, length, stream_seed(seed, "test data"))
    out = {"windows": list(windows), "error": []}
    for w in windows:
        x, y, _ = stacked(*train, w)
        tx, ty, _ = stacked(*test, w)
        mu, sd = x.mean(0), x.std(0) + 1e-6
        ymu, ysd = y.mean(0), y.std(0) + 1e-6
        model = PointMLP(x.shape[1], 2, hidden=64, seed=stream_seed(seed, "init", w))
        fit_regression(model, (x - mu) / sd, (y - ymu) / ysd,
                       RegressionConfig(epochs=epochs, batch_size=256),
                       seed=stream_seed(seed, "fit", w))
        with torch.no_grad():
            pred = model(torch.as_tensor((tx - mu) / sd, dtype=torch.float32)).numpy()
        out["error"].append(float(np.linalg.norm(pred * ysd + ymu - ty, axis=1).mean()))
    return out


# ------------------------------------------ 5.6 multi-step prediction
def multistep_experiment(ks=(1, 10), n_train: int = 30, length: int = 40,
                         epochs: int = 60, seed: int = 0) -> dict:
    """Models trained with the ``k``-step unrolled loss, for each ``k``; returns
    each one's open-loop error by horizon on fresh trajectories and the models
    themselves (``"models"``)."""
    obs, act = pendulum_trajectories(n_train, length, stream_seed(seed, "train data"))
    test_obs, test_act = pendulum_trajectories(300, length,
                                               stream_seed(seed, "test data"))
    out = {"ks": list(ks), "horizon": list(range(1, length + 1)), "error": [],
           "models": []}
    for k in ks:
        # every k starts from the same weights and minibatch order: the models
        # differ only in their loss, so the comparison is paired
        model = MLPDynamics(3, 1, hidden=64, seed=stream_seed(seed, "init"))
        fit_multistep(model, obs, act, k, TrainConfig(max_epochs=epochs,
                                                      batch_size=64),
                      seed=stream_seed(seed, "fit"))
        out["error"].append(rollout_error(model, test_obs, test_act).tolist())
        out["models"].append(model)
    return out
