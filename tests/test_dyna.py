"""Dyna-Q, Dyna-Q+, prioritized sweeping and the chapter-6 mazes."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.dyna import (
    DynaConfig,
    DynaQ,
    PrioritizedSweeping,
    PSConfig,
    greedy_path_length,
    model_path_length,
    priority,
    run_episodes,
    run_ps_episodes,
    run_steps,
)
from mbrl_lessons.envs.mazes import (
    BlockingMaze,
    DynaMaze,
    ShortcutMaze,
    scaled_dyna_maze,
    shortest_path_length,
)


def test_mazes_are_gymnasium_envs_with_the_books_shapes():
    for env in (DynaMaze(), BlockingMaze(), ShortcutMaze(), scaled_dyna_maze(2)):
        check_env(env, skip_render_check=True)
    assert (DynaMaze().n_rows, DynaMaze().n_cols) == (6, 9)
    assert shortest_path_length(DynaMaze()) == 14
    lengths = [shortest_path_length(scaled_dyna_maze(k)) for k in (1, 2, 3)]
    assert lengths == [14, 28, 42]


def test_blocking_maze_switches_its_wall_at_the_set_step():
    env = BlockingMaze(switch_step=5)
    env.reset(seed=0)
    gap_before = env.state_of(3, 8)
    assert not env.wall_mask[gap_before]
    for _ in range(4):
        env.step(3)
    assert not env.switched
    env.step(3)
    assert env.switched and env.wall_mask[gap_before]
    assert not env.wall_mask[env.state_of(3, 0)]


def test_one_dyna_q_update_by_hand():
    agent = DynaQ(3, 2, DynaConfig(alpha=0.5, gamma=0.9), make_rng(0))
    agent.Q[1] = [2.0, 4.0]
    agent.observe(0, 1, 1.0, 1, False)
    # Q(0,1) = 0 + 0.5 * (1 + 0.9 * 4 - 0) = 2.3
    assert agent.Q[0, 1] == pytest.approx(2.3)
    agent.Q[0, 1] = 0.0
    agent.plan(1)  # the only remembered pair is replayed from the model
    assert agent.Q[0, 1] == pytest.approx(2.3) and agent.backups == 2


def test_plain_dyna_q_planning_is_the_printed_loop():
    """§6.2 prints ``plan_dyna_q``; ``plan`` must run exactly that loop for
    plain Dyna-Q (same draws, same Q), and something else for Dyna-Q+."""
    def agent_after_steps(kappa):
        agent = DynaQ(6, 2, DynaConfig(kappa=kappa), make_rng(4))
        for s in range(5):
            agent.observe(s, s % 2, float(s == 4), s + 1, s == 4)
        return agent

    a, b = agent_after_steps(0.0), agent_after_steps(0.0)
    a.plan(20, current=5)
    b.plan_dyna_q(20)
    np.testing.assert_array_equal(a.Q, b.Q)
    assert a.backups == b.backups == 25
    c, d = agent_after_steps(0.5), agent_after_steps(0.5)
    c.plan(20, current=5)
    d.plan_dyna_q(20)
    assert not np.array_equal(c.Q, d.Q)  # the bonus makes Dyna-Q+ differ


def test_one_priority_by_hand():
    Q = np.zeros((3, 2))
    Q[2] = [1.0, 3.0]
    assert priority(Q, 0, 0, 0.5, 2, False, 0.9) == pytest.approx(0.5 + 2.7)
    assert priority(Q, 0, 0, 0.5, 2, True, 0.9) == pytest.approx(0.5)


def test_prioritized_sweeping_propagates_backwards_through_predecessors():
    # a chain 0 -> 1 -> 2 -> goal(3): after the goal transition is learned, the
    # sweep must push value back to the earlier pairs (a broken predecessor
    # model would leave them at zero)
    agent = PrioritizedSweeping(4, 1, PSConfig(alpha=1.0, gamma=0.9), make_rng(0))
    for s in range(2):
        agent.observe(s, 0, 0.0, s + 1, False)
    agent.observe(2, 0, 1.0, 3, True)
    agent.sweep(10)
    assert agent.Q[:3, 0] == pytest.approx([0.81, 0.9, 1.0])


def test_dyna_q_n50_finds_the_14_step_path():
    stats = run_episodes(DynaMaze(), DynaConfig(n_planning=50), 30, seed=0)
    assert greedy_path_length(DynaMaze(), stats.Q) == 14


def test_planning_beats_no_planning():
    """With n=0 Dyna-Q is Q-learning; planning must shorten early episodes."""
    def mean_steps(n):
        return np.mean([run_episodes(DynaMaze(), DynaConfig(n_planning=n), 5,
                                     seed=s).steps_per_episode[1:5].mean()
                        for s in range(3)])
    assert mean_steps(20) < mean_steps(0) / 3


def test_dyna_q_plus_finds_the_shortcut_dyna_q_misses():
    q = np.mean([run_steps(BlockingMaze(), DynaConfig(n_planning=10, alpha=1.0), 3000,
                           seed=s)[-1] for s in range(3)])
    qp = np.mean([run_steps(BlockingMaze(), DynaConfig(n_planning=10, alpha=1.0,
                                                       kappa=1e-4), 3000,
                            seed=s)[-1] for s in range(3)])
    assert qp > 1.3 * q


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="start_rule"):
        DynaConfig(start_rule="everywhere")
    with pytest.raises(ValueError, match="resolution"):
        scaled_dyna_maze(0)


def test_same_seed_same_run():
    a = run_episodes(DynaMaze(), DynaConfig(n_planning=5), 3, seed=7)
    b = run_episodes(DynaMaze(), DynaConfig(n_planning=5), 3, seed=7)
    assert np.array_equal(a.Q, b.Q)


def test_model_path_length_only_uses_what_the_model_saw():
    maze = DynaMaze()
    start = maze.start_states[0]
    assert model_path_length(maze, {}) is None            # never saw the goal
    # a hand-built model: the true transitions of one 16-step route only
    route = [0, 0] + [1] * 6 + [2] * 3 + [1] * 2 + [0] * 3   # up up right... up
    model, s = {}, start
    for a in route:
        s2 = maze._move(s, a)
        model[(s, a)] = (float(maze.goal_mask[s2]), s2, bool(maze.goal_mask[s2]))
        s = s2
    assert maze.goal_mask[s] and model_path_length(maze, model) == 16
    # a full run's model knows the 14-step route, and planning found it
    stats = run_episodes(DynaMaze(), DynaConfig(n_planning=50), 30, seed=0)
    assert model_path_length(maze, stats.model) == 14
    assert greedy_path_length(maze, stats.Q) == 14


def test_clear_errors_for_bad_settings_and_envs():
    import gymnasium as gym

    for kwargs, word in (({"alpha": 0}, "alpha"), ({"epsilon": 1.5}, "epsilon"),
                         ({"gamma": -0.1}, "gamma"), ({"kappa": -1}, "kappa")):
        with pytest.raises(ValueError, match=word):
            DynaConfig(**kwargs)
    with pytest.raises(ValueError, match="theta"):
        PSConfig(theta=-1)
    with pytest.raises(TypeError, match="Discrete"):
        run_episodes(gym.make("Pendulum-v1"), DynaConfig(), 1)
    with pytest.raises(TypeError, match="Discrete"):
        run_ps_episodes(gym.make("Pendulum-v1"), PSConfig(), 1)
    with pytest.raises(ValueError, match="shape"):
        greedy_path_length(DynaMaze(), np.zeros((3, 4)))


def test_stochastic_model_samples_outcomes_in_proportion():
    agent = DynaQ(4, 2, DynaConfig(model="stochastic"), make_rng(0))
    for _ in range(3):
        agent.observe(0, 1, 0.0, 2, False)
    agent.observe(0, 1, 1.0, 3, True)
    assert agent.counts[(0, 1)] == {(0.0, 2, False): 3, (1.0, 3, True): 1}
    draws = [agent._sample_outcome(0, 1) for _ in range(4000)]
    share = np.mean([d == (1.0, 3, True) for d in draws])
    assert abs(share - 0.25) < 0.03
    assert agent._sample_outcome(1, 0) is None            # never seen
    # the deterministic model keeps only the last outcome
    det = DynaQ(4, 2, DynaConfig(), make_rng(0))
    det.observe(0, 1, 0.0, 2, False)
    det.observe(0, 1, 1.0, 3, True)
    assert {det._sample_outcome(0, 1) for _ in range(20)} == {(1.0, 3, True)}
    with pytest.raises(ValueError, match="model"):
        DynaConfig(model="gaussian")


def test_a_slippery_maze_needs_the_stochastic_model():
    from mbrl_lessons.analysis.planning import stochastic_world

    out = stochastic_world(slip=0.2, n=50, n_seeds=3, n_episodes=30)
    det = out["deterministic"]["greedy_value"][-1]
    sto = out["stochastic"]["greedy_value"][-1]
    assert sto > det + 0.02, (det, sto)
    assert sto > 0.9 * out["v_star"]


def test_per_seed_runs_add_up_to_the_figure_and_reject_bad_names():
    """The benchmark runs one (variant, seed) per job through the sweep; the
    book's functions average the same per-seed runs."""
    from mbrl_lessons.analysis import planning as P

    fig = P.fig8_2(n_values=(5,), n_seeds=2, n_episodes=4)
    runs = [P.fig8_2_run(5, s, 4) for s in range(2)]
    assert fig.steps[5].tolist() == np.mean([r["steps"] for r in runs], 0).tolist()
    assert fig.paths[5] == [r["greedy_path"] for r in runs]
    ex = P.example8_4((1,), n_seeds=2)
    per = [P.example8_4_run(m, s, (1,)) for m in ("dyna_q", "prioritized")
           for s in range(2)]
    assert ex["dyna_q"][0] == np.mean([r["backups"][0] for r in per[:2]])
    assert ex["ratio"][0] == ex["dyna_q"][0] / ex["prioritized"][0]
    with pytest.raises(ValueError, match="method"):
        P.example8_4_run("random", 0, (1,))
    with pytest.raises(ValueError, match="maze"):
        P.changing_maze_run("spiral", False, 0)
    with pytest.raises(ValueError, match="kind"):
        P.stochastic_world_run("gaussian", 0)


def test_cartpole_runs_use_named_streams_and_share_the_start():
    """Same seed, same episode; MCTS and the random policy of a seed start
    from the same state (stream ``cartpole_start``), other seeds do not."""
    import gymnasium as gym

    from mbrl_lessons.analysis.planning import cartpole_mcts_run
    from mbrl_lessons.core.seeding import stream_seed

    a = cartpole_mcts_run(2, 3, max_steps=30)
    assert a == cartpole_mcts_run(2, 3, max_steps=30)
    rnd = cartpole_mcts_run(None, 3, max_steps=30)
    assert rnd == cartpole_mcts_run(None, 3, max_steps=30)
    starts = [gym.make("CartPole-v1").reset(seed=stream_seed(s, "cartpole_start"))[0]
              for s in (3, 3, 4)]
    assert np.array_equal(starts[0], starts[1]) and not np.array_equal(starts[0],
                                                                       starts[2])
