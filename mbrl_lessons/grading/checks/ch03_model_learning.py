"""Checks for ``exercises/ch03_model_learning.ipynb`` (chapter 3).

Transitions are ``(obs, act, rew, next_obs)`` tuples; an untried pair must be
modelled as a zero-reward self-loop (the chapter's ``"self_loop"`` rule).
"""

from __future__ import annotations

import numpy as np

from mbrl_lessons.grading.core import (
    Check,
    Exercise,
    as_array,
    assert_close,
    assert_greedy,
    get_function,
)
from mbrl_lessons.mdp import TabularMDP, estimate_mdp, q_from_v, value_iteration


def _data(seed, S=6, A=2, n=300):
    rng = np.random.default_rng(seed)
    P = rng.random((S, A, S)) ** 4
    P /= P.sum(-1, keepdims=True)
    R = rng.normal(size=(S, A))
    out = []
    for _ in range(n):
        s, a = int(rng.integers(S - 1)), int(rng.integers(A))  # state S-1 untried
        out.append((s, a, float(R[s, a] + 0.1 * rng.normal()),
                    int(rng.choice(S, p=P[s, a]))))
    return out, S, A


def _ref_model(transitions, S, A):
    mdp = estimate_mdp([(*t, False) for t in transitions], S, A, 0.9)
    return mdp.P, mdp.R


def _model(ns, transitions, S, A):
    out = get_function(ns, "estimate_model")(transitions, S, A)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise AssertionError("estimate_model should return a tuple (P_hat, R_hat)")
    P = as_array(out[0], "P_hat", shape=(S, A, S))
    R = as_array(out[1], "R_hat", shape=(S, A))
    return P, R


def em_shape(ns):
    _model(ns, [(0, 0, 1.0, 1)], 3, 2)


def em_hand(ns):
    P, R = _model(ns, [(0, 0, 1.0, 1), (0, 0, 3.0, 2), (1, 1, -1.0, 1)], 3, 2)
    assert_close(P[0, 0], [0, 0.5, 0.5], "P_hat[0, 0]",
                 hint="P_hat(s'|s,a) = N(s,a,s') / N(s,a)")
    assert_close(R[0, 0], 2.0, "R_hat[0, 0]", hint="the mean reward seen after (s, a)")
    assert_close(P[1, 1], [0, 1, 0], "P_hat[1, 1]")


def em_unvisited(ns):
    P, R = _model(ns, [(0, 0, 1.0, 1)], 3, 2)
    for s, a in ((0, 1), (2, 0), (1, 1)):
        expected = np.eye(3)[s]
        if not np.allclose(P[s, a], expected) or R[s, a] != 0:
            raise AssertionError(
                f"the untried pair (s={s}, a={a}) should be a zero-reward self-loop "
                f"(P_hat[{s}, {a}] = {expected.tolist()}, R_hat = 0); got "
                f"{np.round(P[s, a], 3).tolist()} and {R[s, a]:.3g}")


def em_random(ns):
    for seed in (1, 2):
        data, S, A = _data(seed)
        P, R = _model(ns, data, S, A)
        Pr, Rr = _ref_model(data, S, A)
        assert_close(P, Pr, f"P_hat on random data {seed}", atol=1e-8)
        assert_close(R, Rr, f"R_hat on random data {seed}", atol=1e-8)


def _plan(ns, transitions, S, A, gamma):
    fn = get_function(ns, "plan_with_model")
    return as_array(fn(transitions, S, A, gamma), "plan_with_model", shape=(S,),
                    kind="i")


def pm_shape(ns):
    _plan(ns, [(0, 0, 1.0, 1)], 3, 2, 0.9)


def pm_chain(ns):
    # a chain 0-1-2-3: action 1 moves right, action 0 stays; only 2 -> 3 pays +1,
    # and staying in 3 pays +1 forever.  Greedy on immediate reward would stay
    # put in 0 and 1 (no reward either way); a real planner moves right.
    data = []
    for s in range(4):
        data.append((s, 0, 1.0 if s == 3 else 0.0, s))
        data.append((s, 1, 1.0 if s >= 2 else 0.0, min(s + 1, 3)))
    pi = _plan(ns, data, 4, 2, 0.9)
    if pi[0] != 1 or pi[1] != 1 or pi[2] != 1:
        raise AssertionError(f"on the chain the planned policy should move right from "
                             f"states 0-2, got {pi.tolist()}; hint: plan by value "
                             "iteration on the learned model, not by immediate reward")


def pm_long_chain(ns):
    # a chain of 12 states: action 0 stays and pays 0.1 now, action 1 moves right
    # (free) towards the last state, which pays 1 per step forever.  Moving right
    # is optimal everywhere (0.95^11 > 0.1), but only a planner that looks ahead
    # far enough (value iteration run to convergence) sees it from the far end.
    n, data = 12, []
    for s in range(n):
        data.append((s, 0, 1.0 if s == n - 1 else 0.1, s))
        data.append((s, 1, 1.0 if s == n - 1 else 0.0, min(s + 1, n - 1)))
    pi = _plan(ns, data, n, 2, 0.95)
    wrong = [s for s in range(n - 1) if pi[s] != 1]
    if wrong:
        raise AssertionError(
            f"on a 12-state chain where the pay-off is 11 steps away, the planned "
            f"policy stays put in states {wrong}; moving right is optimal "
            f"everywhere. Hint: run value iteration until it converges (max "
            "change below a small tol), not for a fixed few sweeps")


def pm_random(ns):
    for seed in (3, 4):
        data, S, A = _data(seed)
        pi = _plan(ns, data, S, A, 0.9)
        P, R = _ref_model(data, S, A)
        mdp = TabularMDP(P, R, 0.9)
        Q = q_from_v(mdp, value_iteration(mdp, tol=1e-12).V)
        assert_greedy(Q, pi, " under the learned model")


EXERCISES = [
    Exercise("ch03_model_learning", "Maximum-likelihood tabular model",
             "ch03_model_learning", ("estimate_model",),
             (Check("returns (P_hat [S,A,S], R_hat [S,A])", 1, em_shape),
              Check("counts and mean rewards, by hand", 2, em_hand),
              Check("untried pairs are zero-reward self-loops", 1, em_unvisited),
              Check("random data vs the reference", 2, em_random)),
             hint="count N(s,a,s'), sum rewards, divide; untried pairs self-loop",
             forbidden=("mbrl_lessons.mdp.learning.estimate_mdp",
                        "mbrl_lessons.mdp.learning.TabularModel")),
    Exercise("ch03_planning_with_model", "Planning with the learned model",
             "ch03_model_learning", ("plan_with_model",),
             (Check("returns integer actions of shape [S]", 1, pm_shape),
              Check("a chain where looking ahead matters", 1, pm_chain),
              Check("a long chain: plans to convergence", 1, pm_long_chain),
              Check("random data: optimal for the learned model", 2, pm_random)),
             hint="estimate the model, run value iteration on it, act greedily",
             forbidden=("mbrl_lessons.mdp.learning.estimate_mdp",
                        "mbrl_lessons.mdp.learning.TabularModel",
                        "mbrl_lessons.mdp.dp.value_iteration",
                        "mbrl_lessons.mdp.dp.q_value_iteration",
                        "mbrl_lessons.mdp.dp.policy_iteration",
                        "mbrl_lessons.mdp.dp.q_from_v",
                        "mbrl_lessons.mdp.model_based.model_based_rl")),
]
