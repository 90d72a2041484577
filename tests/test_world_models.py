"""World Models (chapter 7.1): M's temperature, C's search, and a broken M."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.world_models import (
    MDN,
    MixtureParams,
    TruePendulumDream,
    WorldModelsConfig,
    cma_in_dream,
    collect,
    controller_act,
    fit_mdn,
    mdn_sample,
    n_controller_params,
    reset_states,
    train,
)
from mbrl_lessons.core.seeding import torch_generator

torch.set_num_threads(1)

# a balancing task: short episodes from near upright, small enough for a test
TINY = WorldModelsConfig(n_random_episodes=10, episode_len=60, max_angle=0.5,
                         mdn_steps=300, generations=10, popsize=10, dream_starts=8,
                         eval_every=5, n_eval=32)


def _two_bumps(batch: int) -> MixtureParams:
    """Component 0 (weight e^1 / (e^1 + 1)) at -1, component 1 at +1, std 0.5."""
    logits = torch.tensor([[1.0, 0.0]]).expand(batch, 2)
    mean = torch.tensor([[[-1.0, 0.0], [1.0, 0.0]]]).expand(batch, 2, 2)
    return MixtureParams(logits, mean, torch.full((batch, 2, 2), np.log(0.5)))


def test_mdn_sample_shapes_and_tau_zero_is_the_mode():
    p = _two_bumps(7)
    x = mdn_sample(p, 1.0, torch_generator(0))
    assert x.shape == (7, 2)
    assert torch.equal(mdn_sample(p, 0.0, torch_generator(0)),
                       torch.tensor([[-1.0, 0.0]]).expand(7, 2))
    model = MDN(code_dim=3, n_mixtures=4, hidden=16)
    params = model(torch.zeros(5, 3), torch.zeros(5, 1))
    assert params.logits.shape == (5, 4) and params.mean.shape == (5, 4, 3)
    z_next = model.sample_next(torch.zeros(5, 3), torch.ones(5, 1), 1.0,
                               torch_generator(0))
    assert z_next.shape == (5, 3)


def test_temperature_widens_the_samples():
    p = _two_bumps(20_000)
    stds = [mdn_sample(p, tau, torch_generator(1)).std(0) for tau in (0.1, 1.0, 1.5)]
    # the within-component spread (dimension 1) grows as sqrt(tau) ...
    np.testing.assert_allclose([s[1].item() for s in stds],
                               [0.5 * np.sqrt(t) for t in (0.1, 1.0, 1.5)], rtol=0.05)
    # ... and the mixture (dimension 0) spreads too: low tau nearly always
    # picks the heavier component, high tau flattens the weights
    assert stds[0][0] < stds[1][0] < stds[2][0]
    frac_minor = [(mdn_sample(p, tau, torch_generator(2))[:, 0] > 0).float().mean()
                  for tau in (0.1, 1.0, 1.5)]
    assert frac_minor[0] < 0.01 and 0.22 < frac_minor[1] < 0.31 < frac_minor[2]


def test_bad_inputs_are_refused():
    p = _two_bumps(3)
    with pytest.raises(ValueError, match="tau"):
        mdn_sample(p, -0.5, torch_generator(0))
    with pytest.raises(ValueError, match="theta"):
        controller_act(torch.zeros(2, 5), torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="z must be"):
        controller_act(torch.zeros(2, n_controller_params()), torch.zeros(3, 4, 3))
    with pytest.raises(ValueError, match="act"):
        MDN()(torch.zeros(4, 3), torch.zeros(4, 2))
    with pytest.raises(ValueError, match="next_obs"):
        fit_mdn(torch.zeros(10, 3), torch.zeros(10, 1), torch.zeros(9, 3))
    with pytest.raises(ValueError, match="n_rounds"):
        WorldModelsConfig(n_rounds=0)
    with pytest.raises(ValueError, match="Pendulum-v1"):
        train("MountainCarContinuous-v0", TINY)


def test_mdn_fit_learns_the_pendulum():
    gen = torch_generator(0)
    obs, act, nxt = collect(None, 10, TINY, gen)
    model, losses = fit_mdn(obs, act, nxt, hidden=32, n_steps=300, progress=False)
    assert losses[-20:].mean() < losses[:20].mean() - 1.0
    pred = model.sample_next(obs[:200], act[:200], 0.0, gen)
    copy_err = (nxt[:200] - obs[:200]).square().mean()
    assert (pred - nxt[:200]).square().mean() < 0.2 * copy_err


def test_cma_in_a_known_model_improves_the_return():
    pool = reset_states(100, torch_generator(3), max_angle=0.5)
    _, trace = cma_in_dream(TruePendulumDream(), pool, TINY, progress=False)
    assert trace.real[-1] > trace.real[0] + 50
    assert trace.dream[-1] > trace.dream[0] + 50
    # a perfect model has no dream-minus-real gap: both scores start from the
    # same states (once they did not, and the gap mixed in the start sample)
    np.testing.assert_allclose(trace.dream, trace.real, rtol=1e-5)


def test_broken_model_gives_a_worse_controller_and_same_seed_same_result():
    good = train("Pendulum-v1", TINY)
    again = train("Pendulum-v1", TINY)
    np.testing.assert_array_equal(good.theta, again.theta)
    broken = train("Pendulum-v1", replace(TINY, shuffle_actions=True))
    # with shuffled actions M thinks the torque does nothing: C learns nothing
    # useful in the dream, and the real pendulum falls
    assert good.real_return > broken.real_return + 50
