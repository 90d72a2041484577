"""Smoke runs of every scheme with tiny settings (each well under 30 s), plus
the v2.0 loss pointing the right way."""

import time

import pytest
import torch

from mbrl_lessons.algorithms import (
    SchemeConfig,
    model_return_loss,
    random_policy,
    v0_5,
    v1_0,
    v1_5_mpc,
    v2_0_backprop,
)
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.envs.pendulum import pendulum_step
from mbrl_lessons.models import TrainConfig, TrueModel
from mbrl_lessons.planning import PlannerConfig

TINY = SchemeConfig(
    n_episodes=2, train=TrainConfig(max_epochs=5),
    planner=PlannerConfig(horizon=5, n_candidates=20, n_iterations=2, n_elites=5),
    open_loop_planner=PlannerConfig(horizon=200, n_candidates=20, n_iterations=2,
                                    n_elites=5),
    policy_steps=3, policy_horizon=5, hidden=32)


@pytest.mark.parametrize("scheme", [random_policy, v0_5, v1_0, v1_5_mpc,
                                    v2_0_backprop])
def test_scheme_smoke(scheme):
    torch.set_num_threads(1)
    t0 = time.time()
    res = scheme("Pendulum-v1", TINY)
    assert len(res.returns) == 2 and res.returns.max() <= 0
    assert time.time() - t0 < 30


def test_v2_loss_gradient_improves_the_policy_in_the_true_model():
    """Gradient steps on the loss must raise the predicted return (a sign error
    in the loss would lower it)."""
    torch.manual_seed(0)
    policy = mlp(3, 1, hidden=32, seed=0)
    model = TrueModel(pendulum_step)
    starts = torch.tensor([[1.0, 0.0, 0.0]]).repeat(64, 1)
    starts[:, 2] = torch.linspace(-1, 1, 64)
    opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
    before = model_return_loss(policy, model, starts, 10).item()
    for _ in range(30):
        loss = model_return_loss(policy, model, starts, 10)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model_return_loss(policy, model, starts, 10).item() < before
