"""Chapter 5: probabilistic models, ensembles, multi-step training, and the
chapter's experiments at small sizes."""

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis import model_learning as ml
from mbrl_lessons.models import MLPDynamics, TrainConfig
from mbrl_lessons.models.multistep import _windows, fit_multistep, rollout_error
from mbrl_lessons.models.probabilistic import (
    GaussianMLP,
    MixtureMLP,
    PointMLP,
    RegressionConfig,
    ensemble_predict,
    fit_regression,
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


class _Const(torch.nn.Module):
    def __init__(self, mean, var):
        super().__init__()
        self.m, self.v = mean, var

    def forward(self, x):
        return (torch.full((len(x), 1), self.m), torch.full((len(x), 1), self.v))


def test_total_variance_splits_by_hand():
    pred = ensemble_predict([_Const(1.0, 0.5), _Const(3.0, 1.5)], np.zeros((4, 1)))
    # mean of means 2; aleatoric (0.5 + 1.5)/2 = 1; epistemic ((1-2)^2+(3-2)^2)/2 = 1
    assert torch.allclose(pred.mean, torch.full((4, 1), 2.0))
    assert torch.allclose(pred.aleatoric, torch.ones(4, 1))
    assert torch.allclose(pred.epistemic, torch.ones(4, 1))
    assert pred.member_means.shape == (2, 4, 1)
    point = ensemble_predict([PointMLP(1, 1, seed=0)], np.zeros((3, 1)))
    assert torch.all(point.aleatoric == 0) and torch.all(point.epistemic == 0)


def test_ensemble_disagrees_in_the_gap_not_on_the_data():
    x, y = ml.gap_data(200, seed=0)
    members = ml.fit_gaussian_ensemble(x, y, n_members=5, epochs=150, seed=0)
    pred = ensemble_predict(members, np.array([[-2.0], [2.0], [0.0], [4.5]]))
    epi = pred.epistemic[:, 0].sqrt()
    assert epi[2] > 3 * epi[:2].max() and epi[3] > 3 * epi[:2].max()


def test_disagreement_ranks_pendulum_errors():
    unc = ml.pendulum_uncertainty(n_train=20, n_test=400, n_members=3, epochs=40)
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


def test_multistep_training_drifts_less_far_ahead():
    out = ml.multistep_experiment(ks=(1, 10), n_train=30, epochs=60, seed=0)
    one, ten = np.array(out["error"][0]), np.array(out["error"][1])
    assert ten[39] < one[39] and ten[9] < one[9]


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
