"""CEM and random shooting: a hand-checkable update, bounds, and the true-model
MPC swing-up that separates planner bugs from model bugs."""

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import ModelEnv, TrueModel
from mbrl_lessons.planning import (
    CEMPlanner,
    GradientPlanner,
    GradientPlannerConfig,
    MPCAgent,
    PlannerConfig,
    RandomShootingPlanner,
    cem_update,
    gradient_step,
    run_episode,
)
from mbrl_lessons.planning.gradient import squash, unsquash


def test_one_cem_update_by_hand():
    samples = torch.tensor([[[0.0]], [[1.0]], [[2.0]], [[3.0]]])
    returns = torch.tensor([0.0, 1.0, 3.0, 2.0])
    mean, std = cem_update(samples, returns, 2, torch.zeros(1, 1), torch.ones(1, 1))
    assert mean.item() == 2.5 and std.item() == 0.5  # elites {2, 3}
    mean, _ = cem_update(samples, returns, 2, torch.zeros(1, 1), torch.ones(1, 1),
                         alpha=0.5)
    assert mean.item() == 1.25  # smoothed half-way from the old mean 0


def test_cem_iterations_find_the_optimum_of_a_quadratic():
    """Broken elite selection (bottom instead of top) would walk away from 3."""
    gen = torch.Generator().manual_seed(0)
    mean, std = torch.zeros(4, 2), torch.full((4, 2), 2.0)
    for _ in range(20):
        x = mean + std * torch.randn((200, 4, 2), generator=gen)
        returns = -((x - 3.0) ** 2).sum((1, 2))
        mean, std = cem_update(x, returns, 20, mean, std)
    assert torch.allclose(mean, torch.full((4, 2), 3.0), atol=0.05)


class _Quadratic:
    """A 'model' whose reward is -(a - 1.5)^2: the best plan is constant 1.5."""

    def predict(self, obs, act):
        return obs


def test_planners_respect_bounds_and_find_the_best_constant_plan():
    menv = ModelEnv(_Quadratic(), lambda obs, act, nxt: -((act[..., 0] - 1.5) ** 2))
    cfg = PlannerConfig(horizon=5, n_candidates=200, n_iterations=5, n_elites=20)
    cem = CEMPlanner(menv, -1.0, 2.0, cfg, seed=0).plan(np.zeros(2, np.float32))
    rs = RandomShootingPlanner(menv, -1.0, 2.0, cfg, seed=0).plan(np.zeros(2))
    for plan in (cem, rs):
        assert plan.shape == (5, 1) and (plan >= -1).all() and (plan <= 2).all()
    assert np.abs(cem - 1.5).max() < 0.1


def test_mpc_with_the_true_pendulum_swings_up():
    torch.set_num_threads(1)
    menv = ModelEnv(TrueModel(pendulum_step), pendulum_reward)
    agent = MPCAgent(CEMPlanner(menv, -2.0, 2.0, PlannerConfig(
        horizon=30, n_candidates=200, n_iterations=4, n_elites=20), seed=0))
    ret, obs, _ = run_episode(gym.make("Pendulum-v1"), agent.act, seed=0)
    assert ret >= -200
    assert obs[-20:, 0].min() > 0.95  # upright (cos th ~ 1) at the end


# ------------------------------------------------------------ gradient shooting
class _Linear:
    """s' = 0.9 s + 0.5 a (1-D): the plan gradient has a closed form."""

    def predict(self, obs, act):
        return 0.9 * obs + 0.5 * act


def _linear_env(rho=0.1):
    return ModelEnv(_Linear(), lambda obs, act, nxt: -(obs[..., 0] ** 2
                                                       + rho * act[..., 0] ** 2))


def _adjoint_gradient(actions, s0, alpha=0.9, beta=0.5, rho=0.1):
    """dJ/da_t by the backward recursion of the ch06_plan_gradient exercise."""
    s = [s0]
    for a in actions:
        s.append(alpha * s[-1] + beta * a)
    grad, lam = np.empty(len(actions)), 0.0
    for t in range(len(actions) - 1, -1, -1):
        grad[t] = -2 * rho * actions[t] + beta * lam
        lam = -2 * s[t] + alpha * lam
    return grad


def test_squash_keeps_actions_in_bounds_and_inverts():
    low, high = torch.tensor([-2.0]), torch.tensor([1.0])
    z = torch.linspace(-20, 20, 41)[:, None]
    a = squash(z, low, high)
    assert (a >= low).all() and (a <= high).all()
    a_in = torch.tensor([[-1.5], [0.0], [0.7]])
    assert torch.allclose(squash(unsquash(a_in, low, high), low, high), a_in,
                          atol=1e-5)


def test_backprop_through_the_model_gives_the_adjoint_gradient():
    """The planner's gradient is the chain rule through every later state (a
    planner that detached the state between steps would get only each
    action's own reward term and fail)."""
    menv = _linear_env()
    actions = torch.tensor([[[0.3], [-0.8], [1.1], [0.2]]], requires_grad=True)
    menv.returns(torch.tensor([1.0]), actions).sum().backward()
    want = _adjoint_gradient(actions.detach()[0, :, 0].numpy().astype(float), 1.0)
    assert np.allclose(actions.grad[0, :, 0].numpy(), want, atol=1e-5)


def test_gradient_step_climbs_every_restart():
    menv = _linear_env()
    low, high = torch.tensor([-1.0]), torch.tensor([1.0])
    z = torch.randn((4, 6, 1), generator=torch.Generator().manual_seed(0))
    z.requires_grad_(True)
    opt = torch.optim.SGD([z], lr=0.05)
    first = gradient_step(z, opt, menv, torch.tensor([2.0]), low, high, 100.0)
    second = gradient_step(z, opt, menv, torch.tensor([2.0]), low, high, 100.0)
    assert (second > first).all()  # a sign error would make every return fall


def test_gradient_planner_finds_the_optimum_of_a_linear_quadratic_plan():
    """Unconstrained LQ optimum, computed in closed form (least squares), is
    inside the bounds; gradient shooting must reach its return."""
    H, s0, alpha, beta, rho = 8, 1.0, 0.9, 0.5, 0.1
    # J(a) = -(|M a + c|^2 + rho |a|^2) with s_t = c_t + (M a)_t, t < H
    M, c = np.zeros((H, H)), np.array([alpha ** t * s0 for t in range(H)])
    for t in range(1, H):
        for k in range(t):
            M[t, k] = alpha ** (t - 1 - k) * beta
    a_star = np.linalg.solve(M.T @ M + rho * np.eye(H), -M.T @ c)
    assert np.abs(a_star).max() < 1.5
    best = -(np.sum((M @ a_star + c) ** 2) + rho * np.sum(a_star ** 2))
    cfg = GradientPlannerConfig(horizon=H, n_restarts=3, n_iterations=300, lr=0.05)
    planner = GradientPlanner(_linear_env(rho), -2.0, 2.0, cfg, seed=0)
    plan = planner.plan(np.array([s0], np.float32))
    got = float(_linear_env(rho).returns(torch.tensor([s0]),
                                         torch.as_tensor(plan)[None])[0])
    assert plan.shape == (H, 1) and (np.abs(plan) <= 2).all()
    assert got >= best - 1e-3, (got, best)
    assert planner.model_calls == cfg.model_calls() == 3 * H * 301


def test_gradient_planner_config_refuses_bad_values():
    import pytest

    with pytest.raises(ValueError, match="n_restarts"):
        GradientPlannerConfig(n_restarts=0)
    with pytest.raises(ValueError, match="lr"):
        GradientPlannerConfig(lr=0.0)
    with pytest.raises(ValueError, match="act_low < act_high"):
        GradientPlanner(_linear_env(), 1.0, -1.0)
