"""PETS (chapter 7, §7.2): ensemble, trajectory-sampling bookkeeping, behaviour."""

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.pets import (
    ParticleModelEnv,
    PETSConfig,
    assign_members,
    train,
)
from mbrl_lessons.analysis.modern import fans_by_data, pets_evaluate
from mbrl_lessons.envs.pendulum import pendulum_reward
from mbrl_lessons.models.ensemble import (
    EnsembleTrainConfig,
    GaussianEnsemble,
    fit_ensemble,
)
from mbrl_lessons.planning import PlannerConfig

E = 5


def constant_ensemble() -> GaussianEnsemble:
    """Member ``e`` predicts the state change ``+e`` on every dimension with
    (almost) no noise, so a particle's path tells which member moved it."""
    model = GaussianEnsemble(4, 3, E, hidden=8, layers=1)
    with torch.no_grad():
        for w in model.weights:
            w.zero_()
        last = model.biases[-1]
        last[:, 0, :3] = torch.arange(E, dtype=torch.float32)[:, None]
        last[:, 0, 3:] = -60.0
        model.min_logvar.fill_(-40.0)
    return model


def test_assign_members_is_balanced_and_seeded():
    m = assign_members(7, 10, E, torch.Generator().manual_seed(0))
    assert m.shape == (7, 10)
    assert (torch.stack([(m == e).sum(1) for e in range(E)]) == 2).all()
    again = assign_members(7, 10, E, torch.Generator().manual_seed(0))
    assert torch.equal(m, again)
    with pytest.raises(ValueError, match="multiple"):
        assign_members(3, 7, E, torch.Generator())


def test_ts_inf_keeps_each_particle_on_one_member():
    env = ParticleModelEnv(constant_ensemble(), pendulum_reward, 10, "ts_inf", seed=1)
    out = env.rollout(torch.zeros(3), torch.zeros(6, 4, 1))
    assert out.obs.shape == (6, 10, 5, 3)
    assert out.rewards.shape == out.members.shape == (6, 10, 4)
    # the member is fixed along the horizon ...
    assert (out.members == out.members[..., :1]).all()
    # ... and really is the one that moved the particle (after sort/unsort)
    steps = out.obs.diff(dim=2)[..., 0]
    assert torch.allclose(steps, out.members.float(), atol=1e-3)
    # particles of one candidate are spread over members, not all on one
    assert (out.members[:, :, 0].float().std(1) > 0).all()


def test_ts1_redraws_members_and_mean_averages():
    env = ParticleModelEnv(constant_ensemble(), pendulum_reward, 5, "ts1", seed=2)
    out = env.rollout(torch.zeros(3), torch.zeros(20, 6, 1))
    steps = out.obs.diff(dim=2)[..., 0]
    assert torch.allclose(steps, out.members.float(), atol=1e-3)
    assert (out.members != out.members[..., :1]).any()
    mean_env = ParticleModelEnv(constant_ensemble(), pendulum_reward, 5, "mean")
    out = mean_env.rollout(torch.zeros(3), torch.zeros(4, 3, 1))
    assert out.obs.shape == (4, 1, 4, 3)
    assert torch.allclose(out.obs.diff(dim=2), torch.full((4, 1, 3, 3), 2.0))
    assert mean_env.returns(torch.zeros(3), torch.zeros(4, 3, 1)).shape == (4,)


def test_bad_inputs_are_refused():
    model = GaussianEnsemble(4, 3, E)
    with pytest.raises(ValueError, match="propagation"):
        ParticleModelEnv(model, pendulum_reward, 5, "moment_matching")
    with pytest.raises(ValueError, match="multiple"):
        ParticleModelEnv(model, pendulum_reward, 7, "ts_inf")
    with pytest.raises(ValueError, match=r"actions must be \[N, H, A\]"):
        ParticleModelEnv(model, pendulum_reward).rollout(torch.zeros(3),
                                                         torch.zeros(4, 1))
    with pytest.raises(ValueError, match="x must be"):
        model(torch.zeros(3, 2, 4))
    with pytest.raises(ValueError, match="maps 4 -> 3"):
        fit_ensemble(model, np.zeros((10, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match="propagation"):
        PETSConfig(propagation="ts2")


def test_ensemble_disagrees_far_from_data_on_a_linear_system():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(300, 1))
    y = 2 * x - 1 + 0.05 * rng.normal(size=x.shape)
    model = GaussianEnsemble(1, 1, E, hidden=32, seed=0)
    fit = fit_ensemble(model, x, y, EnsembleTrainConfig(steps=600), seed=0)
    losses = fit.train_loss
    assert losses[-1] < losses[0]
    with torch.no_grad():
        mean, var = model.predict(torch.tensor([[[0.0], [4.0]]]).expand(E, 2, 1))
    epistemic = mean.var(0)[:, 0]
    assert abs(mean.mean(0)[0, 0] + 1) < 0.1       # fits the data near x = 0
    assert epistemic[1] > 10 * epistemic[0]          # and disagrees far from it
    assert var.mean(0)[0, 0].sqrt() < 0.2            # aleatoric noise near 0.05


TINY = PETSConfig(n_episodes=2, hidden=32,
                  planner=PlannerConfig(horizon=15, n_candidates=50, n_iterations=2,
                                        n_elites=5),
                  train=EnsembleTrainConfig(steps=300))


def test_pets_learns_and_a_zero_trained_model_does_not():
    res = train("Pendulum-v1", TINY)
    assert res.returns.shape == (2,)
    assert res.data[0].shape == (400, 3) and res.data[1].shape == (400, 1)
    broken = train("Pendulum-v1", replace(TINY, train=replace(TINY.train, steps=0)))
    # same random first episode, then the learned model swings up and holds
    assert res.returns[0] == broken.returns[0]
    assert res.returns[1] > -300
    assert res.returns[1] > broken.returns[1] + 300
    fans = fans_by_data(res, TINY, [1], horizon=10, n_particles=5,
                        train_cfg=EnsembleTrainConfig(steps=20))
    assert fans.angles.shape == (1, 5, 11) and fans.true_angles.shape == (11,)
    # planning from fresh starts with the trained ensemble (no more data) also
    # swings up; the untrained one does not; same seeds, same returns
    env = gym.make("Pendulum-v1")
    good = pets_evaluate(env, res.model, TINY, pendulum_reward, [11, 12])
    bad = pets_evaluate(env, broken.model, TINY, pendulum_reward, [11, 12])
    print(good, bad)
    assert good == pets_evaluate(env, res.model, TINY, pendulum_reward, [11, 12])
    assert min(good) > -300 and min(good) > max(bad) + 300
    with pytest.raises(ValueError, match="start seed"):
        pets_evaluate(env, res.model, TINY, pendulum_reward, [])


def test_same_seed_same_plan_scores():
    model = GaussianEnsemble(4, 3, E, seed=3)
    acts = torch.rand(8, 5, 1)
    a = ParticleModelEnv(model, pendulum_reward, 5, "ts1", seed=4).returns(
        torch.ones(3), acts)
    b = ParticleModelEnv(model, pendulum_reward, 5, "ts1", seed=4).returns(
        torch.ones(3), acts)
    assert torch.equal(a, b)
