"""The shared replay buffer: FIFO order, batched adds, seeded sampling, clear errors."""

import numpy as np
import pytest

from mbrl_lessons.core.replay import ReplayBuffer


def _fill(buf, start, n):
    for i in range(start, start + n):
        buf.add([i, -i], [0.5 * i], float(i), [i + 1, -i - 1], i % 7 == 0)


def test_fifo_wraps_and_all_is_oldest_first():
    buf = ReplayBuffer(obs_dim=2, act_dim=1, capacity=5)
    _fill(buf, 0, 8)
    assert len(buf) == 5
    b = buf.all()
    np.testing.assert_array_equal(b.obs[:, 0], [3, 4, 5, 6, 7])
    np.testing.assert_array_equal(b.next_obs[:, 1], [-4, -5, -6, -7, -8])
    np.testing.assert_array_equal(b.terminated, [False, False, False, False, True])


def test_batched_add_equals_one_at_a_time():
    one, many = ReplayBuffer(2, 1, 6), ReplayBuffer(2, 1, 6)
    _fill(one, 0, 9)
    i = np.arange(9)
    many.add(np.stack([i, -i], 1), 0.5 * i[:, None], i, np.stack([i + 1, -i - 1], 1),
             i % 7 == 0)
    for a, b in zip(one.all(), many.all(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_sampling_is_reproducible_and_uniform():
    buf = ReplayBuffer(2, 1, 100)
    _fill(buf, 0, 100)
    a = buf.sample(64, np.random.default_rng(3))
    b = buf.sample(64, np.random.default_rng(3))
    np.testing.assert_array_equal(a.obs, b.obs)
    drawn = buf.sample(20_000, np.random.default_rng(0)).obs[:, 0].astype(int)
    counts = np.bincount(drawn, minlength=100)
    assert counts.min() > 120 and counts.max() < 290  # ~200 each


def test_bad_input_is_refused_clearly():
    with pytest.raises(ValueError, match="capacity"):
        ReplayBuffer(2, 1, 0)
    buf = ReplayBuffer(2, 1, 4)
    with pytest.raises(ValueError, match="empty"):
        buf.sample(1, np.random.default_rng(0))
    with pytest.raises(ValueError, match="act has shape"):
        buf.add([0, 0], [1, 2], 0.0, [0, 0], False)
    _fill(buf, 0, 1)
    with pytest.raises(TypeError, match="Generator"):
        buf.sample(1, 0)
