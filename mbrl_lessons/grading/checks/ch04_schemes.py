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
from mbrl_lessons.grading.fixtures import v2_setup
from mbrl_lessons.grading.wire import RemoteTensor, fx


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
# The environment and the planner live in the submission's process (built
# from fixtures.ToyEnv / FirstGoodPlanner); what they saw comes back by value.
def mpc_first_action(ns):
    r = get_function(ns, "mpc_episode").call(fx("toy_env", key="env"),
                                             fx("first_good_planner", key="plan"), 0,
                                             state=True)
    executed = r.state.get("env", {}).get("executed")
    seen = r.state.get("plan", {}).get("seen")
    if executed != [0.0, 1.0, 2.0, 3.0, 4.0]:
        raise AssertionError(f"executed actions {executed}; MPC executes only the "
                             "FIRST action of each plan, then replans")
    if seen != [0.0, 1.0, 2.0, 3.0, 4.0]:
        raise AssertionError(f"the planner was called with {seen}; call it at every "
                             "step with the CURRENT observation")
    assert_close(r.value, 0.0, "the episode's return")


def mpc_return(ns):
    total = get_function(ns, "mpc_episode")(fx("toy_env"),
                                            fx("constant_planner", value=1.0), 0)
    # rewards -|1 - t| for t = 0..4: -1, 0, -1, -2, -3
    assert_close(total, -7.0, "the sum of rewards", hint="add up every reward until "
                 "the episode is terminated or truncated")


# ---------------------------------------------------------------- v2 loss
def _ref_loss(torch, policy, model_step, reward_fn, starts, horizon):
    obs, total = starts, torch.zeros(starts.shape[0])
    for _ in range(horizon):
        act = policy(obs)
        total = total + reward_fn(obs, act)
        obs = model_step(obs, act)
    return -total.mean()


def _v2_args(horizon):
    starts = v2_setup()[3]
    return (fx("v2_policy", key="policy"), fx("v2_model_step"), fx("v2_reward"),
            starts, horizon)


def _scalar_tensor(got, name):
    if not isinstance(got, RemoteTensor) or got.numel() != 1:
        raise AssertionError(f"{name} should return a scalar torch tensor, got "
                             f"{got!r}"[:300])
    return got


def v2_value(ns):
    import torch

    fn = get_function(ns, "model_return_loss")
    for H in (1, 5):
        got = _scalar_tensor(fn(*_v2_args(H)), "model_return_loss")
        policy, step, rew, starts = v2_setup()
        with torch.no_grad():
            want = _ref_loss(torch, policy, step, rew, starts, H)
        assert_close(got, float(want), f"the loss at horizon {H}", atol=1e-4,
                     hint="minus the MEAN over starts of the summed rewards; the "
                          "reward of step t uses the state before the step")


def v2_gradient(ns):
    import torch

    r = get_function(ns, "model_return_loss").call(*_v2_args(5), backward=True,
                                                   state=True)
    _scalar_tensor(r.value, "model_return_loss")
    if r.no_grad:
        raise AssertionError("the loss carries no gradient: do not detach or use "
                             "numpy inside the rollout")
    grad = r.state.get("policy", {}).get("weight")
    if grad is None:
        raise AssertionError("no gradient reached the policy's weights")
    policy, step, rew, starts = v2_setup()
    _ref_loss(torch, policy, step, rew, starts, 5).backward()
    assert_close(grad, policy.weight.grad.numpy(), "d loss / d policy weights",
                 atol=1e-4, hint="actions must come from the policy at every step, "
                                 "and the next state from model_step(obs, act)")


EXERCISES = [
    Exercise("ch04_cem_update", "The CEM update", "ch04_schemes", ("cem_update",),
             (Check("elites' mean and std, by hand", 2, cem_hand),
              Check("smoothing with alpha", 1, cem_smoothing),
              Check("random data vs the reference", 2, cem_random),
              Check("iterating it finds a quadratic's optimum", 1, cem_quadratic)),
             hint="take the n_elites highest returns, fit mean/std, smooth",
             forbidden=("mbrl_lessons.planning.shooting.cem_update",)),
    Exercise("ch04_mpc_loop", "The MPC loop", "ch04_schemes", ("mpc_episode",),
             (Check("replans every step, executes the first action", 3,
                    mpc_first_action),
              Check("returns the episode's total reward", 1, mpc_return)),
             hint="obs = reset; loop: plan = plan_fn(obs); step(plan[0]); repeat"),
    Exercise("ch04_v2_loss", "The v2.0 loss", "ch04_schemes", ("model_return_loss",),
             (Check("value at horizons 1 and 5", 2, v2_value),
              Check("gradients flow into the policy", 2, v2_gradient)),
             hint="unroll policy and model for horizon steps; return -mean(return)",
             forbidden=("mbrl_lessons.algorithms.schemes.model_return_loss",),
             torch=True),
]
