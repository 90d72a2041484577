"""The pixel pendulum as a task (chapter 7.1): gymnasium env, batched twin, kicks."""

import numpy as np
import pytest
import torch

from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.envs import make
from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.envs.pixel_pendulum import (
    PixelPendulum,
    PixelPendulumBatch,
    draw_kicks,
    kicked_step,
    render_pendulum,
)


def test_env_and_batch_agree_step_for_step_without_kicks():
    env = make("PixelPendulum-v0")
    obs, info = env.reset(seed=3)
    assert obs.shape == (24, 24) and obs.dtype == np.float32
    batch = PixelPendulumBatch(torch_generator(0))
    frames = batch.reset(states=torch.as_tensor(info["state"])[None])
    np.testing.assert_allclose(frames[0].numpy(), obs, atol=1e-6)
    rng = np.random.default_rng(0)
    for t in range(200):
        a = rng.uniform(-2, 2, 1).astype(np.float32)
        obs, r, term, trunc, info = env.step(a)
        frames, rb = batch.step(torch.as_tensor(a)[None])
        np.testing.assert_allclose(frames[0].numpy(), obs, atol=1e-5)
        assert r == pytest.approx(rb.item(), abs=1e-4)
        assert not term
    assert trunc  # Pendulum-v1's 200-step limit


def test_kicks_are_rare_signed_and_seeded():
    k = draw_kicks(100_000, 0.05, 3.0, torch_generator(1))
    assert set(np.unique(k.numpy())) == {-3.0, 0.0, 3.0}
    assert abs((k != 0).float().mean().item() - 0.05) < 0.003
    assert abs((k > 0).float().mean().item() - 0.025) < 0.002
    assert torch.equal(k, draw_kicks(100_000, 0.05, 3.0, torch_generator(1)))
    s, a = torch.tensor([[1.0, 0.0, 0.5]]), torch.zeros(1, 1)
    # no kick is the ordinary step; a kick adds its velocity before the step
    assert torch.equal(kicked_step(s, a, torch.zeros(1)), pendulum_step(s, a))
    kicked = kicked_step(s, a, torch.tensor([3.0]))
    assert kicked[0, 2].item() == pytest.approx(3.5)
    assert torch.atan2(kicked[0, 1], kicked[0, 0]).item() == pytest.approx(3.5 * 0.05)


def test_kicked_env_reproduces_with_its_seed_and_differs_from_calm():
    def run(env_id, seed):
        env = make(env_id)
        env.reset(seed=seed)
        return [env.step(np.zeros(1, np.float32))[4]["state"] for _ in range(200)]

    a, b = run("PixelPendulumKicks-v0", 5), run("PixelPendulumKicks-v0", 5)
    np.testing.assert_array_equal(a, b)
    calm = run("PixelPendulum-v0", 5)
    assert not np.allclose(a, calm)


def test_batch_reward_is_pendulum_reward_and_bad_input_is_refused():
    batch = PixelPendulumBatch(torch_generator(2))
    frames = batch.reset(8)
    assert frames.shape == (8, 24, 24)
    s = batch.states.clone()
    _, r = batch.step(torch.ones(8, 1))
    torch.testing.assert_close(r, pendulum_reward(s, torch.ones(8, 1)))
    torch.testing.assert_close(batch.frames(),
                               render_pendulum(torch.atan2(batch.states[:, 1],
                                                           batch.states[:, 0])))
    with pytest.raises(ValueError, match="act must be"):
        batch.step(torch.ones(8, 2))
    with pytest.raises(ValueError, match="kick_prob"):
        PixelPendulum(kick_prob=1.5)
    with pytest.raises(ValueError, match="size"):
        PixelPendulumBatch(torch_generator(0), size=4)
    with pytest.raises(RuntimeError, match="reset"):
        PixelPendulum().step(np.zeros(1))
