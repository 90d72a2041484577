"""The known-reward registry: one ``(obs, act, next_obs)`` convention, and a
clear error (never a silent pendulum reward) for an environment it lacks."""

import gymnasium as gym
import numpy as np
import pytest
import torch

from mbrl_lessons.envs.rewards import (
    KNOWN_TASKS,
    known_task,
    never_terminates,
    resolve_task,
)


def test_pendulum_task_matches_env_step_with_three_arguments():
    task = known_task("Pendulum-v1")
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(1)
    O, A, N, R = [], [], [], []
    for _ in range(50):
        act = rng.uniform(-2, 2, size=1).astype(np.float32)
        nxt, rew, term, _, _ = env.step(act)
        O.append(obs), A.append(act), N.append(nxt), R.append(rew)
        assert not term
        obs = nxt
    O, A, N = (torch.as_tensor(np.array(x)) for x in (O, A, N))
    assert torch.allclose(task.reward_fn(O, A, N), torch.tensor(R, dtype=torch.float32),
                          atol=1e-3)
    assert not task.termination_fn(O, A, N).any()
    # numpy in, numpy out, same numbers
    np.testing.assert_allclose(task.reward_np(O.numpy(), A.numpy(), N.numpy()), R,
                               atol=1e-3)


def test_known_task_takes_an_env_and_unknown_ids_list_the_known_ones():
    assert known_task(gym.make("Pendulum-v1")) is KNOWN_TASKS["Pendulum-v1"]
    with pytest.raises(ValueError, match="no known reward.*'CartPole-v1'.*Pendulum-v1"):
        known_task("CartPole-v1")


def test_mujoco_tasks_are_merged_and_locomotion_reward_is_not_invented():
    assert KNOWN_TASKS["InvertedPendulum-v5"].reward_fn is not None
    cheetah = KNOWN_TASKS["HalfCheetah-v5"]
    assert cheetah.reward_fn is None
    with pytest.raises(ValueError, match="learned"):
        cheetah.reward_np(np.zeros((1, 17)), np.zeros((1, 6)), np.zeros((1, 17)))
    # a planner needs the reward; a learner that learns it does not
    with pytest.raises(ValueError, match="reward_fn="):
        resolve_task("HalfCheetah-v5")
    rew, term = resolve_task("HalfCheetah-v5", need_reward=False)
    assert rew is None and term is cheetah.termination_fn


def test_resolve_task_prefers_explicit_functions():
    def mine(obs, act, next_obs):
        return next_obs[:, 0]

    rew, term = resolve_task("Pendulum-v1", reward_fn=mine)
    assert rew is mine and term is KNOWN_TASKS["Pendulum-v1"].termination_fn
    # an unknown env is fine once the reward is given; it then never terminates
    rew, term = resolve_task("CartPole-v1", reward_fn=mine)
    assert rew is mine and term is never_terminates
    with pytest.raises(ValueError, match="CartPole-v1"):
        resolve_task("CartPole-v1")
    with pytest.raises(ValueError, match="termination_fn="):
        resolve_task("CartPole-v1", need_reward=False)
