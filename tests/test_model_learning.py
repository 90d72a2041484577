"""Chapter 5: probabilistic models, ensembles, multi-step training, and the
chapter's experiments at small sizes."""

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.models import MLPDynamics, TrainConfig
from mbrl_lessons.models.ensemble import GaussianEnsemble
from mbrl_lessons.models.multistep import _windows, fit_multistep, rollout_error
from mbrl_lessons.models.probabilistic import (
    GaussianMLP,
    MixtureMLP,
    PointMLP,
    RegressionConfig,
    ensemble_predict,
    fit_regression,
    split_variance,
)

torch.set_num_threads(1)


def test_gaussian_mlp_learns_heteroscedastic_noise():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1500, 1))
    std = 0.05 + 0.3 * (x > 0)                  # quiet left half, noisy right half
    y = 2 * x + std * rng.normal(size=x.shape)
    model = GaussianMLP(1, 1, hidden=32, seed=0)
    fit_regression(model, x, y, RegressionConfig(epochs=150), seed=0)
    with torch.no_grad():
        mean, var = model(torch.tensor([[-0.5], [0.5]]))
    assert torch.allclose(mean[:, 0], torch.tensor([-1.0, 1.0]), atol=0.1)
    sd = var.sqrt()[:, 0]
    assert abs(sd[0] - 0.05) < 0.03 and abs(sd[1] - 0.35) < 0.08


def test_only_the_mixture_puts_samples_on_the_real_outcomes():
    fits = ml.stochastic_fits(n=600, epochs=100, seed=0)
    assert fits.near_a_mode["point"] < 0.05      # the MSE model predicts the mean
    assert fits.near_a_mode["mixture"] > 0.9
    assert fits.near_a_mode["gaussian"] < 0.5    # one mode cannot cover two
    assert fits.test_nll["mixture"] < fits.test_nll["gaussian"] - 1.0


def test_total_variance_splits_by_hand():
    means = torch.tensor([1.0, 3.0]).reshape(2, 1, 1).expand(2, 4, 1)
    variances = torch.tensor([0.5, 1.5]).reshape(2, 1, 1).expand(2, 4, 1)
    pred = split_variance(means, variances)
    # mean of means 2; aleatoric (0.5 + 1.5)/2 = 1; epistemic ((1-2)^2+(3-2)^2)/2 = 1
    assert torch.allclose(pred.mean, torch.full((4, 1), 2.0))
    assert torch.allclose(pred.aleatoric, torch.ones(4, 1))
    assert torch.allclose(pred.epistemic, torch.ones(4, 1))
    assert pred.member_means.shape == (2, 4, 1)
    with pytest.raises(ValueError, match=r"\[E, B, D\]"):
        split_variance(means[0], variances[0])


def test_ensemble_predict_reads_the_batched_ensemble():
    det = GaussianEnsemble(1, 1, 3, 8, probabilistic=False, seed=0)
    x = np.linspace(0.5, 2.0, 5)[:, None]
    pred = ensemble_predict(det, x)
    assert torch.all(pred.aleatoric == 0) and pred.member_means.shape == (3, 5, 1)
    assert torch.all(pred.epistemic > 0)  # three different initial weights
    two = ensemble_predict(det, x, n_members=2)
    assert torch.equal(two.member_means, pred.member_means[:2])
    with pytest.raises(ValueError, match="n_members"):
        ensemble_predict(det, np.zeros((5, 1)), n_members=4)


def test_ensemble_disagrees_in_the_gap_not_on_the_data():
    x, y = ml.gap_data(200, seed=0)
    model = ml.fit_gaussian_ensemble(x, y, n_members=5, steps=1500, seed=0)
    assert isinstance(model, GaussianEnsemble) and model.ensemble_size == 5
    gap = np.linspace(-0.9, 0.9, 19)[:, None]
    data = np.array([[-2.5], [-1.5], [1.5], [2.5]])
    epi_gap = ensemble_predict(model, gap).epistemic[:, 0].sqrt()
    epi_data = ensemble_predict(model, data).epistemic[:, 0].sqrt()
    epi_far = ensemble_predict(model, np.array([[4.5]])).epistemic[0, 0].sqrt()
    assert epi_gap.mean() > 1.5 * epi_data.mean() and epi_far > 5 * epi_data.max()


def test_disagreement_ranks_pendulum_errors():
    unc = ml.pendulum_uncertainty(n_train=20, n_test=400, n_members=3, steps=500)
    assert unc.rank_correlation > 0.4
    assert unc.epistemic_std.shape == unc.error.shape == (400,)


def test_a_window_reveals_the_hidden_speed():
    out = ml.window_experiment(windows=(1, 2), n_train=80, epochs=40)
    assert out["error"][0] > 4 * out["error"][1]


def test_windows_and_multistep_shapes():
    obs = torch.arange(2 * 6 * 3, dtype=torch.float32).reshape(2, 6, 3)
    act = torch.arange(2 * 5 * 1, dtype=torch.float32).reshape(2, 5, 1)
    o, a = _windows(obs, act, 3)
    assert o.shape == (2 * 3, 4, 3) and a.shape == (2 * 3, 3, 1)
    assert torch.equal(o[1], obs[0, 1:5]) and torch.equal(a[1], act[0, 1:4])
    obs_np, act_np = ml.pendulum_trajectories(8, 12, seed=0)
    model = MLPDynamics(3, 1, hidden=16, seed=0)
    losses = fit_multistep(model, obs_np, act_np, 4, TrainConfig(max_epochs=5))
    assert len(losses) == 5 and losses[-1] < losses[0]
    assert rollout_error(model, obs_np, act_np).shape == (12,)


def test_each_loss_wins_where_it_is_measured():
    """The one-step loss gives the better one-step forecast; the 10-step loss
    trades some of it away (whether it buys a better 40-step forecast varies
    by seed: benchmarks/ch05_models.py measures it over seeds).  A k-step loss
    that did not unroll would give two identical models."""
    out = ml.multistep_experiment(ks=(1, 10), n_train=30, epochs=60, seed=0)
    one, ten = np.array(out["error"][0]), np.array(out["error"][1])
    assert one[0] < 0.95 * ten[0]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="rows"):
        fit_regression(PointMLP(1, 1), np.zeros((5, 1)), np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"\[N, D\]"):
        fit_regression(PointMLP(1, 1), np.zeros(5), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="scalar"):
        MixtureMLP(1, 2).loss(torch.zeros(3, 1), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="start"):
        ml.pendulum_trajectories(2, 3, start="upright")
    with pytest.raises(ValueError, match="k = 9"):
        fit_multistep(MLPDynamics(3, 1, hidden=8), np.zeros((2, 5, 3)),
                      np.zeros((2, 4, 1)), 9)
    with pytest.raises(ValueError, match=r"obs \[N, T \+ 1, O\]"):
        fit_multistep(MLPDynamics(3, 1, hidden=8), np.zeros((2, 5, 3)),
                      np.zeros((2, 5, 1)), 2)
