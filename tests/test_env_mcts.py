"""MCTS on single-agent envs with a copyable simulator (chapter 6)."""

import threading

import gymnasium as gym
import numpy as np
import pytest
from gymnasium import spaces

from mbrl_lessons.core.seeding import make_rng
from mbrl_lessons.dyna import DynaConfig, run_episodes
from mbrl_lessons.envs.mazes import DynaMaze
from mbrl_lessons.search import MCTSAgent, mcts_env, run_mcts_episode


class OneShot(gym.Env):
    """One decision: action 0 pays 1, action 1 pays 0, then the episode ends."""

    observation_space = spaces.Discrete(1)
    action_space = spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, float(action == 0), True, False, {}


def test_backup_by_hand():
    root = mcts_env(OneShot(), 2, make_rng(0), horizon=5)
    assert root.N == 2 and root.W == pytest.approx(1.0)   # returns 1 and 0
    assert root.children[0].reward == 1.0 and root.children[1].reward == 0.0
    assert all(ch.terminal and ch.N == 1 and ch.W == 0.0
               for ch in root.children.values())


def test_search_leaves_the_real_env_untouched():
    env = DynaMaze()
    env.reset(seed=0)
    before = env._state
    mcts_env(env, 50, make_rng(0), horizon=10)
    assert env._state == before


def test_cartpole_is_balanced_with_the_true_simulator():
    env = gym.make("CartPole-v1", max_episode_steps=200)
    ret, steps = run_mcts_episode(env, MCTSAgent(5, seed=0, horizon=30), seed=0,
                                  max_steps=200)
    assert ret == 200 and steps == 200
    ret, _ = run_mcts_episode(gym.make("CartPole-v1", max_episode_steps=200),
                              MCTSAgent(1, seed=0, horizon=30), seed=0, max_steps=200)
    assert ret < 50                  # one simulation per step is a coin flip


def test_a_learned_value_at_the_leaves_finds_the_shortest_path():
    Q = run_episodes(DynaMaze(), DynaConfig(n_planning=5), 2, seed=0).Q
    agent = MCTSAgent(100, seed=0, horizon=30, gamma=0.95,
                      value_fn=lambda env: Q[env._state].max())
    ret, steps = run_mcts_episode(DynaMaze(max_steps=100), agent, max_steps=100)
    assert ret == 1.0 and steps == 14


def test_clear_errors():
    with pytest.raises(TypeError, match="Discrete"):
        mcts_env(gym.make("Pendulum-v1"), 10, make_rng(0))

    class Locked(OneShot):
        def __init__(self):
            self.lock = threading.Lock()

    with pytest.raises(TypeError, match="copyable"):
        mcts_env(Locked(), 10, make_rng(0))
    with pytest.raises(ValueError, match="horizon"):
        mcts_env(OneShot(), 10, make_rng(0), horizon=0)
    with pytest.raises(ValueError, match="gamma"):
        mcts_env(OneShot(), 10, make_rng(0), gamma=2)


def test_same_seed_same_search():
    env = DynaMaze()
    env.reset(seed=0)
    a = mcts_env(env, 60, make_rng(4), horizon=20)
    b = mcts_env(env, 60, make_rng(4), horizon=20)
    assert [c.N for c in a.children.values()] == [c.N for c in b.children.values()]
    assert np.isclose(a.W, b.W)
