"""The MLP dynamics model and the batched ModelEnv."""

import numpy as np
import pytest
import torch

from mbrl_lessons.models import MLPDynamics, ModelEnv, TrainConfig, fit_model


def test_mlp_fits_a_linear_system():
    rng = np.random.default_rng(0)
    A = np.array([[0.9, 0.1], [-0.2, 0.95]])
    B = np.array([[0.0], [0.5]])
    obs = rng.normal(size=(2000, 2))
    act = rng.uniform(-1, 1, size=(2000, 1))
    nxt = obs @ A.T + act @ B.T
    model = MLPDynamics(2, 1, hidden=64, seed=0)
    res = fit_model(model, obs, act, nxt, TrainConfig(max_epochs=60), seed=0)
    test_obs = rng.normal(size=(200, 2))
    test_act = rng.uniform(-1, 1, size=(200, 1))
    with torch.no_grad():
        pred = model.predict(torch.tensor(test_obs, dtype=torch.float32),
                             torch.tensor(test_act, dtype=torch.float32)).numpy()
    truth = test_obs @ A.T + test_act @ B.T
    assert np.abs(pred - truth).mean() < 0.02
    assert res.val_losses[-1] < res.val_losses[0]


def test_model_env_rollout_shapes_match_a_step_loop():
    model = MLPDynamics(3, 1, hidden=16, seed=1)
    # (obs, act, next_obs): the reward of a step may read where it lands
    reward = lambda o, a, o2: -(o2 ** 2).sum(-1) - (a ** 2).sum(-1) + o[:, 0]  # noqa: E731
    menv = ModelEnv(model, reward)
    acts = torch.randn(4, 6, 1, generator=torch.Generator().manual_seed(0))
    obs0 = torch.tensor([1.0, 0.0, 0.5])
    with torch.no_grad():
        traj, rew = menv.rollout(obs0, acts)
        assert traj.shape == (4, 7, 3) and rew.shape == (4, 6)
        o = obs0.expand(4, 3)
        for t in range(6):
            o2 = model.predict(o, acts[:, t])
            assert torch.allclose(rew[:, t], reward(o, acts[:, t], o2))
            o = o2
            assert torch.allclose(traj[:, t + 1], o)
        assert torch.allclose(menv.returns(obs0, acts), rew.sum(1), atol=1e-5)
    with pytest.raises(ValueError, match=r"\[B, H, A\]"):
        menv.rollout(obs0, acts[0])
    with pytest.raises(ValueError, match=r"\[B, H, A\]"):
        menv.returns(obs0, acts[0])


def test_bad_inputs_are_refused():
    model = MLPDynamics(3, 1, hidden=8)
    with pytest.raises(ValueError, match="expected obs"):
        model.predict(torch.zeros(2, 4), torch.zeros(2, 1))
    with pytest.raises(ValueError, match="at least 10"):
        fit_model(model, np.zeros((3, 3)), np.zeros((3, 1)), np.zeros((3, 3)))


def test_mixture_sample_with_a_generator_matches_the_global_seed_draw():
    """MixtureMLP.sample replaces a global torch.manual_seed in chapter 5: it
    draws exactly what MixtureSameFamily.sample drew under that seed."""
    from mbrl_lessons.models.probabilistic import MixtureMLP

    model = MixtureMLP(1, 3, seed=0)
    x = torch.linspace(-1, 1, 50)[:, None]
    got = model.sample(x, torch.Generator().manual_seed(7))
    with torch.random.fork_rng():
        torch.manual_seed(7)
        want = model.distribution(x).sample()
    torch.testing.assert_close(got, want)
    assert not torch.equal(got, model.sample(x, torch.Generator().manual_seed(8)))
