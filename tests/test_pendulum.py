"""The torch Pendulum model matches gymnasium's Pendulum-v1 step for step."""

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step


def test_true_model_and_reward_match_gymnasium():
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=3)
    rng = np.random.default_rng(0)
    for _ in range(100):
        act = rng.uniform(-2.5, 2.5, size=1).astype(np.float32)  # clipping too
        o = torch.as_tensor(obs, dtype=torch.float32)
        a = torch.as_tensor(act)
        pred_next = pendulum_step(o, a).numpy()
        pred_rew = float(pendulum_reward(o, a))
        obs, rew, *_ = env.step(act)
        assert np.allclose(pred_next, obs, atol=1e-4)
        assert abs(pred_rew - rew) < 1e-3


def test_batched_shapes():
    obs = torch.zeros(7, 5, 3)
    obs[..., 0] = 1
    act = torch.zeros(7, 5, 1)
    assert pendulum_step(obs, act).shape == (7, 5, 3)
    assert pendulum_reward(obs, act).shape == (7, 5)
