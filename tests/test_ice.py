"""The sled-on-ice task of chapter 4: dynamics by hand, the known reward, the
crash flag, and the counter the benchmark uses."""

import numpy as np
import torch
from gymnasium.utils.env_checker import check_env

from mbrl_lessons.analysis.ice import ICE_ID, CrashCounter
from mbrl_lessons.envs import make
from mbrl_lessons.envs.ice import CRASH_PENALTY, ice_reward, ice_step
from mbrl_lessons.envs.rewards import known_task


def test_one_step_by_hand_on_ground_and_on_ice():
    obs = torch.tensor([[0.0, 0.4], [1.5, 0.4]])
    act = torch.tensor([[1.0], [1.0]])
    nxt = ice_step(obs, act)
    # ground: v' = 0.5 * 0.4 + 0.2 = 0.4; ice (no friction): v' = 0.4 + 0.2
    assert torch.allclose(nxt, torch.tensor([[0.04, 0.4], [1.56, 0.6]]))


def test_random_pushes_stay_off_the_ice_and_full_thrust_crashes():
    env = make("IceSlide-v0")
    check_env(env.unwrapped)
    rng = np.random.default_rng(0)
    xs = []
    for ep in range(5):
        obs, _ = env.reset(seed=ep)
        done = False
        while not done:
            obs, r, term, trunc, info = env.step(rng.uniform(-1, 1, 1))
            xs.append(obs[0])
            done = term or trunc
    assert max(xs) < 1.0  # random data never see the ice
    obs, _ = env.reset(seed=0)
    crashes, total = 0, 0.0
    for _ in range(80):
        obs, r, _, _, info = env.step(np.ones(1))
        crashes += info["crash"]
        total += r
    assert crashes >= 1 and obs[0] == 4.0


def test_known_reward_matches_the_env_and_charges_the_crash():
    task = known_task(ICE_ID)
    env = make(ICE_ID)
    obs, _ = env.reset(seed=1)
    for a in (1.0, -0.5, 0.3):
        nxt, r, *_ = env.step(np.array([a], np.float32))
        want = task.reward_np(obs[None], np.array([[a]]), nxt[None])[0]
        assert np.isclose(r, want, atol=1e-5)
        obs = nxt
    fast = torch.tensor([[3.9, 3.0]])
    hit = ice_step(fast, torch.tensor([[1.0]]))
    assert float(ice_reward(fast, torch.tensor([[1.0]]), hit)) < -CRASH_PENALTY


def test_crash_counter_ignores_resets_without_steps():
    env = CrashCounter(make(ICE_ID))
    env.reset(seed=0)
    env.reset(seed=0)  # a scheme reading its start state, then the episode
    for _ in range(80):
        env.step(np.ones(1, np.float32))
    env.reset(seed=1)
    env.step(np.zeros(1, np.float32))
    assert len(env.per_episode) == 2 and env.per_episode[0] >= 1
    assert env.per_episode[1] == 0


def test_crash_counter_records_the_peak_speed():
    env = CrashCounter(make(ICE_ID))
    env.reset(seed=0)
    for _ in range(10):
        obs, *_ = env.step(np.ones(1, np.float32))
    # ten full pushes on the ground: v -> 0.4 (1 - 0.5^10), still below 0.4
    assert np.isclose(env.peak_speed[0], 0.4 * (1 - 0.5 ** 10), atol=1e-5)
