"""GridWorld: gymnasium compliance, its true model, seeding, bad input."""

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from hypothesis import given, settings
from hypothesis import strategies as st

from mbrl_lessons.envs import make
from mbrl_lessons.envs.gridworld import DEFAULT_LAYOUT, GridWorld


@pytest.mark.parametrize("slip", [0.0, 0.2])
def test_passes_gymnasium_check_env(slip):
    check_env(GridWorld(slip=slip), skip_render_check=True)
    check_env(make("GridWorld-v0", slip=slip).unwrapped, skip_render_check=True)


def test_unknown_env_id_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown environment id 'Nope-v0'"):
        make("Nope-v0")


def test_same_seed_same_trajectory():
    def rollout(seed):
        env = GridWorld(slip=0.3)
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(0)
        traj = [obs]
        for _ in range(50):
            obs, rew, term, trunc, _ = env.step(int(rng.integers(4)))
            traj.append((obs, rew))
            if term or trunc:
                obs, _ = env.reset()
        return traj

    assert rollout(1) == rollout(1)
    assert rollout(1) != rollout(2)  # slip makes the seed matter


def test_walls_edges_goal_and_trap_rewards():
    env = GridWorld("S#\n.G\nT.", step_reward=-1, goal_reward=10, trap_reward=-5)
    env.reset(seed=0)
    assert env.step(1)[0] == 0           # into the wall: stay
    assert env.step(0)[0] == 0           # off the top edge: stay
    obs, rew, term, _, _ = env.step(2)   # down to a free cell
    assert (obs, rew, term) == (2, -1.0, False)
    obs, rew, term, _, _ = env.step(1)   # right into the goal
    assert (obs, rew, term) == (3, 9.0, True)
    env.reset(seed=0)
    env.step(2)
    obs, rew, term, _, _ = env.step(2)   # down into the trap
    assert (obs, rew, term) == (4, -6.0, True)


def test_true_model_matches_sampled_steps():
    """Empirical next-state frequencies agree with P (catches a model/step mismatch)."""
    env = GridWorld(slip=0.3)
    P, R = env.transition_model()
    s, a, n = env.state_of(2, 2), 1, 20_000
    counts = np.zeros(env.n_states)
    rewards = 0.0
    env.reset(seed=0)
    for _ in range(n):
        env._state = s  # teleport: we test one (s, a) pair many times
        nxt, rew, *_ = env.step(a)
        counts[nxt] += 1
        rewards += rew
    assert np.abs(counts / n - P[s, a]).max() < 0.02
    assert abs(rewards / n - R[s, a]) < 0.05


@settings(max_examples=30, deadline=None)
@given(slip=st.floats(0, 1), data=st.data())
def test_model_rows_are_distributions(slip, data):
    rows = data.draw(st.integers(1, 4))
    cols = data.draw(st.integers(2, 5))
    cells = data.draw(st.lists(st.sampled_from(".#T"), min_size=rows * cols - 2,
                               max_size=rows * cols - 2))
    flat = ["S", "G"] + cells
    layout = ["".join(flat[r * cols:(r + 1) * cols]) for r in range(rows)]
    P, R = GridWorld(layout, slip=slip).transition_model()
    assert np.allclose(P.sum(-1), 1.0) and (P >= 0).all()
    assert np.isfinite(R).all()


def test_set_layout_keeps_numbering_and_changes_model():
    env = GridWorld("S..\n...\n..G")
    P_before, _ = env.transition_model()
    env.set_layout("S#.\n...\n..G")
    P_after, _ = env.transition_model()
    assert env.wall_mask[1] and not np.array_equal(P_before, P_after)
    with pytest.raises(ValueError, match="keep the size"):
        env.set_layout("S.G")


@pytest.mark.parametrize("layout, msg", [
    ("S.\n.", "equal length"),
    ("S.x\n..G", "unknown layout characters"),
    ("...\n..G", "start cell"),
    ("S..\n...", "goal cell"),
    ("", "empty"),
])
def test_bad_layouts_are_refused(layout, msg):
    with pytest.raises(ValueError, match=msg):
        GridWorld(layout)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="slip"):
        GridWorld(slip=1.5)
    env = GridWorld()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(7)


def test_renders_text_and_rgb():
    env = GridWorld(render_mode="ansi")
    env.reset(seed=0)
    assert env.render().splitlines()[0].startswith("A")
    env = GridWorld(render_mode="rgb_array")
    env.reset(seed=0)
    img = env.render()
    rows = len(DEFAULT_LAYOUT.strip().splitlines())
    assert img.dtype == np.uint8 and img.shape[0] == rows * 16 and img.shape[2] == 3
