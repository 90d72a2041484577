"""Options as multi-step models (chapter 5.8): exact models, SMDP planning."""

import numpy as np
import pytest

from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.mdp import TabularMDP, value_iteration
from mbrl_lessons.mdp.options import (
    FOUR_ROOMS_LAYOUT,
    Option,
    OptionModel,
    four_rooms,
    four_rooms_layout,
    hallway_options,
    option_model,
    primitive_options,
    smdp_value_iteration,
)

RIGHT = 1


@pytest.fixture(scope="module")
def rooms():
    env = four_rooms()
    mdp = TabularMDP.from_env(env, gamma=0.9)
    prim = [option_model(mdp, o) for o in primitive_options(mdp)]
    hall = [option_model(mdp, o) for o in hallway_options(env)]
    return env, mdp, prim, hall


def corridor(gamma=0.5):
    """``S..G`` in one row: -1 per step, +10 more on entering the goal (state 3)."""
    env = GridWorld(layout="S..G", step_reward=-1.0, goal_reward=10.0)
    return env, TabularMDP.from_env(env, gamma)


def test_primitive_option_is_the_one_step_model(rooms):
    _, mdp, prim, _ = rooms
    live = ~mdp.terminal
    for a, m in enumerate(prim):
        np.testing.assert_allclose(m.R[live], mdp.R[live, a], atol=1e-12)
        np.testing.assert_allclose(m.P[live], mdp.gamma * mdp.P[live, a], atol=1e-12)
        assert (m.R[~live] == 0).all() and (m.P[~live] == 0).all()


def test_corridor_option_by_hand():
    """Walk right; on arriving in states 1 and 2 stop with probability 1/2.

    From 0: stop in 1 after one step w.p. 1/2, in 2 after two w.p. 1/4, reach
    the goal after three w.p. 1/4, so P_o(0, .) = (1/2 g, 1/4 g^2, 1/4 g^3) and
    R_o(0) = -1 + g (1/2)(-1) + g^2 (1/4)(-1 + 10).
    """
    g = 0.5
    _, mdp = corridor(g)
    beta = np.array([0.0, 0.5, 0.5, 1.0])
    opt = Option("right", [True, True, True, False], np.full(4, RIGHT), beta)
    m = option_model(mdp, opt)
    np.testing.assert_allclose(m.P[0], [0, g / 2, g**2 / 4, g**3 / 4])
    np.testing.assert_allclose(m.R[0], -1 - g / 2 + 9 * g**2 / 4)
    np.testing.assert_allclose(m.P[1], [0, 0, g / 2, g**2 / 2])
    np.testing.assert_allclose(m.R[1], -1 + 0.5 * g * 9)
    np.testing.assert_allclose(m.P[2], [0, 0, 0, g])
    np.testing.assert_allclose(m.R[2], 9)
    # never stopping early: gamma^3 to the goal from 0, rewards -1, -1, +9
    m = option_model(mdp, Option("run", [1, 1, 1, 0], np.full(4, RIGHT), beta * 0))
    np.testing.assert_allclose(m.P[0], [0, 0, 0, g**3])
    np.testing.assert_allclose(m.R[0], -1 - g + 9 * g**2)


def test_hallway_model_matches_the_power_series(rooms):
    """P_o = sum_k gamma^k (P_pi C)^(k-1) P_pi B, summed term by term."""
    env, mdp, _, _ = rooms
    opt = hallway_options(env)[3]
    m = option_model(mdp, opt)
    beta = np.where(mdp.terminal, 1.0, opt.termination)
    P_pi = mdp.P[np.arange(mdp.n_states), opt.policy]
    R_pi = mdp.R[np.arange(mdp.n_states), opt.policy]
    carry = np.eye(mdp.n_states)  # gamma^(k-1) (P_pi C)^(k-1)
    P_sum, R_sum = np.zeros_like(P_pi), np.zeros(mdp.n_states)
    for _ in range(600):
        R_sum += carry @ R_pi
        P_sum += mdp.gamma * carry @ P_pi * beta
        carry = mdp.gamma * carry @ P_pi * (1 - beta)
    rows = m.initiation
    np.testing.assert_allclose(m.P[rows], P_sum[rows], atol=1e-10)
    np.testing.assert_allclose(m.R[rows], R_sum[rows], atol=1e-10)


def test_four_rooms_layout_and_hallway_options(rooms):
    env, mdp, _, hall = rooms
    assert GridWorld(layout=FOUR_ROOMS_LAYOUT).n_states == 13 * 13
    assert (~env.wall_mask).sum() == 104  # the paper's 104 cells
    opts = hallway_options(env)
    assert len(opts) == 8  # two hallways per room
    for o, m in zip(opts, hall, strict=True):
        # a hallway option ends in a hallway (or where slipping took it out)
        stops = m.P[m.initiation].sum(0) > 0
        assert (o.termination[stops] == 1).all()
        assert m.initiation.sum() in (20, 21, 26, 30, 31)


def test_smdp_vi_with_primitives_is_value_iteration(rooms):
    _, mdp, prim, _ = rooms
    vi = value_iteration(mdp, tol=1e-10)
    smdp = smdp_value_iteration(mdp, prim, tol=1e-10)
    np.testing.assert_allclose(smdp.V, vi.V, atol=1e-12)
    assert smdp.iterations == vi.iterations


def test_options_keep_v_star_when_primitives_are_included(rooms):
    _, mdp, prim, hall = rooms
    vi = value_iteration(mdp, tol=1e-12)
    both = smdp_value_iteration(mdp, prim + hall, tol=1e-12)
    np.testing.assert_allclose(both.V, vi.V, atol=1e-9)
    # options alone only reach what the hallway policies can: a lower bound
    alone = smdp_value_iteration(mdp, hall, tol=1e-12)
    assert (alone.V <= vi.V + 1e-9).all() and (alone.V < vi.V - 1e-3).any()


def test_hallway_options_carry_the_goal_to_the_start_sooner(rooms):
    env, mdp, prim, hall = rooms
    start = env.start_states[0]

    def first_sweep_seeing_the_goal(models):
        res = smdp_value_iteration(mdp, models, record=True)
        assert res.history.shape == (res.iterations + 1, mdp.n_states)
        np.testing.assert_array_equal(res.history[-1], res.V)
        return int(np.argmax(res.history[:, start] > 0))

    k_prim = first_sweep_seeing_the_goal(prim)
    k_opts = first_sweep_seeing_the_goal(prim + hall)
    # primitives: one cell per sweep along the 14-step shortest path;
    # options: start -> hallway (3, 6) -> goal hallway, two sweeps
    assert (k_prim, k_opts) == (14, 2)
    assert k_opts < k_prim


def test_bad_options_are_refused():
    _, mdp = corridor()
    with pytest.raises(ValueError, match="leaves the initiation set"):
        # from 0 the policy walks into 1, where it keeps running but may not be
        option_model(mdp, Option("leaky", [1, 0, 0, 0], np.full(4, RIGHT),
                                 np.zeros(4)))
    with pytest.raises(ValueError, match="shape"):
        Option("short", [True] * 4, np.zeros(3, dtype=int), np.zeros(4))
    with pytest.raises(ValueError, match="shape"):
        Option("beta", [True] * 4, np.zeros(4, dtype=int), np.zeros(5))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Option("beta", [True] * 4, np.zeros(4, dtype=int), np.full(4, 1.5))
    with pytest.raises(ValueError, match="empty"):
        Option("nowhere", [False] * 4, np.zeros(4, dtype=int), np.ones(4))
    with pytest.raises(ValueError, match="the MDP has 4"):
        option_model(mdp, Option("big", [1] * 5, np.zeros(5, dtype=int), np.ones(5)))
    with pytest.raises(ValueError, match="never stop"):
        # gamma = 1 and an option that bumps into the left wall for ever
        option_model(mdp.with_gamma(1.0),
                     Option("stuck", [1, 0, 0, 0], np.full(4, 3), np.zeros(4)))


def test_bad_planning_inputs_are_refused():
    _, mdp = corridor()
    prim = [option_model(mdp, o) for o in primitive_options(mdp)]
    with pytest.raises(ValueError, match="at least one"):
        smdp_value_iteration(mdp, [])
    with pytest.raises(ValueError, match="no option can start"):
        smdp_value_iteration(mdp, [option_model(mdp, Option(
            "only 0", [1, 0, 0, 0], np.full(4, RIGHT), np.ones(4)))])
    wrong = OptionModel(np.zeros(5), np.zeros((5, 5)), np.ones(5, dtype=bool))
    with pytest.raises(ValueError, match="S = 4"):
        smdp_value_iteration(mdp, prim + [wrong])
    with pytest.raises(ValueError, match="not a free cell"):
        four_rooms_layout(goal=(0, 0))
    with pytest.raises(ValueError, match="not a free cell"):
        four_rooms_layout(start=(7, 9))
