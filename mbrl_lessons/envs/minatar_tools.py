"""MinAtar helpers for §7.5's miniature Atari: frame counting and play.

MinAtar (Young & Tian 2019, ``pip install minatar``, a benchmark
dependency) shrinks five Atari games to ``10 x 10 x C`` binary frames;
``make_minatar("breakout")`` is its gymnasium env (the game's 3 useful
actions, sticky actions with probability 0.1 as in the MinAtar paper).
:class:`EpisodeLog` counts every real frame an agent uses and records the
return of every finished episode, so that agents that learn in different
ways (MuZero episode by episode, DQN step by step) are compared at equal
real frames.
"""

from __future__ import annotations

from collections.abc import Callable

import gymnasium as gym
import numpy as np

from mbrl_lessons.core.seeding import stream_seed


def make_minatar(game: str = "breakout", *, minimal_actions: bool = True,
                 sticky_action_prob: float = 0.1) -> gym.Env:
    """A MinAtar game as a gymnasium env (observations ``[10, 10, C]`` bool)."""
    try:
        from minatar.gym import BaseEnv
    except ImportError as err:  # pragma: no cover - depends on the install
        raise ImportError("MinAtar is a benchmark dependency: pip install "
                          "'minatar>=1.0.15,<2'") from err
    games = ("asterix", "breakout", "freeway", "seaquest", "space_invaders")
    if game not in games:
        raise ValueError(f"unknown MinAtar game {game!r}; MinAtar has {games}")
    return BaseEnv(game, use_minimal_action_set=minimal_actions,
                   sticky_action_prob=sticky_action_prob)


class EpisodeLog(gym.Wrapper):
    """Counts real frames (``env.step`` calls) and logs finished episodes:
    ``episodes`` holds ``(frames used so far, return)`` per episode."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.frames = 0
        self.episodes: list[tuple[int, float]] = []
        self._ret = 0.0

    def reset(self, **kwargs):
        self._ret = 0.0
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, r, term, trunc, info = self.env.step(action)
        self.frames += 1
        self._ret += float(r)
        if term or trunc:
            self.episodes.append((self.frames, self._ret))
        return obs, r, term, trunc, info


class FloatObs(gym.ObservationWrapper):
    """Bool frames as float32 (what a torch network, e.g. SB3's, expects)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.observation_space = gym.spaces.Box(0.0, 1.0, env.observation_space.shape,
                                                np.float32)

    def observation(self, obs):
        return np.asarray(obs, np.float32)


def play_returns(env: gym.Env, policy: Callable[[np.ndarray], int], n_episodes: int,
                 seed: int, max_frames: int = 2000) -> np.ndarray:
    """Returns ``[n_episodes]`` of ``policy(obs) -> action``; episode ``i``
    starts from ``reset(seed=stream_seed(seed, "eval", i))`` and is cut after
    ``max_frames``."""
    out = np.zeros(n_episodes)
    for i in range(n_episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "eval", i))
        for _ in range(max_frames):
            obs, r, term, trunc, _ = env.step(int(policy(obs)))
            out[i] += r
            if term or trunc:
                break
    return out


def binned_curve(episodes: list[tuple[int, float]], edges: np.ndarray) -> np.ndarray:
    """Mean return of the episodes that ended in each frame bin ``[len(edges)-1]``
    (``nan`` for an empty bin): a learning curve against real frames."""
    if not episodes:
        return np.full(len(edges) - 1, np.nan)
    frames, rets = (np.array(x, float) for x in zip(*episodes, strict=True))
    idx = np.digitize(frames, edges[1:-1])
    return np.array([rets[idx == b].mean() if np.any(idx == b) else np.nan
                     for b in range(len(edges) - 1)])


__all__ = ["EpisodeLog", "FloatObs", "binned_curve", "make_minatar", "play_returns"]
