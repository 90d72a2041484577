"""SAC (its loss pieces, learning a bandit) and MBPO (branched rollouts, mixed
batches, and that a broken model hurts) on tiny problems."""

import math
from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms import mbpo, sac
from mbrl_lessons.core.replay import ReplayBuffer
from mbrl_lessons.models.ensemble import GaussianEnsemble, fit_ensemble, gaussian_nll

torch.set_num_threads(1)


class Bandit(gym.Env):
    """One-step episodes, constant observation, reward ``-(a - 0.5)^2``."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(1, np.float32), {}

    def step(self, action):
        r = -float((np.asarray(action)[0] - 0.5) ** 2)
        return np.zeros(1, np.float32), r, True, False, {}


class Reach(gym.Env):
    """``x' = clip(x + 0.5 a, -2, 2)``, reward ``-x'^2``, 10 steps from
    ``x0 ~ U(-2, 2)``: steer to zero.  Random actions score about -15."""

    observation_space = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.t = self.np_random.uniform(-2, 2), 0
        return np.array([self.x], np.float32), {}

    def step(self, action):
        self.x = float(np.clip(self.x + 0.5 * float(np.asarray(action)[0]), -2, 2))
        self.t += 1
        return np.array([self.x], np.float32), -self.x**2, False, self.t >= 10, {}


# ---------------------------------------------------------------- SAC pieces
def test_squashed_log_prob_matches_numeric_change_of_variables():
    mean, log_std, scale = torch.tensor([[0.3]]), torch.tensor([[-0.2]]), 2.0
    u = torch.linspace(-3, 3, 13)[:, None]
    logp = sac.squashed_log_prob(u, mean.expand_as(u), log_std.expand_as(u),
                                 torch.tensor([scale]))
    # numeric: p_a(a) = p_u(u) / |da/du| with da/du by central differences
    un, eps, std = u[:, 0].double().numpy(), 1e-4, math.exp(-0.2)
    dadu = scale * (np.tanh(un + eps) - np.tanh(un - eps)) / (2 * eps)
    p_u = np.exp(-0.5 * ((un - 0.3) / std) ** 2) / (std * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(logp.double().numpy(), np.log(p_u / dadu), atol=1e-4)
    # and the density of a integrates to one over (-scale, scale)
    u_fine = torch.linspace(-8, 8, 20001)[:, None]
    a = scale * torch.tanh(u_fine[:, 0])
    dens = sac.squashed_log_prob(u_fine, mean.expand_as(u_fine),
                                 log_std.expand_as(u_fine), torch.tensor([scale])).exp()
    assert abs(float(torch.trapezoid(dens, a)) - 1.0) < 1e-3


def test_soft_q_target_by_hand():
    y = sac.soft_q_target(rew=torch.tensor([1.0, 1.0]),
                          terminated=torch.tensor([False, True]),
                          next_q1=torch.tensor([2.0, 3.0]),
                          next_q2=torch.tensor([1.5, 4.0]),
                          next_logp=torch.tensor([0.5, 0.5]), alpha=0.2, gamma=0.9)
    # 1 + 0.9 * (min(2, 1.5) - 0.2 * 0.5) = 2.26; the terminal one is just r
    torch.testing.assert_close(y, torch.tensor([2.26, 1.0]))


def test_actor_respects_asymmetric_bounds_and_shapes():
    actor = sac.SquashedGaussianActor(3, [0.0, -1.0], [4.0, 1.0], 16, 2, seed=0)
    a, logp = actor(torch.randn(50, 3) * 5, torch.Generator().manual_seed(0))
    assert a.shape == (50, 2) and logp.shape == (50,)
    assert (a[:, 0] >= 0).all() and (a[:, 0] <= 4).all() and (a[:, 1].abs() <= 1).all()


def test_sac_learns_a_bandit():
    cfg = sac.SACConfig(total_steps=250, start_steps=50, hidden=32, batch_size=32,
                        lr=3e-3, eval_every=250, eval_episodes=1, seed=3)
    res = sac.train(Bandit(), cfg, eval_env=Bandit())
    best = float(res.agent.act(np.zeros(1), deterministic=True)[0])
    assert abs(best - 0.5) < 0.15, best


def test_sac_same_seed_same_result():
    cfg = sac.SACConfig(total_steps=60, start_steps=20, hidden=8, batch_size=16,
                        eval_every=60, eval_episodes=1, seed=5)
    a, b = (sac.train(Bandit(), cfg, eval_env=Bandit()).agent for _ in range(2))
    for p, q in zip(a.actor.parameters(), b.actor.parameters(), strict=True):
        assert torch.equal(p, q)


def test_polyak_targets_move_by_tau():
    agent = sac.SACAgent(1, [-1.0], [1.0], sac.SACConfig(hidden=8, tau=0.25))
    before = [p.clone() for p in agent.q1_targ.parameters()]
    rng = np.random.default_rng(0)
    buf = ReplayBuffer(1, 1, 100)
    buf.add(rng.normal(size=(100, 1)), rng.uniform(-1, 1, (100, 1)),
            rng.normal(size=100), rng.normal(size=(100, 1)), np.zeros(100, bool))
    agent.update(buf.sample(32, rng))
    for b, t, q in zip(before, agent.q1_targ.parameters(), agent.q1.parameters(),
                       strict=True):
        torch.testing.assert_close(t, 0.75 * b + 0.25 * q)


def test_sac_rejects_bad_input():
    with pytest.raises(ValueError, match="batch_size"):
        sac.SACConfig(batch_size=0)
    with pytest.raises(ValueError, match="gamma"):
        sac.SACConfig(gamma=1.5)
    with pytest.raises(TypeError, match="Box action"):
        sac.train(gym.make("CartPole-v1"), sac.SACConfig(total_steps=10))


# -------------------------------------------------------------------- MBPO
def _filled_buffer(n=200, seed=0):
    rng = np.random.default_rng(seed)
    buf = ReplayBuffer(3, 1, n)
    obs = rng.normal(size=(n, 3)).astype(np.float32)
    act = rng.uniform(-1, 1, (n, 1)).astype(np.float32)
    buf.add(obs, act, -obs[:, 0] ** 2, obs + 0.1 * act, np.zeros(n, bool))
    return buf


def test_branched_rollout_shapes_and_start_states_come_from_the_buffer():
    buf = _filled_buffer()
    model = GaussianEnsemble(4, 4, 3, hidden=16, layers=2, seed=0)
    rng, gen = np.random.default_rng(1), torch.Generator().manual_seed(1)
    start = torch.as_tensor(buf.sample(40, rng).obs)
    roll = mbpo.branched_rollout(model, lambda o: torch.zeros(len(o), 1), start, 6, gen)
    assert roll.obs.shape == (6, 40, 3) and roll.act.shape == (6, 40, 1)
    assert roll.rew.shape == (6, 40) and roll.alive.all()
    torch.testing.assert_close(roll.obs[0], start)
    torch.testing.assert_close(roll.obs[1:], roll.next_obs[:-1])  # chained
    stored = torch.as_tensor(buf.all().obs)
    same_row = (roll.obs[0][:, None, :] == stored[None]).all(-1)
    assert same_row.any(1).all()  # every branch starts on a real buffer state
    assert len(roll.to_batch().obs) == 6 * 40
    # a termination stops the branch: later steps are not kept
    stop = mbpo.branched_rollout(model, lambda o: torch.zeros(len(o), 1), start, 4,
                                 gen, termination_fn=lambda o, a, n: torch.ones(
                                     len(o), dtype=bool))
    assert len(stop.to_batch().obs) == 40


def test_known_reward_replaces_the_learned_one():
    model = GaussianEnsemble(4, 3, 2, hidden=8, layers=1, seed=0)
    start = torch.randn(5, 3)
    roll = mbpo.branched_rollout(model, lambda o: torch.ones(len(o), 1), start, 2,
                                 torch.Generator().manual_seed(0),
                                 reward_fn=lambda o, a, o2: o[:, 0] + a[:, 0])
    torch.testing.assert_close(roll.rew[0], start[:, 0] + 1)


def test_mixed_batch_real_share():
    real, model = _filled_buffer(50), ReplayBuffer(3, 1, 100)
    rng = np.random.default_rng(0)
    assert len(mbpo.mixed_batch(real, model, 20, 0.1, rng).obs) == 20  # all real
    model.add(np.full((100, 3), 9.0), np.zeros((100, 1)), np.zeros(100),
              np.zeros((100, 3)), np.zeros(100, bool))
    batch = mbpo.mixed_batch(real, model, 200, 0.1, rng)
    assert len(batch.obs) == 200 and int((batch.obs[:, 0] != 9.0).sum()) == 20


def test_mbpo_fit_learns_a_linear_system_and_rollouts_use_only_elites():
    buf = _filled_buffer(500)
    model = GaussianEnsemble(4, 4, 4, hidden=32, layers=2, n_elites=2, seed=0)
    x, y = mbpo.model_data(buf.all(), True)
    assert x.shape == (500, 4) and y.shape == (500, 4)  # (s, a) -> (s' - s, r)
    np.testing.assert_allclose(y[:, 3], buf.all().rew)
    fit = fit_ensemble(model, x, y, replace(mbpo.MBPO_MODEL_TRAIN, lr=1e-2), seed=0)
    assert fit.holdout and len(fit.elites) == 2  # held out a fifth, ranked members
    assert sorted(fit.best)[:2] == sorted(fit.best[e] for e in fit.elites)
    with torch.no_grad():
        mean, _ = model.predict(torch.as_tensor(x).expand(4, -1, -1))
    err = (mean[model.elites] - torch.as_tensor(y)).abs().mean()
    assert float(err) < 0.1 * float(np.abs(y).mean())
    # rollouts draw their members from the elites only, all of them
    drawn = model.random_elites(2000, torch.Generator().manual_seed(0))
    assert set(drawn.tolist()) == set(fit.elites)
    # ... which decides the prediction: a non-elite member made absurd is
    # never used by a rollout
    outcast = next(e for e in range(4) if e not in fit.elites)
    with torch.no_grad():
        model.biases[-1][outcast] += 1e3
    roll = mbpo.branched_rollout(model, lambda o: torch.zeros(len(o), 1),
                                 torch.zeros(200, 3), 3,
                                 torch.Generator().manual_seed(0))
    assert roll.next_obs.abs().max() < 10


def test_ensemble_gaussian_nll_and_its_beta_weighting():
    gen = torch.Generator().manual_seed(0)
    mean = torch.randn(3, 8, 2, generator=gen, requires_grad=True)
    logvar = torch.randn(3, 8, 2, generator=gen, requires_grad=True)
    target = torch.randn(3, 8, 2, generator=gen)
    by_hand = ((mean - target) ** 2 / logvar.exp() + logvar).mean((1, 2)).sum()
    objective, nll = gaussian_nll(mean, logvar, target, beta=0.0)
    assert objective is nll and torch.allclose(nll, by_hand)
    objective, nll = gaussian_nll(mean, logvar, target, beta=1.0)
    assert torch.allclose(nll, by_hand)
    # beta = 1: the weight sigma^2 cancels the 1/sigma^2 in the mean's gradient,
    # which becomes that of the squared error
    (g_mean,) = torch.autograd.grad(objective, mean)
    assert torch.allclose(g_mean, 2 * (mean - target).detach() / 16)
    with pytest.raises(ValueError, match="beta"):
        gaussian_nll(mean, logvar, target, beta=2.0)


def test_mbpo_rejects_bad_config():
    with pytest.raises(ValueError, match="real_ratio"):
        mbpo.MBPOConfig(real_ratio=1.5)
    with pytest.raises(ValueError, match="multiple"):
        mbpo.MBPOConfig(model_train_every=300)
    with pytest.raises(ValueError, match="n_elites"):
        mbpo.MBPOConfig(ensemble_size=3, n_elites=4)
    with pytest.raises(ValueError, match="rollout length"):
        mbpo.branched_rollout(GaussianEnsemble(2, 1), lambda o: o, torch.ones(
            2, 1), 0, torch.Generator())


def _tiny_mbpo(model_train_steps: int, seed: int) -> float:
    cfg = mbpo.MBPOConfig(
        total_steps=300, rollout_length=3, updates_per_step=2, real_ratio=0.05,
        model_train_every=100, ensemble_size=3, n_elites=2,
        train=replace(mbpo.MBPO_MODEL_TRAIN, steps=model_train_steps),
        model_hidden=32, model_layers=2, rollout_every=10,
        rollout_batch=50, model_retain=200, eval_every=300, eval_episodes=10,
        seed=seed, sac=sac.SACConfig(start_steps=100, hidden=32, batch_size=64,
                                     lr=3e-3))
    return mbpo.train(Reach(), cfg, eval_env=Reach()).eval_returns[-1]


def test_mbpo_with_an_untrained_model_does_worse():
    good = _tiny_mbpo(model_train_steps=200, seed=0)
    broken = _tiny_mbpo(model_train_steps=0, seed=0)  # rollouts from random weights
    assert good > -1.5, good  # steering straight to zero scores about -1
    assert good > broken + 1.0, (good, broken)
