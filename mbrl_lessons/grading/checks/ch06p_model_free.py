"""Checks for ``exercises/ch06p_model_free.ipynb`` (the model-free primer)."""

from __future__ import annotations

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)


# ------------------------------------------------ REINFORCE's advantage
def _ref_rtg(r, gamma):
    out, g = np.zeros(len(r)), 0.0
    for t in range(len(r) - 1, -1, -1):
        g = r[t] + gamma * g
        out[t] = g
    return out


def _adv(ns, r, b, gamma):
    out = get_function(ns, "reinforce_advantage")(r, b, gamma)
    return as_array(out, "reinforce_advantage's result", shape=r.shape)


def adv_hand(ns):
    r = np.array([1.0, 0.0, 2.0])
    assert_close(_adv(ns, r, np.zeros(3), 0.5), [1.5, 1.0, 2.0],
                 "returns-to-go of rewards (1, 0, 2), gamma 0.5, no baseline: "
                 "G_2 = 2, G_1 = 0 + 0.5 * 2, G_0 = 1 + 0.5 * 1",
                 hint="step t is credited with r_t and what follows it, not with "
                      "the whole episode's return")
    assert_close(_adv(ns, r, np.array([1.0, 1.0, 1.0]), 0.5), [0.5, 0.0, 1.0],
                 "the same with a baseline of 1 everywhere",
                 hint="subtract the baseline after discounting")


def adv_random(ns):
    rng = np.random.default_rng(11)
    for t_len, gamma in ((25, 0.97), (1, 0.9), (40, 1.0)):
        r, b = rng.normal(size=t_len), rng.normal(size=t_len)
        assert_close(_adv(ns, r, b, gamma), _ref_rtg(r, gamma) - b,
                     f"{t_len} random rewards and baselines, gamma {gamma}",
                     atol=1e-9, hint="work backwards: G_t = r_t + gamma G_(t+1)")


# ---------------------------------------------------------------- GAE
def _ref_gae(r, v, nv, term, done, gamma, lam):
    delta = r + gamma * (1 - term) * nv - v
    out, a = np.zeros(len(r)), 0.0
    for t in range(len(r) - 1, -1, -1):
        a = delta[t] + gamma * lam * (1 - done[t]) * a
        out[t] = a
    return out


def _gae(ns, r, v, nv, term, done, gamma, lam):
    out = get_function(ns, "gae")(r, v, nv, term, done, gamma, lam)
    return as_array(out, "gae's result", shape=r.shape)


def gae_hand(ns):
    r, v, nv = np.ones(3), np.array([0.5, 0.2, 0.1]), np.array([0.2, 0.1, 9.0])
    term = np.array([0.0, 0.0, 1.0])
    d = [1 + 0.9 * 0.2 - 0.5, 1 + 0.9 * 0.1 - 0.2, 1 - 0.1]
    assert_close(_gae(ns, r, v, nv, term, term, 0.9, 0.0), d,
                 "lambda = 0: the TD errors; the last step terminated, so its "
                 "V(s') = 9 is not used",
                 hint="multiply gamma V(s') by (1 - terminated)")
    assert_close(_gae(ns, r, v, nv, term, term, 0.9, 1.0),
                 _ref_rtg(r, 0.9) - v, "lambda = 1 over a whole episode: the "
                 "return-to-go minus V(s_t)")
    cut = _gae(ns, np.ones(2), np.zeros(2), np.array([5.0, 0.0]), np.zeros(2),
               np.ones(2), 0.9, 1.0)
    assert_close(cut, [1 + 0.9 * 5, 1.0],
                 "two steps, each the end of an episode by a time limit: each "
                 "bootstraps from its own V(s') and none sums into the next",
                 hint="a truncation (done but not terminated) keeps gamma V(s') "
                      "in delta but stops the backward sum")


def gae_random(ns):
    rng = np.random.default_rng(12)
    n = 30
    r, v, nv = rng.normal(size=n), rng.normal(size=n), rng.normal(size=n)
    term = (rng.random(n) < 0.1).astype(float)
    done = np.maximum(term, (rng.random(n) < 0.1).astype(float))
    done[-1] = 1.0
    assert_close(_gae(ns, r, v, nv, term, done, 0.99, 0.95),
                 _ref_gae(r, v, nv, term, done, 0.99, 0.95),
                 "a 30-step rollout with terminations and truncations, gamma 0.99, "
                 "lambda 0.95", atol=1e-9)


# ---------------------------------------------------------- DQN target
def _dqn(ns, rew, term, next_q, gamma):
    out = get_function(ns, "dqn_target")(rew, term, next_q, gamma)
    return as_array(out, "dqn_target's result", shape=rew.shape)


def dqn_hand(ns):
    rew = np.array([1.0, 1.0, 0.5])
    term = np.array([False, True, False])
    next_q = np.array([[2.0, 3.0], [5.0, 4.0], [-1.0, -2.0]])
    assert_close(_dqn(ns, rew, term, next_q, 0.9), [3.7, 1.0, -0.4],
                 "1 + 0.9 * max(2, 3); a terminal transition: just r; "
                 "0.5 + 0.9 * max(-1, -2)",
                 hint="after a termination there is no next state to bootstrap "
                      "from: its target is the reward alone")


def dqn_random(ns):
    rng = np.random.default_rng(13)
    rew, next_q = rng.normal(size=64), rng.normal(size=(64, 6))
    term = rng.random(64) < 0.2
    want = rew + 0.99 * (1 - term) * next_q.max(1)
    assert_close(_dqn(ns, rew, term, next_q, 0.99), want,
                 "64 random transitions, 6 actions", atol=1e-9,
                 hint="the max runs over the action axis (axis 1)")


# ---------------------------------------------------------- SAC target
def _soft(ns, rew, term, q1, q2, logp, alpha, gamma):
    out = get_function(ns, "soft_target")(rew, term, q1, q2, logp, alpha, gamma)
    return as_array(out, "soft_target's result", shape=rew.shape)


def soft_hand(ns):
    got = _soft(ns, np.array([1.0, 1.0]), np.array([False, True]),
                np.array([2.0, 3.0]), np.array([1.5, 4.0]), np.array([0.5, 0.5]),
                0.2, 0.9)
    assert_close(got, [1 + 0.9 * (1.5 - 0.2 * 0.5), 1.0],
                 "1 + 0.9 * (min(2, 1.5) - 0.2 * 0.5); the terminal one is just r",
                 hint="the smaller critic, MINUS alpha log pi (a likely action, "
                      "log pi near 0, earns little entropy bonus)")


def soft_random(ns):
    rng = np.random.default_rng(14)
    n = 50
    rew, q1, q2, logp = (rng.normal(size=n) for _ in range(4))
    term = rng.random(n) < 0.2
    want = rew + 0.99 * (1 - term) * (np.minimum(q1, q2) - 0.05 * logp)
    assert_close(_soft(ns, rew, term, q1, q2, logp, 0.05, 0.99), want,
                 "50 random transitions, alpha 0.05", atol=1e-9)


# ------------------------------------------- CMA-ES's mean and covariance
def _ref_cma(mean, sigma, cov, cands, fitness, weights, c1, cmu, p_c):
    y = (cands - mean) / sigma
    best = y[np.argsort(-fitness, kind="stable")[:len(weights)]]
    new_mean = mean + sigma * weights @ best
    rank_mu = (weights[:, None, None] * best[:, :, None] * best[:, None, :]).sum(0)
    new_cov = (1 - c1 - cmu) * cov + c1 * np.outer(p_c, p_c) + cmu * rank_mu
    return new_mean, new_cov


def _cma(ns, mean, sigma, cov, cands, fitness, weights, c1, cmu, p_c):
    out = get_function(ns, "cma_update")(mean, sigma, cov, cands, fitness, weights,
                                         c1, cmu, p_c)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise AssertionError("cma_update must return a pair (new_mean, new_cov), "
                             f"got {type(out).__name__}")
    n = len(mean)
    return (as_array(out[0], "the new mean", shape=(n,)),
            as_array(out[1], "the new covariance", shape=(n, n)))


def cma_hand(ns):
    mean, sigma, cov = np.zeros(2), 2.0, np.eye(2)
    cands = np.array([[2.0, 0.0], [0.0, 2.0], [-2.0, 0.0]])
    fitness = np.array([1.0, 3.0, -1.0])   # the second candidate is best
    weights = np.array([0.75, 0.25])
    new_mean, new_cov = _cma(ns, mean, sigma, cov, cands, fitness, weights,
                             0.0, 0.5, np.zeros(2))
    # y = (0, 1) (best) and (1, 0); m' = 0 + 2 (0.75 (0, 1) + 0.25 (1, 0))
    assert_close(new_mean, [0.5, 1.5],
                 "three candidates in 2-D, sigma 2, the best two weighted 0.75 and "
                 "0.25: the mean moves towards the best (higher fitness is better)",
                 hint="rank by fitness, highest first; y_k = (theta_k - m) / sigma")
    assert_close(new_cov, [[0.5 + 0.5 * 0.25, 0.0], [0.0, 0.5 + 0.5 * 0.75]],
                 "the same with c1 = 0, c_mu = 0.5: half the old C plus half the "
                 "weighted sum of y y^T of the winners (in units of sigma)",
                 hint="use y = (theta - m) / sigma in the rank-mu term, not theta - m")
    _, cov1 = _cma(ns, mean, sigma, cov, cands, fitness, weights, 0.2, 0.0,
                   np.array([1.0, 2.0]))
    assert_close(cov1, 0.8 * np.eye(2) + 0.2 * np.array([[1.0, 2.0], [2.0, 4.0]]),
                 "c1 = 0.2, c_mu = 0, evolution path (1, 2): the rank-one term "
                 "alone", hint="c1 p_c p_c^T is an outer product")


def cma_random(ns):
    rng = np.random.default_rng(5)
    for n, lam, mu in ((3, 8, 4), (5, 12, 6), (1, 4, 2)):
        mean, sigma = rng.normal(size=n), float(rng.uniform(0.3, 2.0))
        a = rng.normal(size=(n, n))
        cov = a @ a.T + n * np.eye(n)
        cands = mean + sigma * rng.normal(size=(lam, n))
        fitness = rng.normal(size=lam)
        w = np.log(mu + 0.5) - np.log(np.arange(1, mu + 1))
        w /= w.sum()
        args = (mean, sigma, cov, cands, fitness, w, 0.1, 0.3, rng.normal(size=n))
        got_m, got_c = _cma(ns, *args)
        ref_m, ref_c = _ref_cma(*args)
        assert_close(got_m, ref_m, f"{lam} random candidates in {n}-D: the mean",
                     atol=1e-9, hint="m + sigma * sum_i w_i y_(i:lambda)")
        assert_close(got_c, ref_c, f"{lam} random candidates in {n}-D: the "
                     "covariance", atol=1e-9,
                     hint="(1 - c1 - c_mu) C + c1 p_c p_c^T + c_mu sum_i w_i y y^T")


EXERCISES = [
    Exercise("ch06p_reinforce_advantage", "REINFORCE's advantage", "ch06p_model_free",
             ("reinforce_advantage",),
             (Check("three steps by hand, with and without a baseline", 2, adv_hand),
              Check("random episodes against the reference", 2, adv_random)),
             hint="G = 0; for t from T-1 down to 0: G = r_t + gamma G; "
                  "A_t = G - b_t",
             forbidden=("mbrl_lessons.algorithms.policy_gradient.returns_to_go",)),
    Exercise("ch06p_gae", "The generalised advantage", "ch06p_model_free", ("gae",),
             (Check("lambda 0 and 1, termination and truncation by hand", 2,
                    gae_hand),
              Check("a random rollout against the reference", 2, gae_random)),
             hint="delta = r + gamma (1 - terminated) V' - V; backwards: "
                  "A_t = delta_t + gamma lam (1 - done_t) A_(t+1)",
             forbidden=("mbrl_lessons.algorithms.policy_gradient.gae_advantages",)),
    Exercise("ch06p_dqn_target", "DQN's target", "ch06p_model_free",
             ("dqn_target",),
             (Check("three transitions by hand, one terminal", 2, dqn_hand),
              Check("a random minibatch", 2, dqn_random)),
             hint="rew + gamma * (1 - terminated) * next_q.max(axis=1)",
             forbidden=("mbrl_lessons.algorithms.dqn.td_target",)),
    Exercise("ch06p_soft_target", "SAC's soft target", "ch06p_model_free",
             ("soft_target",),
             (Check("two transitions by hand, one terminal", 2, soft_hand),
              Check("a random minibatch", 2, soft_random)),
             hint="rew + gamma (1 - terminated) (minimum(q1, q2) - alpha logp)",
             forbidden=("mbrl_lessons.algorithms.sac.soft_q_target",)),
    Exercise("ch06p_cma_update", "CMA-ES's mean and covariance update",
             "ch06p_model_free", ("cma_update",),
             (Check("three candidates in 2-D by hand", 2, cma_hand),
              Check("random generations against the reference", 2, cma_random)),
             hint="y = (theta - m) / sigma; rank by fitness, best first; "
                  "m' = m + sigma sum w_i y_i; C' = (1 - c1 - c_mu) C + "
                  "c1 p p^T + c_mu sum w_i y_i y_i^T"),
]
