"""Checks for ``exercises/ch04_schemes.ipynb`` (chapter 4)."""

from __future__ import annotations

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)


# ------------------------------------------------------------ CEM update
def _ref_cem(samples, returns, n_elites, mean, std, alpha):
    idx = np.argsort(returns)[::-1][:n_elites]
    el = samples[idx]
    return (alpha * mean + (1 - alpha) * el.mean(0),
            alpha * std + (1 - alpha) * el.std(0))


def _cem(ns, *args):
    out = get_function(ns, "cem_update")(*args)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError("cem_update should return a tuple (mean, std)")
    shape = args[3].shape
    return (as_array(out[0], "the new mean", shape=shape),
            as_array(out[1], "the new std", shape=shape))


def cem_hand(ns):
    samples = np.array([0.0, 1.0, 2.0, 3.0]).reshape(4, 1, 1)
    returns = np.array([0.0, 1.0, 3.0, 2.0])
    mean, std = _cem(ns, samples, returns, 2, np.zeros((1, 1)), np.ones((1, 1)), 0.0)
    assert_close(mean, [[2.5]], "mean of the elites {2, 3}",
                 hint="the elites are the samples with the HIGHEST returns")
    assert_close(std, [[0.5]], "std of the elites {2, 3}",
                 hint="population std (ddof=0) of the elites")


def cem_smoothing(ns):
    samples = np.array([0.0, 1.0, 2.0, 3.0]).reshape(4, 1, 1)
    returns = np.array([0.0, 1.0, 3.0, 2.0])
    mean, std = _cem(ns, samples, returns, 2, np.zeros((1, 1)), np.ones((1, 1)), 0.5)
    assert_close(mean, [[1.25]], "smoothed mean with alpha = 0.5",
                 hint="alpha weights the OLD mean: alpha*old + (1-alpha)*elite mean")
    assert_close(std, [[0.75]], "smoothed std with alpha = 0.5")


def cem_random(ns):
    rng = np.random.default_rng(7)
    for _ in range(3):
        samples = rng.normal(size=(50, 6, 2))
        returns = rng.normal(size=50)
        mean, std = rng.normal(size=(6, 2)), rng.random((6, 2))
        got = _cem(ns, samples, returns, 7, mean, std, 0.2)
        want = _ref_cem(samples, returns, 7, mean, std, 0.2)
        assert_close(got[0], want[0], "mean on random data", atol=1e-8)
        assert_close(got[1], want[1], "std on random data", atol=1e-8)


def cem_quadratic(ns):
    rng = np.random.default_rng(0)
    mean, std = np.zeros((3, 1)), np.full((3, 1), 2.0)
    for _ in range(25):
        x = mean + std * rng.normal(size=(200, 3, 1))
        mean, std = _cem(ns, x, -((x - 3.0) ** 2).sum((1, 2)), 20, mean, std, 0.0)
    assert_close(mean, np.full((3, 1), 3.0), "CEM iterations on -(x-3)^2", atol=0.1,
                 hint="iterating your update should find the optimum at 3")


# --------------------------------------------------------------- MPC loop
class _Env:
    """A 1-D toy: obs is the step count; reward = -|action - obs|."""

    def __init__(self):
        self.t = 0
        self.executed = []

    def reset(self, seed=None):
        self.t = 0
        self.executed = []
        return np.array([0.0]), {}

    def step(self, action):
        a = float(np.asarray(action).reshape(-1)[0])
        self.executed.append(a)
        r = -abs(a - self.t)
        self.t += 1
        return np.array([float(self.t)]), r, False, self.t >= 5, {}


def mpc_first_action(ns):
    env, seen = _Env(), []

    def plan_fn(obs):
        seen.append(float(np.asarray(obs).reshape(-1)[0]))
        o = seen[-1]
        return np.array([[o], [o + 100.0], [o + 200.0]])  # only the first is good

    total = get_function(ns, "mpc_episode")(env, plan_fn, 0)
    if env.executed != [0.0, 1.0, 2.0, 3.0, 4.0]:
        raise AssertionError(f"executed actions {env.executed}; MPC executes only the "
                             "FIRST action of each plan, then replans")
    if seen != [0.0, 1.0, 2.0, 3.0, 4.0]:
        raise AssertionError(f"the planner was called with {seen}; call it at every "
                             "step with the CURRENT observation")
    assert_close(total, 0.0, "the episode's return")


def mpc_return(ns):
    env = _Env()
    total = get_function(ns, "mpc_episode")(env, lambda obs: np.array([[1.0]]), 0)
    # rewards -|1 - t| for t = 0..4: -1, 0, -1, -2, -3
    assert_close(total, -7.0, "the sum of rewards", hint="add up every reward until "
                 "the episode is terminated or truncated")


# ---------------------------------------------------------------- v2 loss
def _setup():
    import torch

    gen = torch.Generator().manual_seed(0)
    policy = torch.nn.Linear(2, 1)
    with torch.no_grad():
        policy.weight.copy_(torch.tensor([[-0.5, 0.2]]))
        policy.bias.zero_()
    A = torch.tensor([[0.9, 0.1], [0.0, 0.95]])

    def model_step(obs, act):
        return obs @ A.T + torch.cat([torch.zeros_like(act), act], -1)

    def reward_fn(obs, act):
        return -(obs ** 2).sum(-1) - 0.1 * (act ** 2).sum(-1)

    starts = torch.randn(16, 2, generator=gen)
    return torch, policy, model_step, reward_fn, starts


def _ref_loss(torch, policy, model_step, reward_fn, starts, horizon):
    obs, total = starts, torch.zeros(starts.shape[0])
    for _ in range(horizon):
        act = policy(obs)
        total = total + reward_fn(obs, act)
        obs = model_step(obs, act)
    return -total.mean()


def v2_value(ns):
    torch, policy, step, rew, starts = _setup()
    fn = get_function(ns, "model_return_loss")
    for H in (1, 5):
        got = fn(policy, step, rew, starts, H)
        if not isinstance(got, torch.Tensor) or got.numel() != 1:
            raise AssertionError("model_return_loss should return a scalar tensor")
        want = _ref_loss(torch, policy, step, rew, starts, H)
        assert_close(float(got), float(want), f"the loss at horizon {H}", atol=1e-4,
                     hint="minus the MEAN over starts of the summed rewards; the "
                          "reward of step t uses the state before the step")


def v2_gradient(ns):
    torch, policy, step, rew, starts = _setup()
    loss = get_function(ns, "model_return_loss")(policy, step, rew, starts, 5)
    if not loss.requires_grad:
        raise AssertionError("the loss carries no gradient: do not detach or use "
                             "numpy inside the rollout")
    loss.backward()
    want_policy = torch.nn.Linear(2, 1)
    want_policy.load_state_dict(policy.state_dict())
    want_policy.zero_grad()
    _ref_loss(torch, want_policy, step, rew, starts, 5).backward()
    assert_close(policy.weight.grad.numpy(), want_policy.weight.grad.numpy(),
                 "d loss / d policy weights", atol=1e-4,
                 hint="actions must come from the policy at every step, and the "
                      "next state from model_step(obs, act)")


EXERCISES = [
    Exercise("ch04_cem_update", "The CEM update", "ch04_schemes", ("cem_update",),
             (Check("elites' mean and std, by hand", 2, cem_hand),
              Check("smoothing with alpha", 1, cem_smoothing),
              Check("random data vs the reference", 2, cem_random),
              Check("iterating it finds a quadratic's optimum", 1, cem_quadratic)),
             hint="take the n_elites highest returns, fit mean/std, smooth"),
    Exercise("ch04_mpc_loop", "The MPC loop", "ch04_schemes", ("mpc_episode",),
             (Check("replans every step, executes the first action", 3,
                    mpc_first_action),
              Check("returns the episode's total reward", 1, mpc_return)),
             hint="obs = reset; loop: plan = plan_fn(obs); step(plan[0]); repeat"),
    Exercise("ch04_v2_loss", "The v2.0 loss", "ch04_schemes", ("model_return_loss",),
             (Check("value at horizons 1 and 5", 2, v2_value),
              Check("gradients flow into the policy", 2, v2_gradient)),
             hint="unroll policy and model for horizon steps; return -mean(return)"),
]
