"""The pixel pendulum as Dreamer meets it (chapter 7, §7.4): the env, the
episodes it yields and the replay that cuts them into training sequences.

:class:`PendulumFrames` wraps gymnasium's ``Pendulum-v1`` so that each
observation is one grey frame of the rod
(:func:`~mbrl_lessons.envs.pixel_pendulum.render_pendulum`); unlike
:class:`~mbrl_lessons.envs.pixel_pendulum.PixelPendulum` (World Models'
task, §7.1) it keeps the real env underneath, its starts and its reward.
:func:`run_pixel_episode` plays one episode with any ``policy(frame)``
under an action repeat, and :class:`SequenceReplay` samples windows of
consecutive decisions from the stored episodes.
"""

from __future__ import annotations

from typing import NamedTuple

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.envs.pixel_pendulum import render_pendulum

SUPPORTED_ENVS = ("Pendulum-v1",)


class PendulumFrames(gym.Wrapper):
    """``Pendulum-v1`` whose observation is one ``size x size`` grey frame of
    the rod (:func:`render_pendulum`), float32 in [0, 1]: the angle is
    visible, the angular velocity is not."""

    def __init__(self, env: gym.Env | str = "Pendulum-v1", size: int = 16) -> None:
        env = gym.make(env) if isinstance(env, str) else env
        if env.spec is None or env.spec.id not in SUPPORTED_ENVS:
            raise ValueError(f"PendulumFrames wraps {SUPPORTED_ENVS}, got "
                             f"{getattr(env.spec, 'id', env)}")
        super().__init__(env)
        self.size = size
        self.observation_space = gym.spaces.Box(0.0, 1.0, (size, size), np.float32)

    def _frame(self, obs) -> np.ndarray:
        theta = float(np.arctan2(obs[1], obs[0]))
        return render_pendulum(theta, self.size).numpy()

    def reset(self, **kw):
        obs, info = self.env.reset(**kw)
        info["state"] = obs
        return self._frame(obs), info

    def step(self, action):
        obs, rew, term, trunc, info = self.env.step(action)
        info["state"] = obs
        return self._frame(obs), rew, term, trunc, info


def as_pixel_env(env, size: int) -> gym.Env:
    """A pixel env of frames ``size x size``: a :class:`PendulumFrames` made
    from an id or a state env, or a pixel env passed through."""
    if isinstance(env, PendulumFrames):
        if env.size != size:
            raise ValueError(f"env renders {env.size}x{env.size} frames but "
                             f"cfg.size is {size}")
        return env
    return PendulumFrames(env, size)


class Episode(NamedTuple):
    frames: np.ndarray   # [T+1, S, S]
    actions: np.ndarray  # [T+1, A]; actions[t] led to frames[t] (actions[0] = 0)
    rewards: np.ndarray  # [T+1]; rewards[t] earned on the way to frames[t]
    conts: np.ndarray    # [T+1]; 0 where the episode terminated at frames[t]


class SequenceReplay:
    """Real episodes, from which training sequences are sampled uniformly."""

    def __init__(self) -> None:
        self.episodes: list[Episode] = []

    def add(self, ep: Episode) -> None:
        self.episodes.append(ep)

    def sample(self, batch: int, seq_len: int, rng: np.random.Generator
               ) -> tuple[torch.Tensor, ...]:
        """``batch`` windows of ``seq_len`` consecutive steps: frames
        ``[B, L, S, S]``, actions ``[B, L, A]``, rewards and continuation
        flags ``[B, L]``."""
        lengths = np.array([len(e.rewards) for e in self.episodes])
        if lengths.min() < seq_len:
            raise ValueError(f"episodes of {lengths.min()} steps are shorter than "
                             f"seq_len = {seq_len}")
        ep_idx = rng.integers(len(self.episodes), size=batch)
        out = [[], [], [], []]
        for i in ep_idx:
            e = self.episodes[i]
            t0 = rng.integers(len(e.rewards) - seq_len + 1)
            for k, arr in enumerate(e):
                out[k].append(arr[t0:t0 + seq_len])
        return tuple(torch.as_tensor(np.stack(x), dtype=torch.float32) for x in out)


def run_pixel_episode(env: gym.Env, policy, seed: int, action_repeat: int,
                      act_dim: int) -> tuple[float, Episode]:
    """One episode with ``policy(frame) -> action`` (a numpy action in the
    env's units), each action repeated ``action_repeat`` real steps.  Returns
    the real return and the episode as the agent saw it (one frame per
    decision)."""
    frame, _ = env.reset(seed=seed)
    frames, acts, rews, conts = [frame], [np.zeros(act_dim)], [0.0], [1.0]
    total, done = 0.0, False
    while not done:
        a = np.asarray(policy(frame), dtype=np.float32)
        r_sum, term = 0.0, False
        for _ in range(action_repeat):
            frame, r, term, trunc, _ = env.step(a)
            r_sum += float(r)
            if term or trunc:
                done = True
                break
        total += r_sum
        frames.append(frame)
        acts.append(a)
        rews.append(r_sum)
        conts.append(0.0 if term else 1.0)
    return total, Episode(np.array(frames, np.float32), np.array(acts, np.float32),
                          np.array(rews, np.float32), np.array(conts, np.float32))
