"""DQN: its TD target by hand, the exploration schedule, the conv path on
image-like observations, clear errors, and that it learns CartPole at a small
budget while a version that bootstraps through terminations does not."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons.algorithms import dqn

torch.set_num_threads(1)
pytestmark = pytest.mark.timeout(300)

SMALL = dict(total_steps=5000, start_steps=500, eps_decay_steps=2500, hidden=64,
             target_update_every=200, lr=1e-3, eval_every=2500, eval_episodes=5)


def test_td_target_by_hand():
    rew = torch.tensor([1.0, 1.0, 0.5])
    term = torch.tensor([False, True, False])
    next_q = torch.tensor([[2.0, 3.0], [5.0, 4.0], [-1.0, -2.0]])
    y = dqn.td_target(rew, term, next_q, gamma=0.9)
    # 1 + 0.9 * 3; terminal: just r; 0.5 + 0.9 * (-1)
    torch.testing.assert_close(y, torch.tensor([3.7, 1.0, -0.4]))
    # double DQN: the online net picks a', the target net scores it
    online = torch.tensor([[9.0, 0.0], [0.0, 9.0], [0.0, 9.0]])
    y2 = dqn.td_target(rew, term, next_q, 0.9, next_q_online=online)
    torch.testing.assert_close(y2, torch.tensor([2.8, 1.0, -1.3]))


def test_epsilon_schedule():
    cfg = dqn.DQNConfig(start_steps=10, eps_start=1.0, eps_end=0.1, eps_decay_steps=100)
    assert dqn.epsilon_at(1, cfg) == 1.0 and dqn.epsilon_at(10, cfg) == 1.0
    assert dqn.epsilon_at(60, cfg) == pytest.approx(0.55)
    assert dqn.epsilon_at(110, cfg) == pytest.approx(0.1)
    assert dqn.epsilon_at(10_000, cfg) == pytest.approx(0.1)


class Frames(gym.Env):
    """MinAtar-like: ``[5, 6, 2]`` boolean frames; a lit cell in channel 0 says
    which of 3 actions pays 1 (one-step episodes)."""

    observation_space = gym.spaces.Box(0, 1, (5, 6, 2), bool)
    action_space = gym.spaces.Discrete(3)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.good = int(self.np_random.integers(3))
        obs = np.zeros((5, 6, 2), bool)
        obs[1 + self.good, 2, 0] = True
        return obs, {}

    def step(self, action):
        return (np.zeros((5, 6, 2), bool), float(action == self.good), True, False,
                {})


def test_conv_encoder_learns_image_observations():
    cfg = dqn.DQNConfig(total_steps=1500, start_steps=100, eps_decay_steps=500,
                        hidden=32, lr=3e-3, target_update_every=50, eval_every=1500,
                        eval_episodes=30, seed=1)
    res = dqn.train(Frames(), cfg, eval_env=Frames())
    assert isinstance(res.agent.q, dqn.ConvQ)
    assert res.agent.q(torch.zeros(4, 5, 6, 2)).shape == (4, 3)
    assert res.agent.q.conv.out_channels == 16
    assert res.eval_returns[-1] > 0.9  # random play scores 1/3
    # booleans stored compactly
    flat = dqn.train(Frames(), dqn.DQNConfig(total_steps=50, start_steps=10,
                                             encoder="mlp", hidden=8, eval_every=50,
                                             eval_episodes=1), eval_env=Frames())
    assert isinstance(flat.agent.q, dqn.FlatQ)


def test_frame_replay_keeps_shape_and_compact_dtype():
    buf = dqn.FrameReplay((5, 6, 2), bool, 4)
    assert buf.obs.dtype == np.uint8 and buf.obs.shape == (4, 5, 6, 2)
    for i in range(6):  # wraps around
        buf.add(np.full((5, 6, 2), i % 2, bool), i % 3, float(i), np.zeros((5, 6, 2)),
                i == 5)
    assert buf.size == 4 and sorted(buf.rew) == [2.0, 3.0, 4.0, 5.0]
    obs, act, rew, nxt, term = buf.sample(8, np.random.default_rng(0))
    assert obs.shape == (8, 5, 6, 2) and obs.dtype == torch.float32
    assert act.dtype == torch.int64 and term.dtype == torch.bool


def test_dqn_rejects_bad_input():
    with pytest.raises(TypeError, match="Discrete action"):
        dqn.train("Pendulum-v1", dqn.DQNConfig(total_steps=10))
    with pytest.raises(TypeError, match="Box observation"):
        dqn.train("FrozenLake-v1", dqn.DQNConfig(total_steps=10))
    with pytest.raises(ValueError, match="conv"):
        dqn.train("CartPole-v1", dqn.DQNConfig(total_steps=10, encoder="conv"))
    with pytest.raises(ValueError, match="encoder"):
        dqn.DQNConfig(encoder="resnet")
    with pytest.raises(ValueError, match="batch_size"):
        dqn.DQNConfig(batch_size=0)
    with pytest.raises(ValueError, match="eps_end"):
        dqn.DQNConfig(eps_start=0.1, eps_end=0.5)


def test_same_seed_same_result():
    cfg = dqn.DQNConfig(total_steps=300, start_steps=100, hidden=16, eval_every=300,
                        eval_episodes=1, seed=4)
    a, b = (dqn.train("CartPole-v1", cfg) for _ in range(2))
    assert a.episode_returns == b.episode_returns and a.losses == b.losses
    for p, q in zip(a.agent.q.parameters(), b.agent.q.parameters(), strict=True):
        assert torch.equal(p, q)


def test_dqn_learns_cartpole_and_a_broken_target_does_not(monkeypatch):
    cfg = dqn.DQNConfig(**SMALL, seed=0)
    good = dqn.train("CartPole-v1", cfg)
    assert good.eval_returns[-1] > 120, good.eval_returns  # random play: ~22
    # bootstrapping through terminations: every state looks worth 1/(1-gamma),
    # the pole's fall carries no signal, and the greedy policy stays poor
    orig = dqn.td_target
    monkeypatch.setattr(dqn, "td_target", lambda rew, term, nq, g, no=None:
                        orig(rew, torch.zeros_like(term), nq, g, no))
    broken = dqn.train("CartPole-v1", cfg)
    assert max(broken.eval_returns) < 60, broken.eval_returns
