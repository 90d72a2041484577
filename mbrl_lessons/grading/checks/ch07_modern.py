"""Checks for ``exercises/ch07_modern.ipynb`` (chapter 7)."""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    get_function,
)
from mbrl_lessons.grading.fixtures import branched_setup
from mbrl_lessons.grading.wire import fx


# ------------------------------------------------- trajectory sampling
def _ts(ns, means, stds, member, noise):
    out = get_function(ns, "ts_step")(means, stds, member, noise)
    return as_array(out, "ts_step's result", shape=noise.shape)


def ts_hand(ns):
    means = np.array([[[0.0], [1.0]], [[10.0], [20.0]]])   # E = 2, P = 2, D = 1
    stds = np.array([[[1.0], [1.0]], [[2.0], [3.0]]])
    got = _ts(ns, means, stds, np.array([1, 0]), np.array([[0.5], [-1.0]]))
    assert_close(got, [[11.0], [0.0]],
                 "particle 0 follows member 1 (10 + 2 * 0.5), particle 1 member 0 "
                 "(1 + 1 * -1)",
                 hint="index the member AND the particle: means[member[p], p]")


def ts_random(ns):
    rng = np.random.default_rng(7)
    e, p, d = 5, 12, 3
    means, stds = rng.normal(size=(e, p, d)), rng.uniform(0.1, 1, size=(e, p, d))
    member, noise = rng.integers(0, e, size=p), rng.normal(size=(p, d))
    want = np.stack([means[member[i], i] + stds[member[i], i] * noise[i]
                     for i in range(p)])
    assert_close(_ts(ns, means, stds, member, noise), want,
                 "5 members, 12 particles, 3 dimensions", atol=1e-10,
                 hint="the same member gives both the mean and the std")


# ---------------------------------------------------- branched rollouts
def _ref_branched(starts, policy, model, k):
    s, parts = starts, []
    for _ in range(k):
        a = policy(s)
        s2, r = model(s, a)
        parts.append((s, a, r, s2))
        s = s2
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))


def _branched(ns, starts, policy, model, k, a_dim):
    out = get_function(ns, "branched_rollout")(starts, policy, model, k)
    if not (isinstance(out, tuple | list) and len(out) == 4):
        raise AssertionError("branched_rollout should return (obs, act, rew, next_obs)")
    b, o = starts.shape
    shapes = ((k * b, o), (k * b, a_dim), (k * b,), (k * b, o))
    names = ("obs", "act", "rew", "next_obs")
    return tuple(as_array(x, n, shape=s) for x, n, s in zip(out, names, shapes,
                                                            strict=True))


def branched_hand(ns):
    # policy: always 1; model: move by the action, reward = the state itself
    obs, act, rew, nxt = _branched(ns, np.array([[0.0], [10.0]]), fx("ones_policy"),
                                   fx("counting_model"), 3, a_dim=1)
    assert_close(obs[:, 0], [0, 10, 1, 11, 2, 12],
                 "states, step by step (first both starts, then their successors)",
                 hint="each step continues from the model's PREDICTED states, and "
                      "the B transitions of one step come together")
    assert_close(nxt[:, 0], [1, 11, 2, 12, 3, 13], "the predicted next states")
    assert_close(rew, [0, 10, 1, 11, 2, 12], "the model's rewards")
    assert_close(act[:, 0], np.ones(6), "the policy's actions")


def branched_random(ns):
    policy, model, starts = branched_setup()
    got = _branched(ns, starts, fx("branched_policy"), fx("branched_model"), 5,
                    a_dim=2)
    for g, want, name in zip(got, _ref_branched(starts, policy, model, 5),
                             ("obs", "act", "rew", "next_obs"), strict=True):
        assert_close(g, want, f"{name} of a linear model and a tanh policy (k = 5)",
                     atol=1e-10)


# ------------------------------------------------------- lambda-returns
def _ref_lambda(rewards, values, gamma, lam):
    """The chapter's layout: rewards [B, H], values [B, H+1] (v(s_0)..v(s_H))."""
    out = np.empty_like(rewards, dtype=float)
    nxt = values[:, -1]
    for t in range(rewards.shape[1] - 1, -1, -1):
        nxt = rewards[:, t] + gamma * ((1 - lam) * values[:, t + 1] + lam * nxt)
        out[:, t] = nxt
    return out


def _lam(ns, rewards, values, gamma, lam):
    out = get_function(ns, "lambda_returns")(rewards, values, gamma, lam)
    return as_array(out, "lambda_returns's result", shape=rewards.shape)


def lambda_hand(ns):
    r = np.array([[1.0, 2.0]])               # r_0, r_1 of one trajectory
    v = np.array([[99.0, 10.0, 20.0]])       # v(s_0) (unused), v(s_1), v(s_2)
    g = 0.5
    assert_close(_lam(ns, r, v, g, 0.0), [[1 + g * 10, 2 + g * 20]],
                 "lambda = 0 gives one-step TD targets r_t + gamma v(s_{t+1})",
                 hint="values[:, t + 1] is the value of the state AFTER "
                      "rewards[:, t]; values[:, 0] = v(s_0) is not used")
    assert_close(_lam(ns, r, v, g, 1.0), [[1 + g * (2 + g * 20), 2 + g * 20]],
                 "lambda = 1 gives discounted rewards bootstrapped with v(s_H)",
                 hint="the last return is r_{H-1} + gamma v(s_H)")
    lam = 0.5
    last = 2 + g * 20
    assert_close(_lam(ns, r, v, g, lam),
                 [[1 + g * ((1 - lam) * 10 + lam * last), last]],
                 "lambda = 0.5, by hand")


def lambda_random(ns):
    rng = np.random.default_rng(4)
    r, v = rng.normal(size=(6, 15)), rng.normal(size=(6, 16))
    assert_close(_lam(ns, r, v, 0.97, 0.9), _ref_lambda(r, v, 0.97, 0.9),
                 "a batch of 6, H = 15, gamma 0.97, lambda 0.9", atol=1e-10,
                 hint="work backwards from t = H - 1, along axis 1")


# ---------------------------------------------------------- pUCT score
def _ref_puct(q, prior, n_parent, n_child, c1=1.25, c2=19652):
    return q + prior * math.sqrt(n_parent) / (1 + n_child) * (
        c1 + math.log((n_parent + c2 + 1) / c2))


def puct_hand(ns):
    f = get_function(ns, "puct_score")
    got = as_array(f(0.5, 0.25, 16, 3), "puct_score(0.5, 0.25, 16, 3)", shape=())
    assert_close(got, _ref_puct(0.5, 0.25, 16, 3), "Q 0.5, prior 0.25, N 16, n 3",
                 hint="sqrt(N) / (1 + n), times (c1 + log((N + c2 + 1) / c2))")
    got = as_array(f(0.3, 0.9, 0, 0), "puct_score(0.3, 0.9, 0, 0)", shape=())
    assert_close(got, 0.3, "an unvisited child of an unvisited node scores Q")
    got = as_array(f(0.0, 1.0, 4, 0, c1=1.0, c2=1.0), "puct_score with c1 = c2 = 1",
                   shape=())
    assert_close(got, 2 * (1 + math.log(6)), "c1 and c2 are used as given")


def puct_vector(ns):
    rng = np.random.default_rng(8)
    q, prior = rng.uniform(size=9), rng.dirichlet(np.ones(9))
    n_child = rng.integers(0, 20, size=9)
    got = as_array(get_function(ns, "puct_score")(q, prior, 50, n_child),
                   "puct_score on arrays of 9 children", shape=(9,))
    want = [_ref_puct(a, b, 50, c) for a, b, c in zip(q, prior, n_child, strict=True)]
    assert_close(got, want, "nine children at once", atol=1e-10,
                 hint="use numpy operations (np.sqrt, np.log) so arrays work")


# ---------------------------------------------------- negamax backup
def _ref_negamax(rewards, leaf_value, gamma=1.0):
    out = [float(leaf_value)]
    for r in reversed(list(rewards)):
        out.append(float(r) - gamma * out[-1])
    return np.array(out[::-1])


def _negamax(ns, rewards, leaf_value, gamma):
    got = get_function(ns, "negamax_backup")(np.asarray(rewards, float),
                                             float(leaf_value), gamma)
    return as_array(got, "negamax_backup's result", shape=(len(rewards) + 1,))


def negamax_hand(ns):
    got = _negamax(ns, [0.0, 0.2], 0.6, 1.0)
    assert_close(got, [0.4, -0.4, 0.6], "rewards (0, 0.2) into the two nodes "
                 "below the root, leaf value 0.6",
                 hint="G_d = v; going up, G_(k-1) = r_k - gamma * G_k")
    got = _negamax(ns, [1.0], 0.0, 1.0)
    assert_close(got, [1.0, 0.0], "a winning move into a finished game")


def negamax_random(ns):
    rng = np.random.default_rng(11)
    for depth, gamma in ((3, 1.0), (6, 0.9)):
        rewards, leaf = rng.uniform(-1, 1, depth), rng.uniform(-1, 1)
        assert_close(_negamax(ns, rewards, leaf, gamma),
                     _ref_negamax(rewards, leaf, gamma),
                     f"a path of {depth} moves, gamma {gamma}", atol=1e-10,
                     hint="the discount goes with the sign: r - gamma * G")


# ------------------------------------------- visit-count policy target
def _ref_visits(counts, temperature):
    counts = np.asarray(counts, float)
    if temperature == 0:
        out = np.zeros_like(counts)
        out[int(np.argmax(counts))] = 1.0
        return out
    c = counts ** (1.0 / temperature)
    return c / c.sum()


def _visits(ns, counts, temperature):
    got = get_function(ns, "visit_policy_target")(np.asarray(counts, float),
                                                  temperature)
    return as_array(got, "visit_policy_target's result", shape=(len(counts),))


def visits_hand(ns):
    assert_close(_visits(ns, [1, 3, 0, 4], 1.0), [0.125, 0.375, 0.0, 0.5],
                 "counts (1, 3, 0, 4) at temperature 1", hint="N / sum(N)")
    assert_close(_visits(ns, [1, 3, 0, 4], 0.5), np.array([1, 9, 0, 16]) / 26,
                 "temperature 1/2 squares the counts", hint="N ** (1 / T)")
    assert_close(_visits(ns, [2, 5, 5, 1], 0.0), [0, 1, 0, 0],
                 "temperature 0: all on the most visited (the first of a tie)")


def visits_random(ns):
    rng = np.random.default_rng(12)
    for temperature in (1.0, 0.25, 2.0):
        counts = rng.integers(0, 30, size=9)
        counts[0] += 1
        assert_close(_visits(ns, counts, temperature),
                     _ref_visits(counts, temperature),
                     f"nine counts at temperature {temperature}", atol=1e-10)


# ------------------------------------------------ n-step value target
def _nstep(ns, rewards, values, gamma, n, terminated):
    got = get_function(ns, "n_step_value_targets")(
        np.asarray(rewards, float), np.asarray(values, float), gamma, n, terminated)
    return as_array(got, "n_step_value_targets' result", shape=(len(values),))


def nstep_hand(ns):
    rew, vals = [0.0, 0.0, 1.0], [0.5, 0.6, 0.7, 0.4]
    assert_close(_nstep(ns, rew, vals, 0.9, 2, True), [0.81 * 0.7, 0.9, 1.0, 0.0],
                 "a terminated episode, n = 2",
                 hint="past the end of a terminated episode nothing is added")
    assert_close(_nstep(ns, rew, vals, 0.9, 2, False),
                 [0.567, 0.9 + 0.81 * 0.4, 1.0 + 0.9 * 0.4, 0.4],
                 "a truncated episode, n = 2",
                 hint="a cut episode bootstraps from its last value")


def nstep_random(ns):
    from mbrl_lessons.algorithms.muzero import n_step_value_targets

    rng = np.random.default_rng(13)
    for n, terminated in ((1, True), (5, False), (20, True)):
        rew, vals = rng.normal(size=12), rng.normal(size=13)
        assert_close(_nstep(ns, rew, vals, 0.97, n, terminated),
                     n_step_value_targets(rew, vals, 0.97, n, terminated),
                     f"12 random rewards, n = {n}, terminated = {terminated}",
                     atol=1e-9)


# ------------------------------------------------------ the RSSM's KL term
def _ref_rssm_kl(qm, qs, pm, ps, free_nats):
    kl = (np.log(ps / qs) + (qs ** 2 + (qm - pm) ** 2) / (2 * ps ** 2) - 0.5).sum(-1)
    return kl, max(float(kl.mean()), free_nats)


def _rssm_kl(ns, qm, qs, pm, ps, free_nats):
    out = get_function(ns, "rssm_kl")(qm, qs, pm, ps, free_nats)
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise AssertionError("rssm_kl should return the pair (kl, loss)")
    kl = as_array(out[0], "rssm_kl's kl", shape=qm.shape[:-1])
    return kl, as_array(out[1], "rssm_kl's loss", shape=())


def rssm_kl_hand(ns):
    one = np.ones((1, 1, 1))
    kl, loss = _rssm_kl(ns, one, 0.5 * one, 0 * one, one, 0.0)
    assert_close(kl, [[math.log(2) + 0.125]],
                 "KL(N(1, 0.5^2) || N(0, 1)) = ln 2 + (0.25 + 1) / 2 - 1/2",
                 hint="posterior first: ln(sigma_p / sigma_q) + (sigma_q^2 + "
                      "(mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2")
    assert_close(loss, math.log(2) + 0.125, "above the free nats the loss is the KL")
    m = np.array([[[0.3, -1.0]], [[2.0, 0.5]]])
    s = np.array([[[0.7, 1.2]], [[0.4, 2.0]]])
    kl, loss = _rssm_kl(ns, m, s, m.copy(), s.copy(), 1.0)
    assert_close(kl, np.zeros((2, 1)), "prior equal to posterior: zero KL")
    assert_close(loss, 1.0, "a KL under the free nats costs the free nats",
                 hint="loss = max(mean KL, free_nats)")
    kl, _ = _rssm_kl(ns, np.ones((1, 1, 2)), np.full((1, 1, 2), 0.5),
                     np.zeros((1, 1, 2)), np.ones((1, 1, 2)), 0.0)
    assert_close(kl, [[2 * (math.log(2) + 0.125)]],
                 "two latent dimensions: the KL is summed over the last axis")


def rssm_kl_random(ns):
    rng = np.random.default_rng(14)
    t, b, d = 6, 4, 5
    qm, pm = rng.normal(size=(t, b, d)), rng.normal(size=(t, b, d))
    qs, ps = rng.uniform(0.2, 2, (t, b, d)), rng.uniform(0.2, 2, (t, b, d))
    for free in (0.0, 1e6):
        kl, loss = _rssm_kl(ns, qm, qs, pm, ps, free)
        want_kl, want_loss = _ref_rssm_kl(qm, qs, pm, ps, free)
        assert_close(kl, want_kl, f"random Gaussians [T={t}, B={b}, D={d}]",
                     atol=1e-9, hint="KL(q || p) is not symmetric: divide by "
                                     "the PRIOR's variance")
        assert_close(loss, want_loss, f"the loss with free nats {free}", atol=1e-9)


EXERCISES = [
    Exercise("ch07_ts_step", "One step of trajectory sampling", "ch07_modern",
             ("ts_step",),
             (Check("two members, two particles, by hand", 2, ts_hand),
              Check("random ensemble vs the reference", 2, ts_random)),
             hint="p = np.arange(P); means[member, p] + stds[member, p] * noise"),
    Exercise("ch07_branched_rollout", "MBPO's branched rollouts", "ch07_modern",
             ("branched_rollout",),
             (Check("a counting model, by hand", 2, branched_hand),
              Check("a linear model and a tanh policy", 2, branched_random)),
             hint="loop k times: a = policy(s); s2, r = model(s, a); keep "
                  "(s, a, r, s2); s = s2; then concatenate each part",
             forbidden=("mbrl_lessons.algorithms.mbpo.branched_rollout",)),
    Exercise("ch07_lambda_returns", "Lambda-returns", "ch07_modern",
             ("lambda_returns",),
             (Check("lambda 0, 1 and 0.5 by hand", 2, lambda_hand),
              Check("random rewards and values", 2, lambda_random)),
             hint="start from values[-1] and go backwards",
             forbidden=("mbrl_lessons.algorithms.dreamer.lambda_returns",)),
    Exercise("ch07_puct_score", "MuZero's selection score", "ch07_modern",
             ("puct_score",),
             (Check("single children by hand", 2, puct_hand),
              Check("arrays of children", 2, puct_vector)),
             hint="q + prior * sqrt(N) / (1 + n) * (c1 + log((N + c2 + 1) / c2))",
             forbidden=("mbrl_lessons.search.puct.puct_score",)),
    Exercise("ch07_negamax_backup", "The negamax backup", "ch07_modern",
             ("negamax_backup",),
             (Check("a two-move path by hand", 2, negamax_hand),
              Check("random paths, with and without a discount", 2,
                    negamax_random)),
             hint="out[d] = leaf_value; for k from d down to 1: "
                  "out[k - 1] = rewards[k - 1] - gamma * out[k]"),
    Exercise("ch07_visit_policy", "The visit-count policy target", "ch07_modern",
             ("visit_policy_target",),
             (Check("counts by hand at T = 1, 1/2 and 0", 2, visits_hand),
              Check("random counts", 2, visits_random)),
             hint="T = 0: one-hot at np.argmax; else N ** (1 / T), normalised",
             forbidden=("mbrl_lessons.search.mcts.counts_to_policy",
                        "mbrl_lessons.search.puct.visit_policy")),
    Exercise("ch07_n_step_value", "MuZero's n-step value target", "ch07_modern",
             ("n_step_value_targets",),
             (Check("terminated and truncated episodes by hand", 2, nstep_hand),
              Check("random episodes against the reference", 2, nstep_random)),
             hint="z[t] = sum_{i<n} gamma^i rewards[t+i] + gamma^n "
                  "root_values[t+n], the bootstrap only if t + n < T or the "
                  "episode was cut",
             forbidden=("mbrl_lessons.algorithms.muzero.n_step_value_targets",)),
    Exercise("ch07_rssm_kl", "The RSSM's KL term", "ch07_modern",
             ("rssm_kl",),
             (Check("one and two dimensions, equal Gaussians, free nats", 2,
                    rssm_kl_hand),
              Check("random Gaussians against the reference", 2, rssm_kl_random)),
             hint="sum over the last axis of ln(sp / sq) + (sq^2 + (mq - mp)^2) "
                  "/ (2 sp^2) - 1/2; loss = max(kl.mean(), free_nats)",
             forbidden=("mbrl_lessons.models.rssm.gaussian_kl",
                        "mbrl_lessons.models.rssm.kl_loss")),
]
