"""§5.3's exploration experiment: the deep chain, the bootstrapped table
ensemble and the explorer (mbrl_lessons.analysis.exploration)."""

import numpy as np
import pytest

from mbrl_lessons.analysis.exploration import (
    BootstrapTableEnsemble,
    DeepChain,
    explore_chain,
    make_ensemble,
)


def test_chain_moves_costs_and_treasure():
    env = DeepChain(5, np.random.default_rng(0), slip=0.0, cost=0.05)
    rng = np.random.default_rng(1)
    right = env.right_action
    s2, r, done = env.step(2, int(right[2]), rng)
    assert (s2, done) == (3, False) and r == pytest.approx(-0.05 / 5)
    s2, r, done = env.step(2, 1 - int(right[2]), rng)
    assert (s2, r, done) == (1, 0.0, False)
    assert env.step(0, 1 - int(right[0]), rng) == (0, 0.0, False)
    s2, r, done = env.step(3, int(right[3]), rng)
    assert (s2, done) == (4, True) and r == pytest.approx(1 - 0.05 / 5)


def test_chain_slips_at_its_rate_and_layout_varies():
    env = DeepChain(4, np.random.default_rng(0), slip=0.3)
    rng = np.random.default_rng(2)
    stays = np.mean([env.step(1, int(env.right_action[1]), rng)[0] == 1
                     for _ in range(4000)])
    assert stays == pytest.approx(0.3, abs=0.03)
    layouts = {tuple(DeepChain(12, np.random.default_rng(s)).right_action)
               for s in range(5)}
    assert len(layouts) > 1


def test_chain_rejects_bad_input():
    with pytest.raises(ValueError, match="n >= 2"):
        DeepChain(1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="slip"):
        DeepChain(4, np.random.default_rng(0), slip=1.0)
    env = DeepChain(4, np.random.default_rng(0))
    with pytest.raises(ValueError, match="treasure"):
        env.step(3, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="action"):
        env.step(0, 2, np.random.default_rng(0))


def test_ensemble_spread_matches_its_formula():
    ens = make_ensemble(6, 2, seed=0, n_members=4)
    p = ens.predictions()
    assert p.shape == (4, 6, 2, 6) and np.allclose(p.sum(axis=3), 1)
    manual = ((p - p.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0)
    assert np.allclose(ens.disagreement(), manual)
    ens.update(1, 0, 3)
    p = ens.predictions()
    manual = ((p - p.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0)
    assert np.allclose(ens.disagreement(), manual)
    # every member starts from a one-hot prior: the spread of an untried pair is
    # 1 - sum_j pbar_j^2, at most 1 - 1/E
    assert (ens.disagreement()[2:] <= 1 - 1 / 4 + 1e-12).all()


def test_members_get_their_own_bootstrap_weights():
    ens = make_ensemble(3, 1, seed=0, n_members=50)
    before = ens.weights[:, 0, 0, 1].copy()
    ens.update(0, 0, 1)
    added = ens.weights[:, 0, 0, 1] - before
    assert (added >= 0).all() and len(np.unique(added)) > 1
    assert added.mean() == pytest.approx(1.0, abs=0.4)


def test_spread_shrinks_with_data_and_stays_larger_where_outcomes_are_noisy():
    rng = np.random.default_rng(0)
    ens = make_ensemble(4, 2, seed=1, n_members=10)
    untried = ens.disagreement()[0, 0]
    for _ in range(200):
        ens.update(0, 0, 1)                       # a deterministic move
        ens.update(0, 1, int(rng.integers(1, 3)))  # a coin flip between 1 and 2
    d = ens.disagreement()
    assert untried > 0.5
    assert d[0, 0] < 1e-3
    # the bootstrap part of the spread is about (1 - sum q^2) / N = 0.5 / 200
    assert 0.2 * 0.5 / 200 < d[0, 1] < 3 * 0.5 / 200
    assert d[0, 1] > 3 * d[0, 0]


def test_identical_members_cannot_disagree():
    ens = make_ensemble(4, 2, seed=0, n_members=3)
    ens.weights[:] = ens.weights[0]
    for s in range(4):
        for a in range(2):
            ens._spread[s, a] = ens._pair_spread(s, a)
    assert np.allclose(ens.disagreement(), 0)


def test_ensemble_rejects_bad_input():
    with pytest.raises(ValueError, match="n_members"):
        BootstrapTableEnsemble(3, 2, np.random.default_rng(0), n_members=1)
    with pytest.raises(ValueError, match="prior_weight"):
        BootstrapTableEnsemble(3, 2, np.random.default_rng(0), prior_weight=0)


def test_disagreement_finds_the_treasure_where_dithering_does_not():
    kw = {"n": 10, "n_episodes": 20}
    bonus = [explore_chain(s, bonus="disagreement", **kw) for s in range(3)]
    dither = [explore_chain(s, bonus="none", epsilon=0.3, **kw) for s in range(3)]
    assert all(r["first_treasure_episode"] is not None for r in bonus)
    assert all(r["pairs_tried"] == 1.0 for r in bonus)
    assert all(r["first_treasure_episode"] is None for r in dither)


def test_a_zero_bonus_breaks_the_explorer():
    """The broken version: the same learner with beta = 0 plans for the model's
    reward alone, never pays the first step's cost twice and never leaves
    the left end."""
    kw = {"n": 8, "n_episodes": 15}
    broken = [explore_chain(s, bonus="disagreement", beta=0.0, **kw) for s in range(3)]
    assert all(r["first_treasure_episode"] is None and r["treasure_episodes"] == 0
               for r in broken)
    assert max(r["pairs_tried"] for r in broken) < 0.5


def test_equal_budgets_and_reproducible():
    a = explore_chain(3, n=6, bonus="count", n_episodes=10)
    assert a == explore_chain(3, n=6, bonus="count", n_episodes=10)
    assert a["sweeps"] == 6 * a["real_steps"]
    g = explore_chain(3, n=6, bonus="none", epsilon=0.1, n_episodes=10)
    assert g["real_steps"] <= 10 * 12 and g["sweeps"] == 6 * g["real_steps"]


def test_explorer_rejects_bad_input():
    with pytest.raises(ValueError, match="bonus"):
        explore_chain(0, bonus="curiosity")
    with pytest.raises(ValueError, match="epsilon"):
        explore_chain(0, epsilon=1.5)
    with pytest.raises(ValueError, match="beta"):
        explore_chain(0, beta=-1)
    with pytest.raises(ValueError, match="n_episodes"):
        explore_chain(0, n_episodes=0)


def test_continuous_chain_moves_and_pays():
    from mbrl_lessons.analysis.exploration import ContinuousChain

    env = ContinuousChain(noise=0.0)
    rng = np.random.default_rng(0)
    x, r, done = env.step(0.5, 1, rng)
    assert x == pytest.approx(0.6) and r == pytest.approx(-0.05) and not done
    assert env.step(0.05, 0, rng) == (0.0, 0.0, False)
    x, r, done = env.step(0.95, 1, rng)
    assert done and r == pytest.approx(1 - 0.05)
    with pytest.raises(ValueError, match="action"):
        env.step(0.0, 3, rng)


def test_neural_ensemble_disagrees_off_its_data_and_fits_it():
    import torch

    from mbrl_lessons.analysis.exploration import BatchedEnsemble

    model = BatchedEnsemble(5, seed=0)
    rng = np.random.default_rng(0)
    X = np.stack([rng.uniform(0, 0.3, 200), rng.integers(0, 2, 200)], 1)
    Y = np.stack([np.where(X[:, 1] == 1, 0.1, -0.1), np.zeros(200)], 1)
    W = rng.poisson(1.0, (200, 5))
    model.fit(X, Y, W, steps=300)
    with torch.no_grad():
        near = model.forward(torch.tensor([[0.15, 1.0]]).expand(5, -1, -1))
        far = model.forward(torch.tensor([[3.0, 1.0]]).expand(5, -1, -1))
    assert abs(float(near[:, 0, 0].mean()) - 0.1) < 0.03
    assert float(far[:, 0, 0].std()) > 3 * float(near[:, 0, 0].std())


def test_continuous_explorer_is_reproducible_and_the_bonus_matters():
    from mbrl_lessons.analysis.exploration import explore_continuous

    kw = {"n_episodes": 3, "horizon": 5, "n_candidates": 16, "fit_steps": 10}
    a = explore_continuous(0, **kw)
    assert a == explore_continuous(0, **kw)
    assert explore_continuous(0, bonus=False, **kw) != a
    with pytest.raises(ValueError, match="beta"):
        explore_continuous(0, beta=-1.0)
