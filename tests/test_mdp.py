"""Tabular MDPs: hand-computed values, DP algorithms, model learning, Q-learning."""

import numpy as np
import pytest

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import (
    QLearningConfig,
    TabularMDP,
    TabularModel,
    bellman_optimality_backup,
    estimate_mdp,
    greedy_policy,
    policy_evaluation,
    policy_evaluation_exact,
    policy_iteration,
    q_from_v,
    q_learning,
    q_value_iteration,
    value_iteration,
)


def two_state_mdp(gamma=0.9):
    """s0: a0 stays (+1), a1 -> s1 (0).  s1: a0 stays (+2), a1 -> s0 (0).

    By hand: V*(1) = 2/(1-0.9) = 20; staying in s0 is worth 1/(1-0.9) = 10,
    moving is worth 0 + 0.9 * 20 = 18, so V*(0) = 18.
    Q*(0,0) = 1 + 0.9*18 = 17.2, Q*(0,1) = 18, Q*(1,0) = 20,
    Q*(1,1) = 0.9*18 = 16.2.
    """
    P = np.zeros((2, 2, 2))
    P[0, 0, 0] = P[0, 1, 1] = P[1, 0, 1] = P[1, 1, 0] = 1.0
    R = np.array([[1.0, 0.0], [2.0, 0.0]])
    return TabularMDP(P, R, gamma)


V_STAR = np.array([18.0, 20.0])
Q_STAR = np.array([[17.2, 18.0], [20.0, 16.2]])


def test_two_state_optimal_values_by_hand():
    mdp = two_state_mdp()
    vi = value_iteration(mdp, tol=1e-12)
    assert np.allclose(vi.V, V_STAR, atol=1e-8)
    assert np.allclose(vi.Q, Q_STAR, atol=1e-8)
    assert vi.policy.tolist() == [1, 0]
    qvi = q_value_iteration(mdp, tol=1e-12)
    assert np.allclose(qvi.Q, Q_STAR, atol=1e-8)
    pi = policy_iteration(mdp)
    assert np.allclose(pi.V, V_STAR, atol=1e-8) and pi.policy.tolist() == [1, 0]
    # one backup from zero gives the best immediate reward
    assert np.allclose(bellman_optimality_backup(mdp, np.zeros(2)), [1.0, 2.0])
    assert np.allclose(q_from_v(mdp, V_STAR), Q_STAR)


def test_policy_evaluation_matches_closed_form():
    rng = np.random.default_rng(0)
    S, A = 6, 3
    P = rng.random((S, A, S))
    P /= P.sum(-1, keepdims=True)
    mdp = TabularMDP(P, rng.normal(size=(S, A)), 0.8)
    pi = rng.random((S, A))
    pi /= pi.sum(-1, keepdims=True)
    P_pi = np.einsum("sa,sat->st", pi, P)
    r_pi = (pi * mdp.R).sum(1)
    closed = np.linalg.solve(np.eye(S) - 0.8 * P_pi, r_pi)
    assert np.allclose(policy_evaluation_exact(mdp, pi), closed, atol=1e-10)
    it = policy_evaluation(mdp, pi, tol=1e-12)
    assert np.allclose(it.V, closed, atol=1e-9)
    assert it.deltas[-1] < it.deltas[0]  # contraction


def test_value_iteration_deltas_contract_by_gamma():
    mdp = TabularMDP.from_env(GridWorld(slip=0.1), 0.9)
    d = np.array(value_iteration(mdp).deltas)
    assert (d[1:] <= 0.9 * d[:-1] + 1e-12).all()


MAZE = """\
S#...
.#.#.
...#G
"""


def test_greedy_policy_walks_the_shortest_path():
    """The maze's shortest route is 10 steps (counted by hand)."""
    env = GridWorld(MAZE, step_reward=-1.0, goal_reward=0.0)
    mdp = TabularMDP.from_env(env, 0.99)
    for policy in (value_iteration(mdp).policy, policy_iteration(mdp).policy):
        obs, _ = env.reset(seed=0)
        for steps in range(1, 50):
            obs, _, terminated, _, _ = env.step(int(policy[obs]))
            if terminated:
                break
        assert terminated and steps == 10


def test_learned_model_converges_to_the_true_one():
    env = GridWorld(slip=0.2)
    P_true, R_true = env.transition_model()
    rng = np.random.default_rng(0)
    pairs = [(s, a) for s in range(env.n_states) if not (env.wall_mask[s]
             or env.terminal_mask[s]) for a in range(4)]
    errors = []
    for n in (10, 100, 1000):
        transitions = []
        for s, a in pairs:
            nxt = rng.choice(env.n_states, size=n, p=P_true[s, a])
            transitions += [(s, a, R_true[s, a], int(x), False) for x in nxt]
        mdp = estimate_mdp(transitions, env.n_states, 4, 0.9)
        errors.append(max(np.abs(mdp.P[s, a] - P_true[s, a]).sum() for s, a in pairs))
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.15


def test_unvisited_rules():
    m = TabularModel(3, 2, unvisited="self_loop")
    m.update(0, 0, 1.0, 1, False)
    m.update(0, 0, 3.0, 2, True)
    mdp = m.to_mdp(0.9)
    assert np.allclose(mdp.P[0, 0], [0, 0.5, 0.5]) and mdp.R[0, 0] == 2.0
    assert mdp.P[1, 1, 1] == 1.0 and mdp.R[1, 1] == 0.0 and mdp.terminal[2]
    opt = TabularModel(3, 2, unvisited="optimistic", unvisited_reward=5.0).to_mdp(0.9)
    assert opt.R[1, 1] == 5.0
    uni = TabularModel(3, 2, unvisited="uniform").to_mdp(0.9)
    assert np.allclose(uni.P[2, 0], 1 / 3)
    with pytest.raises(ValueError, match="unvisited"):
        TabularModel(3, 2, unvisited="zero")
    with pytest.raises(ValueError, match="outside"):
        m.update(5, 0, 0.0, 0, False)


def test_q_learning_learns_the_grid_and_is_reproducible():
    env = GridWorld(MAZE)
    cfg = QLearningConfig(total_steps=6000, alpha=0.5, epsilon=0.1, gamma=0.95)
    r1 = q_learning(env, cfg, seed=3)
    r2 = q_learning(GridWorld(MAZE), cfg, seed=3)
    assert np.array_equal(r1.Q, r2.Q)
    V_star = value_iteration(TabularMDP.from_env(env, 0.95)).V
    start = env.start_states[0]
    true_mdp = TabularMDP.from_env(env, 0.95)
    V_greedy = policy_evaluation_exact(true_mdp, greedy_policy(r1.Q))
    assert abs(V_greedy[start] - V_star[start]) < 1e-6
    assert r1.Q_history.shape == (60, env.n_states, 4)


@pytest.mark.parametrize("kwargs, msg", [
    ({"P": np.ones((2, 2, 3)) / 3}, "shape \\[S, A, S\\]"),
    ({"R": np.zeros((3, 2))}, "R must have shape"),
    ({"gamma": 1.5}, "gamma must be in"),
    ({"P": np.full((2, 2, 2), 0.6)}, "sums to 1.2"),
    ({"terminal": np.zeros(3, bool)}, "terminal must have shape"),
])
def test_bad_mdps_are_refused(kwargs, msg):
    base = two_state_mdp()
    args = {"P": base.P, "R": base.R, "gamma": 0.9, "terminal": None} | kwargs
    with pytest.raises(ValueError, match=msg):
        TabularMDP(**args)


def test_bad_policies_are_refused():
    mdp = two_state_mdp()
    with pytest.raises(ValueError, match="shape"):
        policy_evaluation(mdp, np.array([0, 1, 0]))
    with pytest.raises(TypeError, match="ints"):
        policy_evaluation(mdp, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="distribution"):
        policy_evaluation(mdp, np.array([[0.5, 0.6], [1, 0]]))
