"""MuZero (§7.5): n-step targets, the unroll, the replay, and a tiny run that
a broken variant loses (the search itself is tested in test_puct.py)."""

import dataclasses

import numpy as np
import pytest
import torch
from gymnasium import spaces

from mbrl_lessons.algorithms import muzero as mz
from mbrl_lessons.envs import encoder_for
from mbrl_lessons.envs.gridworld import GridWorld
from mbrl_lessons.envs.mazes import shortest_path_length
from mbrl_lessons.models.muzero_net import unroll

# from S, "right" reaches G in 4 steps; "left" needs 6; up and down hit walls
TINY = """\
.S..
.##.
...G
"""


def tiny_maze() -> GridWorld:
    return GridWorld(TINY, step_reward=0.0, goal_reward=1.0, max_steps=None)


def test_n_step_value_target_by_hand():
    rew = [0.0, 0.0, 1.0]
    vals = [0.5, 0.6, 0.7, 0.4]
    # terminated: z0 = 0 + .9*0 + .81*v2; z1 = 0 + .9*1 (the end is within n)
    z = mz.n_step_value_targets(rew, vals, gamma=0.9, n=2, terminated=True)
    np.testing.assert_allclose(z, [0.81 * 0.7, 0.9, 1.0, 0.0])
    # truncated: bootstrap from the final observation's search value
    z = mz.n_step_value_targets(rew, vals, gamma=0.9, n=2, terminated=False)
    np.testing.assert_allclose(z, [0.567, 0.9 + 0.81 * 0.4, 1.0 + 0.9 * 0.4, 0.4])
    with pytest.raises(ValueError, match="root_values"):
        mz.n_step_value_targets(rew, vals[:3], 0.9, 2)
    with pytest.raises(ValueError, match="td steps"):
        mz.n_step_value_targets(rew, vals, 0.9, 0)


def test_unroll_shapes_and_errors():
    net = mz.MuZeroNet(obs_dim=7, n_actions=3, latent_dim=8, hidden=16)
    obs, act = torch.rand(5, 7), torch.randint(3, (5, 4))
    out = net.initial_inference(obs)
    assert out[0].shape == (5, 8) and out[1].shape == (5, 3) and out[2].shape == (5,)
    assert out[0].min() >= 0.0 and out[0].max() <= 1.0  # scaled
    u = unroll(net, obs, act)
    assert u.value.shape == (5, 5) and u.reward.shape == (5, 5)
    assert u.logits.shape == (5, 5, 3)
    assert torch.all(u.reward[:, 0] == 0)
    with pytest.raises(ValueError, match="actions"):
        unroll(net, obs, act[:3])


def test_frozen_model_matches_torch():
    net = mz.MuZeroNet(obs_dim=6, n_actions=4, latent_dim=8, hidden=16, seed=3)
    model = mz.FrozenModel(net)
    x = np.eye(6, dtype=np.float32)[2]
    s, logits, v = model.initial(x)
    with torch.no_grad():
        s_t, logits_t, v_t = net.initial_inference(torch.as_tensor(x)[None])
        step_t = net.recurrent_inference(s_t, torch.tensor([1]))
    np.testing.assert_allclose(s, s_t[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(logits, logits_t[0].detach().numpy(), atol=1e-5)
    step = model.recurrent(s, 1)
    assert step.reward == pytest.approx(float(step_t.reward[0]), abs=1e-5)
    assert step.value == pytest.approx(float(step_t.value[0]), abs=1e-5)
    np.testing.assert_allclose(step.next_state, step_t.next_state[0].numpy(),
                               atol=1e-5)


def test_replay_targets_past_the_end():
    rep = mz.EpisodeReplay(obs_dim=3, n_actions=2, K=3)
    obs = np.eye(3, dtype=np.float32)
    pis = np.array([[1.0, 0.0], [0.0, 1.0]])
    rng = np.random.default_rng(0)
    rep.add(obs, np.array([0, 1]), np.array([0.0, 1.0]), pis,
            np.array([0.9, 1.0, 0.0]), True, rng)
    b = rep.sample(8, rng)
    assert b.actions.shape == (8, 3) and b.policy.shape == (8, 4, 2)
    from_1 = b.obs[:, 1] == 1  # rows that start at the second position
    assert from_1.any()
    row = int(torch.nonzero(from_1)[0])
    assert b.actions[row, 0] == 1 and b.reward[row, 1] == 1.0
    np.testing.assert_allclose(b.value[row], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(b.policy_mask[row], [1, 0, 0, 0])
    assert torch.all(b.mask == 1)  # terminated: the absorbing steps count
    with pytest.raises(ValueError, match="policies"):
        rep.add(obs, np.array([0, 1]), np.zeros(2), pis[:1], np.zeros(3), True, rng)


def test_reanalyse_replaces_policy_targets_of_real_positions_only():
    rep = mz.EpisodeReplay(obs_dim=3, n_actions=2, K=3)
    obs = np.eye(3, dtype=np.float32)
    rng = np.random.default_rng(0)
    rep.add(obs, np.array([0, 1]), np.array([0.0, 1.0]),
            np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([0.9, 1.0, 0.0]), True, rng)
    seen = []

    def fresh(o):
        seen.append(int(np.argmax(o)))
        return np.array([0.25, 0.75])

    rep.reanalyse_policies(fresh, 20, np.random.default_rng(1))
    # only positions with a move are searched again, never the terminal cell
    assert len(seen) == 20 and set(seen) == {0, 1}
    b = rep.sample(16, rng)
    np.testing.assert_allclose(b.policy[:, 0], np.tile([0.25, 0.75], (16, 1)))
    row = int(torch.nonzero(b.obs[:, 1] == 1)[0])  # starts at the last move
    np.testing.assert_allclose(b.policy[row, 1:], 0.5)  # past the end: unchanged
    np.testing.assert_allclose(b.policy_mask[row], [1, 0, 0, 0])


def test_bad_config_and_spaces():
    with pytest.raises(ValueError, match="unroll_steps"):
        mz.MuZeroConfig(unroll_steps=0)
    with pytest.raises(ValueError, match="gamma"):
        mz.MuZeroConfig(gamma=1.5)
    with pytest.raises(ValueError, match="reanalyse_positions"):
        mz.MuZeroConfig(reanalyse_positions=-1)
    with pytest.raises(TypeError, match="observation space"):
        encoder_for(spaces.MultiBinary(3))

    class BoxActions(GridWorld):
        def __init__(self):
            super().__init__(TINY)
            self.action_space = spaces.Box(-1, 1, (1,))

    with pytest.raises(TypeError, match="Discrete action space"):
        mz.train(BoxActions(), mz.MuZeroConfig(n_episodes=1))


TINY_CFG = mz.MuZeroConfig(n_episodes=3, n_simulations=8, updates_per_episode=10,
                           batch_size=16, max_episode_steps=100, eval_every=2,
                           eval_max_steps=10, latent_dim=8, hidden=16, seed=0)


def test_train_smoke_and_reproducible():
    a = mz.train(tiny_maze(), TINY_CFG, progress=False)
    assert a.steps_per_episode.shape == (3,) and a.losses.shape == (30, 3)
    assert a.value_maps.shape == (3, 12) and len(a.search_path) == 3
    assert np.isfinite(a.losses).all()
    b = mz.train(tiny_maze(), TINY_CFG, progress=False)
    np.testing.assert_array_equal(a.steps_per_episode, b.steps_per_episode)
    np.testing.assert_array_equal(a.losses, b.losses)


def maze_values(env: GridWorld, gamma: float):
    """The optimal value of each cell of a deterministic maze with reward 1 at
    the goal: ``gamma^(d - 1)`` for a cell ``d`` steps away, 0 at the goal."""
    def value(s: int) -> float:
        if env.goal_mask[s]:
            return 0.0
        probe = tiny_maze()
        probe.start_states = [s]
        return gamma ** (shortest_path_length(probe) - 1)
    return value


def random_walk_replay(seed: int, K: int = 3) -> mz.EpisodeReplay:
    """Uniformly random episodes on TINY; the value targets are the true
    optimal values of the cells visited (a function of the cell alone)."""
    env, rng = tiny_maze(), np.random.default_rng(seed)
    value = maze_values(env, 0.5)  # values far apart
    eye = np.eye(env.n_states, dtype=np.float32)
    rep = mz.EpisodeReplay(env.n_states, 4, K)
    for _ in range(40):
        obs, _ = env.reset(seed=int(rng.integers(1000)))
        xs, acts, rews = [eye[obs]], [], []
        for _ in range(60):
            a = int(rng.integers(4))
            obs, r, term, _, _ = env.step(a)
            xs.append(eye[obs])
            acts.append(a)
            rews.append(r)
            if term:
                break
        z = np.array([value(int(np.argmax(x))) for x in xs])
        rep.add(np.stack(xs), np.array(acts), np.array(rews),
                np.full((len(acts), 4), 0.25), z, term, rng)
    return rep


def fit_and_score(shuffle_actions: bool) -> float:
    """Train the model on random walks; return a held-out value error."""
    rep, rng = random_walk_replay(0), np.random.default_rng(1)
    net = mz.MuZeroNet(12, 4, latent_dim=16, hidden=32, seed=0)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(300):
        b = rep.sample(64, rng)
        if shuffle_actions:  # the actions no longer belong to the trajectory
            b = b._replace(actions=b.actions[torch.randperm(
                len(b.actions), generator=torch.Generator().manual_seed(0))])
        loss = mz.muzero_losses(net, b, step_weight=1.0).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():  # value error of the unrolled steps, held out
        b = random_walk_replay(5).sample(1024, np.random.default_rng(2))
        out = unroll(net, b.obs, b.actions)
        return float(((out.value - b.value)[:, 1:] ** 2).mean())


def test_shuffled_unroll_actions_learn_a_worse_model():
    """With the true actions the unrolled model knows where it has got to and
    what that is worth; with shuffled actions it can only guess an average."""
    good, bad = fit_and_score(False), fit_and_score(True)
    assert good < 0.5 * bad, (good, bad)


def test_evaluation_leaves_the_training_env_alone():
    """The greedy evaluation resets with seed 0 (the same start each time); it
    must do so on a copy, or every run would train on the same random events
    (sticky actions, spawns) after its first checkpoint."""
    class Recording(GridWorld):
        def __init__(self):
            super().__init__(TINY, step_reward=0.0, goal_reward=1.0, max_steps=None)
            self.seeds = []

        def reset(self, *, seed=None, options=None):
            self.seeds.append(seed)
            return super().reset(seed=seed, options=options)

    runs = []
    for seed in (0, 1):
        env = Recording()
        mz.train(env, dataclasses.replace(TINY_CFG, seed=seed))
        runs.append(env.seeds)
        # one seeded reset from the run's stream, then one per episode
        assert env.seeds[0] is not None and 0 not in env.seeds
        assert env.seeds[1:] == [None] * TINY_CFG.n_episodes
    assert runs[0][0] != runs[1][0]
