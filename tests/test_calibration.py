"""§5.3's three approximate posteriors (ensemble, MC dropout, last-layer
Laplace) and the calibration scores (mbrl_lessons.analysis.calibration)."""

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis.calibration import (
    LEVELS,
    DropoutMLP,
    Predictive,
    calibration_check,
    calibration_curve,
    dropout_predictive,
    ensemble_predictive,
    fit_last_layer_laplace,
    laplace_predictive,
    scores,
)
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.models.probabilistic import PointMLP, RegressionConfig, fit_regression


def _data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 2))
    y = np.stack([np.sin(3 * x[:, 0]), x[:, 0] * x[:, 1]], 1)
    y = y + 0.05 * rng.normal(size=(n, 2))
    return x.astype(np.float32), y.astype(np.float32)


def test_calibration_curve_of_a_true_gaussian_is_the_diagonal():
    rng = np.random.default_rng(0)
    mean, var = rng.normal(size=(20000, 2)), rng.uniform(0.5, 2, (20000, 2))
    y = mean + np.sqrt(var) * rng.normal(size=mean.shape)
    curve = calibration_curve(Predictive(mean, var), y)
    assert np.abs(curve - LEVELS).max() < 0.02
    # a model four times too sure of itself covers far less than it claims
    tight = calibration_curve(Predictive(mean, var / 4), y)
    assert (tight < LEVELS).all() and tight[-2] < 0.9 - 0.2
    s = scores(Predictive(mean, var), y)
    assert s["calibration_error"] < 0.01
    assert s["coverage_90"] == pytest.approx(0.9, abs=0.01)


def test_identical_members_have_no_epistemic_variance():
    x, y = _data()
    ens = GaussianEnsemble(2, 2, 3, hidden=16, probabilistic=False, seed=0)
    fit_ensemble(ens, x, y, EnsembleTrainConfig(steps=20), seed=0)
    pair = ensemble_predictive(ens, x, y, x)
    pair_noise = ((pair.mean - y) ** 2).mean(0)
    assert ((pair.var - pair_noise) > 0).all()  # bootstrap + own init: spread
    with torch.no_grad():  # every member a copy of member 0
        for p in [*ens.weights, *ens.biases]:
            p[1:] = p[0]
    twins = ensemble_predictive(ens, x, y, x)
    mean = ens.predict(torch.as_tensor(x).expand(3, *x.shape))[0][0].detach().numpy()
    noise = ((mean - y) ** 2).mean(0)
    assert np.allclose(twins.var, noise + 1e-12, rtol=1e-4)


def test_dropout_masks_repeat_with_the_seed_and_vary_between_passes():
    x = torch.randn(8, 3)
    a, b = DropoutMLP(3, 2, seed=4), DropoutMLP(3, 2, seed=4)
    assert torch.equal(a(x), b(x))
    assert not torch.equal(a(x), a(x))
    assert torch.equal(a(x, dropout=False), a(x, dropout=False))
    xs, ys = _data()
    pred = dropout_predictive(DropoutMLP(2, 2, seed=0), xs, ys, xs, n_samples=10)
    assert pred.var.shape == (len(xs), 2) and (pred.var > 0).all()
    with pytest.raises(ValueError, match="n_samples"):
        dropout_predictive(a, x.numpy(), x.numpy()[:, :2], x.numpy(), n_samples=1)
    with pytest.raises(ValueError, match="dropout rate"):
        DropoutMLP(3, 2, p=1.0)


def test_last_layer_laplace_is_the_exact_gaussian_posterior_of_that_layer():
    x, y = _data()
    m = PointMLP(2, 2, hidden=16, seed=0)
    fit_regression(m, x, y, RegressionConfig(epochs=30), seed=0)
    fit = fit_last_layer_laplace(m, x, y)
    assert fit.prior_precision == pytest.approx(
        np.logspace(-4, 4, 33)[int(np.argmax(fit.log_evidence))])
    with torch.no_grad():
        h = m.net[:-1](torch.as_tensor(x)).numpy()
    phi = np.hstack([h, np.ones((len(h), 1))])
    for d in range(2):
        H = phi.T @ phi / fit.noise_var[d] + fit.prior_precision * np.eye(phi.shape[1])
        assert np.allclose(fit.covariances[d] @ H, np.eye(phi.shape[1]), atol=1e-6)
    near = laplace_predictive(m, fit, x)
    far = laplace_predictive(m, fit, 4 * x)  # outside the data's box
    assert (near.var >= fit.noise_var).all()
    assert np.median(far.var - fit.noise_var) > np.median(near.var - fit.noise_var)
    with pytest.raises(ValueError, match="grid"):
        fit_last_layer_laplace(m, x, y, grid=np.array([0.0, 1.0]))


def test_a_laplace_without_its_posterior_covers_less_off_the_data():
    """The broken version: dropping the posterior covariance leaves only the
    training noise, which is too narrow where the network extrapolates."""
    x, y = _data()
    m = PointMLP(2, 2, hidden=16, seed=0)
    fit_regression(m, x, y, RegressionConfig(epochs=30), seed=0)
    fit = fit_last_layer_laplace(m, x, y)
    rng = np.random.default_rng(5)
    xf = rng.uniform(1, 2, (400, 2)).astype(np.float32)
    yf = np.stack([np.sin(3 * xf[:, 0]), xf[:, 0] * xf[:, 1]], 1)
    full = laplace_predictive(m, fit, xf)
    broken = laplace_predictive(m, fit._replace(covariances=0 * fit.covariances), xf)
    assert scores(full, yf)["coverage_90"] > scores(broken, yf)["coverage_90"]


def test_calibration_check_scores_every_method_on_both_tests():
    out = calibration_check(0, n_train=4, n_test=100, epochs=3, n_members=2,
                            n_samples=5)
    again = calibration_check(0, n_train=4, n_test=100, epochs=3, n_members=2,
                              n_samples=5)
    assert out == again  # same seed, same result
    # the test sets are their own streams: more members (more draws for the
    # ensemble's weights) leave MC dropout's and Laplace's scores as they were
    more = calibration_check(0, n_train=4, n_test=100, epochs=3, n_members=3,
                             n_samples=5)
    assert more["mc_dropout"] == out["mc_dropout"] and more["laplace"] == out["laplace"]
    assert more["ensemble"] != out["ensemble"]
    other = calibration_check(1, n_train=4, n_test=100, epochs=3, n_members=2,
                              n_samples=5)
    assert other["laplace"] != out["laplace"]
    for method in ("ensemble", "mc_dropout", "laplace"):
        for test in ("near", "far"):
            s = out[method][test]
            assert 0 <= s["calibration_error"] <= 1 and 0 <= s["coverage_90"] <= 1
            assert len(s["curve"]) == len(LEVELS) and np.isfinite(s["nll"])
    assert out["laplace_prior_precision"] > 0
