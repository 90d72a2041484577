"""Dreamer-style learning in imagination (§7.4): λ-returns by hand, gradients
through the model, shapes and errors, a smoke run, and a broken variant."""

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms.dreamer import (
    DreamerConfig,
    TanhGaussianActor,
    imagination_losses,
    imagine,
    lambda_returns,
    train,
)
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import MLPDynamics, TrueModel

REW = torch.tensor([[1.0, 2.0]])
VAL = torch.tensor([[0.5, 1.0, 3.0]])


def test_lambda_returns_by_hand():
    # V_1 = 2 + 0.9 (0.5·3 + 0.5·3) = 4.7;  V_0 = 1 + 0.9 (0.5·1 + 0.5·4.7) = 3.565
    got = lambda_returns(REW, VAL, gamma=0.9, lam=0.5)
    assert torch.allclose(got, torch.tensor([[3.565, 4.7]]))


def test_lambda_zero_is_one_step_td_target():
    got = lambda_returns(REW, VAL, gamma=0.9, lam=0.0)
    assert torch.allclose(got, REW + 0.9 * VAL[:, 1:])  # r_t + γ v(s_{t+1})


def test_lambda_one_is_monte_carlo_with_bootstrap_at_the_end():
    got = lambda_returns(REW, VAL, gamma=0.9, lam=1.0)
    # V_0 = 1 + 0.9·2 + 0.81·3, V_1 = 2 + 0.9·3: v(s_1) is never used
    assert torch.allclose(got, torch.tensor([[5.23, 4.7]]))


def test_lambda_returns_rejects_bad_shapes():
    with pytest.raises(ValueError, match="values"):
        lambda_returns(REW, VAL[:, :2], 0.9, 0.5)
    with pytest.raises(ValueError, match="lam"):
        lambda_returns(REW, VAL, 0.9, 1.5)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="horizon"):
        DreamerConfig(horizon=0)
    with pytest.raises(ValueError, match="lam"):
        DreamerConfig(lam=-0.1)


def _nets(seed=0):
    actor = TanhGaussianActor(3, 1, 2.0, hidden=32, seed=seed)
    critic = mlp(3, 1, 32, 2, seed=seed + 1)
    target = copy.deepcopy(critic).requires_grad_(False)
    return actor, critic, target


def test_shapes_and_action_bounds():
    actor, critic, target = _nets()
    gen = torch_generator(0)
    starts = torch.randn(7, 3)
    im = imagine(TrueModel(pendulum_step), actor, starts, 4, pendulum_reward, gen)
    assert im.obs.shape == (7, 5, 3) and im.act.shape == (7, 4, 1)
    assert im.rew.shape == (7, 4) and im.entropy.shape == (7, 4)
    assert im.act.abs().max() <= 2.0
    cfg = DreamerConfig(horizon=4)
    losses = imagination_losses(TrueModel(pendulum_step), actor, critic, target,
                                starts, cfg, gen)
    assert losses.returns.shape == (7, 4)
    assert losses.actor.ndim == 0 and losses.critic.ndim == 0
    with pytest.raises(ValueError, match="starts"):
        imagine(TrueModel(pendulum_step), actor, starts[0], 4, pendulum_reward, gen)


def test_actor_gradient_flows_through_the_model():
    """The reward reads only the state, and there is no critic: the actor's
    gradient can only come back through the learned dynamics model."""
    model = MLPDynamics(3, 1, hidden=32, seed=0).requires_grad_(False)
    actor = TanhGaussianActor(3, 1, 2.0, hidden=32, seed=0)
    cfg = DreamerConfig(horizon=3, use_critic=False, entropy_coef=0.0)

    def state_reward(obs, act, next_obs):
        return -obs.square().sum(-1)

    starts = torch.randn(16, 3, generator=torch_generator(1))
    loss = imagination_losses(model, actor, None, None, starts, cfg,
                              torch_generator(0), reward_fn=state_reward).actor
    loss.backward()
    grad = sum(p.grad.abs().sum() for p in actor.parameters())
    assert grad > 1e-4
    assert all(p.grad is None for p in model.parameters())  # the model is not trained

    class Detached:  # the same model with its action input cut off the graph
        def predict(self, obs, act):
            return model.predict(obs, act.detach())

    actor.zero_grad()
    imagination_losses(Detached(), actor, None, None, starts, cfg, torch_generator(0),
                       reward_fn=state_reward).actor.backward()
    assert sum(p.grad.abs().sum() for p in actor.parameters()) < 1e-8


def _near_upright(n, gen):
    th = 0.8 * torch.rand(n, generator=gen) - 0.4
    return torch.stack([th.cos(), th.sin(), torch.randn(n, generator=gen)], -1)


def _balance_after_training(sign: float, updates=60, seed=0) -> float:
    """Actor-critic in imagination with the TRUE pendulum as the model, from
    states near upright; ``sign=-1`` flips the actor's gradient.  Returns the
    mean 50-step return of the trained actor's mean action from fresh
    near-upright states (the true model matches gymnasium step for step)."""
    actor, critic, target = _nets(seed)
    cfg = DreamerConfig(horizon=10, entropy_coef=0.0)
    opt_a = torch.optim.Adam(actor.parameters(), lr=3e-3)
    opt_c = torch.optim.Adam(critic.parameters(), lr=3e-3)
    gen, true = torch_generator(seed), TrueModel(pendulum_step)
    for _ in range(updates):
        losses = imagination_losses(true, actor, critic, target, _near_upright(64, gen),
                                    cfg, gen)
        opt_a.zero_grad()
        (sign * losses.actor).backward()
        opt_a.step()
        opt_c.zero_grad()
        losses.critic.backward()
        opt_c.step()
        with torch.no_grad():
            for p, q in zip(target.parameters(), critic.parameters(), strict=True):
                p.lerp_(q, 0.05)
    obs, total = _near_upright(32, torch_generator(seed + 99)), 0.0
    with torch.no_grad():
        for _ in range(50):
            act = actor.mode(obs)
            total = total + pendulum_reward(obs, act)
            obs = pendulum_step(obs, act)
    return float(total.mean())


def test_flipped_actor_gradient_does_much_worse():
    torch.set_num_threads(1)
    good, flipped = _balance_after_training(1.0), _balance_after_training(-1.0)
    assert flipped < good - 150, (good, flipped)


def test_train_smoke_and_determinism():
    torch.set_num_threads(1)
    tiny = DreamerConfig(n_episodes=2, horizon=3, updates_per_episode=3, batch=16,
                         model_updates=5, hidden=16, model_hidden=16, n_eval=1)
    a, b = (train("Pendulum-v1", replace(tiny, seed=3)) for _ in range(2))
    assert a.returns.shape == (2,) and a.steps.tolist() == [200, 400]
    assert np.array_equal(a.returns, b.returns) and a.final_return == b.final_return
    no_critic = train("Pendulum-v1", replace(tiny, seed=3, use_critic=False))
    assert no_critic.critic is None and a.critic is not None
