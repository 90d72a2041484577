"""MinAtar helpers (§7.5's miniature Atari): frames are counted, finished
episodes logged with their returns, learning curves binned by frames."""

import numpy as np
import pytest

from mbrl_lessons.envs.minatar_tools import (
    EpisodeLog,
    FloatObs,
    binned_curve,
    play_returns,
)

pytest.importorskip("minatar")
from mbrl_lessons.envs import make  # noqa: E402
from mbrl_lessons.envs.minatar_tools import make_minatar  # noqa: E402


def test_breakout_env_and_registry():
    env = make("MinAtarBreakout-v1")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (10, 10, 4) and env.action_space.n == 3
    with pytest.raises(ValueError, match="unknown MinAtar game"):
        make_minatar("pong")


def test_episode_log_counts_every_frame_and_each_return():
    env = EpisodeLog(FloatObs(make_minatar("breakout")))
    rng = np.random.default_rng(0)
    rets = play_returns(env, lambda o: int(rng.integers(3)), 5, seed=0)
    assert len(env.episodes) == 5
    assert env.frames == env.episodes[-1][0]
    np.testing.assert_allclose([r for _, r in env.episodes], rets)
    # the same seeds and actions give the same episodes
    rng = np.random.default_rng(0)
    again = play_returns(make_minatar("breakout"), lambda o: int(rng.integers(3)), 5,
                         seed=0)
    np.testing.assert_allclose(again, rets)
    obs, _ = env.reset(seed=1)
    assert obs.dtype == np.float32


def test_play_returns_cuts_long_episodes():
    env = EpisodeLog(make_minatar("breakout"))
    play_returns(env, lambda o: 0, 1, seed=0, max_frames=3)
    assert env.frames <= 3


def test_binned_curve():
    eps = [(5, 1.0), (8, 3.0), (15, 0.0), (40, 2.0)]
    curve = binned_curve(eps, np.array([0, 10, 20, 30, 40]))
    np.testing.assert_allclose(curve, [2.0, 0.0, np.nan, 2.0])
    assert np.isnan(binned_curve([], np.array([0, 1, 2]))).all()
