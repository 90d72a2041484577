"""The pixel pendulum and the latent dynamics model (chapter 5.7)."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from mbrl_lessons.envs.pixel_pendulum import (
    frame_angle,
    pixel_pendulum_dataset,
    render_pendulum,
    stack_frames,
)
from mbrl_lessons.models.latent import (
    LatentConfig,
    LatentModel,
    latent_losses,
    linear_probe_r2,
    pixel_transitions,
    rollout,
    train_latent,
)


def test_renderer_shapes_range_and_angles():
    theta = torch.linspace(-math.pi, math.pi, 9)[:-1]
    frames = render_pendulum(theta, size=24)
    assert frames.shape == (8, 24, 24) and frames.dtype == torch.float32
    assert frames.min() >= 0.0 and frames.max() <= 1.0
    assert frames.max() == 1.0  # the bob is fully lit
    # every pair of the 8 angles (45 degrees apart) gives a clearly different image
    diff = (frames[:, None] - frames[None]).abs().flatten(2).sum(-1)
    assert diff[~torch.eye(8, dtype=torch.bool)].min() > 10.0
    # upright: the bright pixels are in the upper half of the image
    up = render_pendulum(0.0, size=24)
    assert up[:12].sum() > 10 * up[12:].sum()
    # the angle can be read back from the picture (used to score predictions)
    th = torch.linspace(-3.1, 3.1, 200)
    assert (frame_angle(render_pendulum(th)) - th).abs().max() < 0.01
    # soft edges: the image changes in proportion to tiny changes of angle
    # (measured 0.123 and 1.230 for 0.001 and 0.01 rad; a hard-edged
    # renderer would mostly not change at all, then jump)
    def change(d):
        return (render_pendulum(0.5) - render_pendulum(0.5 + d)).abs().sum()

    assert change(0.001) > 0
    assert change(0.01) / change(0.001) == pytest.approx(10, rel=0.2)


def test_renderer_is_fast():
    """The module's docstring promises 5,000 frames of 24 x 24 in under 0.1 s
    on one thread (50,000 a second; measured ~50,000 wall-clock at nice 19
    beside two benchmarks, ~73,000 in CPU time).  Chapter 7's pixel agents
    render every frame they see, so a renderer five times slower than the
    promise fails here: at least 10,000 frames a second, best of five."""
    import time

    theta = torch.linspace(-math.pi, math.pi, 5_000)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        render_pendulum(theta, size=24)  # warm-up
        best = math.inf
        for _ in range(5):
            t0 = time.perf_counter()
            frames = render_pendulum(theta, size=24)
            best = min(best, time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    assert frames.shape == (5_000, 24, 24)
    assert len(theta) / best >= 10_000, f"{len(theta) / best:,.0f} frames/s"


def test_dataset_follows_the_pendulum_and_stacks_pairs():
    data = pixel_pendulum_dataset(3, 5, seed=0, size=16)
    assert data.frames.shape == (3, 6, 16, 16)
    assert data.actions.shape == (3, 5, 1) and data.states.shape == (3, 6, 3)
    assert data.actions.abs().max() <= 2.0
    theta = torch.atan2(data.states[..., 1], data.states[..., 0])
    assert torch.allclose(data.frames, render_pendulum(theta, size=16))
    again = pixel_pendulum_dataset(3, 5, seed=0, size=16)
    assert torch.equal(data.frames, again.frames)  # same seed, same data
    obs = stack_frames(data.frames)
    assert obs.shape == (3, 5, 2, 16, 16)
    assert torch.equal(obs[:, 1, 0], obs[:, 0, 1])  # pairs overlap by one frame


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="at least 8"):
        render_pendulum(0.0, size=4)
    with pytest.raises(ValueError, match="fits in the frame"):
        render_pendulum(0.0, rod_length=0.95)
    with pytest.raises(ValueError, match=r"\[N, T, H, W\]"):
        stack_frames(torch.zeros(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"\[\.\.\., S, S\]"):
        frame_angle(torch.zeros(3, 8, 6))
    with pytest.raises(ValueError, match="n_episodes"):
        pixel_pendulum_dataset(0, 5, seed=0)
    model = LatentModel(LatentConfig(hidden=8, trans_hidden=8))
    with pytest.raises(ValueError, match="two stacked frames"):
        model.encode(torch.zeros(4, 24, 24))  # one frame, not a pair
    with pytest.raises(ValueError, match=r"\[B, K, 1\]"):
        rollout(model, torch.zeros(2, 24, 24), torch.zeros(5, 1))
    with pytest.raises(ValueError, match="act must be"):
        model.step(torch.zeros(3, 6), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"\[B, K\+1"):
        latent_losses(model, torch.zeros(2, 3, 2, 24, 24), torch.zeros(2, 3, 1))
    data = pixel_pendulum_dataset(2, 4, seed=0, size=16)
    with pytest.raises(ValueError, match="pixels wide"):
        train_latent(data, LatentConfig(image_size=24), progress=False)
    with pytest.raises(ValueError, match="too short"):
        train_latent(pixel_pendulum_dataset(2, 4, seed=0), LatentConfig(unroll=4),
                     progress=False)
    with pytest.raises(ValueError, match="cannot fit"):
        linear_probe_r2(np.zeros((3, 6)), np.zeros((3, 2)), np.zeros((3, 6)),
                        np.zeros((3, 2)))


def test_rollout_shapes_and_it_stays_in_latent_space():
    cfg = LatentConfig(hidden=16, trans_hidden=16, latent_dim=5)
    model = LatentModel(cfg)
    obs0 = torch.rand(3, 2, 24, 24)
    acts = torch.rand(3, 7, 1, generator=torch.Generator().manual_seed(0)) * 4 - 2
    out = rollout(model, obs0, acts)
    assert out.latents.shape == (3, 8, 5) and out.frames.shape == (3, 8, 24, 24)
    assert out.frames.min() >= 0 and out.frames.max() <= 1
    with torch.no_grad():
        z = model.encode(obs0)
        assert torch.allclose(out.latents[:, 0], z)
        for k in range(7):
            z = model.step(z, acts[:, k])
        assert torch.allclose(out.latents[:, -1], z, atol=1e-6)
    one = rollout(model, obs0[0], acts)  # one start pair, many action sequences
    assert one.latents.shape == (3, 8, 5)
    looped = rollout(model, obs0, acts, through_pixels=True)
    assert looped.frames.shape == (3, 8, 24, 24)


def test_probe_recovers_a_linear_signal():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 4))
    y = z @ rng.normal(size=(4, 2)) + 1.0
    assert linear_probe_r2(z[:100], y[:100], z[100:], y[100:]) == pytest.approx(1.0)
    noise = rng.normal(size=(200, 2))
    assert linear_probe_r2(z[:100], noise[:100], z[100:], noise[100:]) < 0.1


@pytest.fixture(scope="module")
def tiny_run():
    """600 Adam steps on 40 short episodes: about 2 s on one thread."""
    torch.set_num_threads(1)
    data = pixel_pendulum_dataset(40, 20, seed=0)
    test = pixel_pendulum_dataset(20, 20, seed=100)
    cfg = LatentConfig(hidden=64, trans_hidden=64, unroll=2, n_steps=600,
                       batch_size=32, seed=0)
    return data, test, cfg, train_latent(data, cfg, progress=False)


def _codes(model, data):
    obs, _ = pixel_transitions(data)
    with torch.no_grad():
        z = model.encode(obs)
    # obs t ends with frame t + 1: probe against that frame's angle
    return obs, z.flatten(0, 1).numpy(), data.states[:, 1:, :2].flatten(0, 1).numpy()


def test_training_is_reproducible_and_reconstruction_improves(tiny_run):
    data, test, cfg, res = tiny_run
    assert res.losses.shape == (600, 3) and np.isfinite(res.losses).all()
    short = replace(cfg, n_steps=20)
    first = train_latent(data, short, progress=False)
    again = train_latent(data, short, progress=False)
    assert np.array_equal(first.losses, again.losses)  # same seed, same numbers
    assert np.array_equal(first.losses, res.losses[:20])
    # training BCE per observation: ~145 at the start (decoder = mean image),
    # ~42-47 after 600 steps over seeds 0-3 (its floor, the entropy of the
    # soft-edged targets, is ~32), a factor of 3.05-3.45; we ask for 2.5
    rec = res.losses[:, 0]
    assert rec[0] / rec[-20:].mean() > 2.5
    # held-out pixel MSE against the mean-image guess: 4.9-7.7x lower
    # over seeds 0-3; we ask for 3.5x
    obs, _, _ = _codes(res.model, test)
    with torch.no_grad():
        mse = (res.model.decode(res.model.encode(obs)) - obs).square().mean()
    blank = (obs - pixel_transitions(data)[0].mean((0, 1))).square().mean()
    assert blank / mse > 3.5


def test_latent_rollout_beats_copying_the_last_frame(tiny_run):
    _, test, _, res = tiny_run
    obs, act = pixel_transitions(test)
    out = rollout(res.model, obs[:, 0], act[:, :5])
    truth = torch.atan2(test.states[:, 1:7, 1], test.states[:, 1:7, 0])
    gap = torch.remainder(frame_angle(out.frames) - truth + math.pi, 2 * math.pi)
    err = (gap - math.pi).abs()[:, 5].median()
    copy = torch.remainder(truth[:, 0] - truth[:, 5] + math.pi, 2 * math.pi)
    # median angle error after 5 steps over "the pendulum stays where it is":
    # 0.30-0.61 of it over seeds 0-3 after this tiny run (10 vs 33 degrees for
    # seed 0); we ask for below 0.75
    assert err < 0.75 * (copy - math.pi).abs().median()


def test_linear_probe_finds_the_angle_in_the_latent(tiny_run):
    data, test, cfg, res = tiny_run
    _, z_fit, y_fit = _codes(res.model, data)
    _, z_test, y_test = _codes(res.model, test)
    # measured over seeds 0-3: trained 0.86-0.94, the same probe on an
    # untrained encoder 0.37-0.48; 0.75 separates the two with margin
    assert linear_probe_r2(z_fit, y_fit, z_test, y_test) > 0.75
    fresh = LatentModel(cfg)
    _, z0_fit, _ = _codes(fresh, data)
    _, z0_test, _ = _codes(fresh, test)
    assert linear_probe_r2(z0_fit, y_fit, z0_test, y_test) < 0.6
