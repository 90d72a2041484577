"""The one batched ensemble (models/ensemble.py): shapes, bounds, normalisation,
held-out early stopping and elites, and what it learns."""

import numpy as np
import pytest
import torch

from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.models import ensemble as ens
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    Normaliser,
    fit_ensemble,
)


@pytest.mark.parametrize("probabilistic", [True, False])
def test_shapes(probabilistic):
    model = GaussianEnsemble(4, 3, ensemble_size=5, hidden=8, layers=2,
                             probabilistic=probabilistic)
    mean, logvar = model(torch.zeros(5, 7, 4))
    assert mean.shape == (5, 7, 3)
    assert (logvar is None) == (not probabilistic)
    if probabilistic:
        assert logvar.shape == (5, 7, 3)
    m, v = model.predict(torch.zeros(5, 7, 4))
    assert m.shape == v.shape == (5, 7, 3)
    assert probabilistic or torch.all(v == 0)
    draw = model.sample(torch.zeros(7, 4), torch.arange(7) % 5, torch.Generator())
    assert draw.shape == (7, 3)
    with pytest.raises(ValueError, match=r"\[5, B, 4\]"):
        model(torch.zeros(4, 7, 4))
    with pytest.raises(ValueError, match="n_elites"):
        GaussianEnsemble(4, 3, ensemble_size=5, n_elites=6)


def test_log_variance_stays_between_its_bounds():
    model = GaussianEnsemble(2, 2, ensemble_size=3, hidden=8, layers=1)
    with torch.no_grad():
        for raw in (1e4, -1e4, 0.0):
            model.biases[-1][..., 2:] = raw
            _, logvar = model(torch.zeros(3, 4, 2))
            assert torch.all(logvar <= model.max_logvar + 1e-4)
            assert torch.all(logvar >= model.min_logvar - 1e-4)
    # the bounds are learned: the NLL's gradient reaches them
    _, nll = model.loss(torch.zeros(3, 4, 2), torch.zeros(3, 4, 2), bound_weight=0.0)
    nll.backward()
    assert model.max_logvar.grad is not None and model.min_logvar.grad is not None


def test_normaliser_round_trip_and_fit_sets_the_statistics():
    x = torch.randn(50, 3) * torch.tensor([1.0, 10.0, 0.0]) + 5.0  # a constant dim
    norm = Normaliser(3)
    norm.fit(x)
    z = norm.normalise(x)
    assert torch.allclose(norm.denormalise(z), x, atol=1e-4)
    assert torch.allclose(z[:, :2].mean(0), torch.zeros(2), atol=1e-5)
    assert torch.allclose(z[:, :2].std(0), torch.ones(2), atol=1e-4)
    assert torch.all(z[:, 2] == 0)  # a constant dimension is centred
    model = GaussianEnsemble(2, 1, ensemble_size=2, hidden=8)
    xs, ys = np.random.default_rng(0).normal(3.0, 2.0, (40, 2)), np.ones((40, 1)) * 7
    fit_ensemble(model, xs, ys, EnsembleTrainConfig(steps=1, holdout_ratio=0.0))
    assert torch.allclose(model.in_norm.mean, torch.as_tensor(xs.mean(0)).float())
    assert model.out_norm.mean.item() == pytest.approx(7.0)


def constant_members(biases, probabilistic=True) -> GaussianEnsemble:
    """Members that predict a constant (normalised) mean ``biases[k]``."""
    model = GaussianEnsemble(1, 1, ensemble_size=len(biases), hidden=4, layers=1,
                             n_elites=2, probabilistic=probabilistic)
    with torch.no_grad():
        for w in model.weights:
            w.zero_()
        model.biases[-1][:, 0, 0] = torch.tensor(biases)
    return model


def test_elites_are_the_members_with_the_lowest_holdout_error():
    x = np.linspace(-1, 1, 200)[:, None]
    y = np.random.default_rng(0).normal(size=(200, 1))  # unrelated to x
    model = constant_members([2.0, 0.0, 3.0, 0.5])
    cfg = EnsembleTrainConfig(steps=1000, lr=1e-9, eval_every=10, patience=3,
                              holdout_ratio=0.25)
    res = fit_ensemble(model, x, y, cfg)
    assert res.elites == [1, 3] and model.elites.tolist() == [1, 3]
    assert res.steps == 30  # nothing improves: stops after `patience` checks
    assert np.argsort(res.best).tolist() == [1, 3, 0, 2]


def test_members_return_to_their_best_weights():
    """Train with a step size so large that training mostly makes things worse:
    each member ends at the weights of its best held-out check (or its start),
    and training stops early.  (Deterministic, so that the score does not
    depend on the log-variance bounds, which all members share and which keep
    their last values.)"""
    x = np.linspace(-1, 1, 200)[:, None]
    y = np.random.default_rng(1).normal(size=(200, 1))
    model = constant_members([0.0, 0.0, 0.0], probabilistic=False)
    cfg = EnsembleTrainConfig(steps=500, lr=1.0, eval_every=10, patience=3,
                              holdout_ratio=0.25)
    res = fit_ensemble(model, x, y, cfg, seed=0)
    assert res.steps < 500
    history = np.array(res.holdout)  # [checks, E]
    # no check beat a member's kept score by more than the 1% threshold
    assert np.all(np.array(res.best) * (1 - cfg.improvement) <= history.min(0) + 1e-6)
    assert history.max() > 1.5 * max(res.best)  # there was worse to avoid
    # the same split as fit_ensemble's: the model now scores its best
    hold = torch.randperm(200, generator=torch_generator(0))[:50]
    xt = torch.as_tensor(x, dtype=torch.float32)[hold]
    yt = torch.as_tensor(y, dtype=torch.float32)[hold]
    now = ens.holdout_score(model, model.in_norm.normalise(xt),
                          model.out_norm.normalise(yt))
    assert np.allclose(now.numpy(), res.best, rtol=1e-5)


def heteroscedastic(n=600, seed=0):
    """``y = x + noise``: std 0.05 for x < 0, 0.5 for x > 0."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (n, 1))
    std = np.where(x < 0, 0.05, 0.5)
    return x, x + std * rng.normal(size=x.shape)


def learned_std_ratio(beta=0.0) -> tuple[float, float]:
    """Fit on :func:`heteroscedastic` data; returns the ratio of predicted std
    at x = 0.5 to x = -0.5 (the truth: 10) and the mean's error at x = +-0.5."""
    x, y = heteroscedastic()
    model = GaussianEnsemble(1, 1, ensemble_size=3, hidden=32, seed=0)
    fit_ensemble(model, x, y, EnsembleTrainConfig(steps=1500, lr=3e-3, beta=beta),
                 seed=0)
    q = torch.tensor([[[-0.5]], [[0.5]]]).reshape(1, 2, 1).expand(3, 2, 1)
    with torch.no_grad():
        mean, var = model.predict(q)
    std = var.mean(0).sqrt()[:, 0]
    err = (mean.mean(0)[:, 0] - torch.tensor([-0.5, 0.5])).abs().max()
    return float(std[1] / std[0]), float(err)


def test_variance_and_mean_are_learned():
    ratio, err = learned_std_ratio()
    assert 5 < ratio < 20, ratio
    assert err < 0.1, err


def test_a_wrong_sign_nll_fails_the_behaviour_test(monkeypatch):
    """The check above would catch a broken loss: with the NLL's sign flipped
    the variance learns nothing of the noise."""
    def wrong(mean, logvar, target, beta=0.0):
        nll = -(((mean - target) ** 2 * torch.exp(-logvar) + logvar).mean((1, 2))
                .sum())
        return nll, nll
    monkeypatch.setattr(ens, "gaussian_nll", wrong)
    ratio, err = learned_std_ratio()
    assert not (5 < ratio < 20 and err < 0.1)


def test_deterministic_ensemble_learns_the_mean_by_squared_error():
    x, y = heteroscedastic()
    model = GaussianEnsemble(1, 1, ensemble_size=2, hidden=32, probabilistic=False)
    res = fit_ensemble(model, x, y, EnsembleTrainConfig(steps=800, lr=3e-3))
    with torch.no_grad():
        mean, var = model.predict(torch.tensor([[[-0.5]], [[0.5]]]).reshape(1, 2, 1)
                                  .expand(2, 2, 1))
    assert torch.all(var == 0)
    assert torch.allclose(mean.mean(0)[:, 0], torch.tensor([-0.5, 0.5]), atol=0.1)
    assert res.train_loss[-1] < res.train_loss[0]


def test_bad_input_is_refused():
    model = GaussianEnsemble(2, 1, ensemble_size=2)
    with pytest.raises(ValueError, match="maps 2 -> 1"):
        fit_ensemble(model, np.zeros((5, 3)), np.zeros((5, 1)))
    with pytest.raises(ValueError, match="holdout_ratio"):
        EnsembleTrainConfig(holdout_ratio=1.0)
    with pytest.raises(ValueError, match="patience"):
        EnsembleTrainConfig(patience=0)
