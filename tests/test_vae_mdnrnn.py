"""World Models' V and M (chapter 7.1): the ELBO on hand-made inputs, the
MDN-RNN's likelihood and how its temperature changes the samples."""

import math

import numpy as np
import pytest
import torch

from mbrl_lessons.core.seeding import torch_generator
from mbrl_lessons.envs.pixel_pendulum import pixel_pendulum_dataset
from mbrl_lessons.models.mdn import (
    MDNRNN,
    MixtureParams,
    fit_mdnrnn,
    mdn_sample,
    mixture_nll,
)
from mbrl_lessons.models.vae import ConvVAE, fit_vae, gaussian_kl, vae_loss

torch.set_num_threads(1)


def test_vae_loss_on_hand_made_numbers():
    x = torch.tensor([[[0.0, 1.0], [0.5, 0.0]]])
    x_hat = torch.tensor([[[0.1, 0.8], [0.5, 0.5]]])
    mu = torch.tensor([[1.0, 0.0]])
    log_var = torch.tensor([[0.0, math.log(4.0)]])
    loss, recon, kl = vae_loss(x, x_hat, mu, log_var, kl_weight=0.5)
    # Bernoulli cross-entropy, pixel by pixel
    expected = -(math.log(0.9) + math.log(0.8) + math.log(0.5) + math.log(0.5))
    assert recon.item() == pytest.approx(expected, rel=1e-6)
    # KL(N(1, 1) || N(0, 1)) = 1/2;  KL(N(0, 4) || N(0, 1)) = (4 - 1 - log 4) / 2
    assert kl.item() == pytest.approx(0.5 + (3 - math.log(4)) / 2)
    assert loss.item() == pytest.approx(expected + 0.5 * kl.item(), rel=1e-6)
    # the closed form agrees with torch.distributions, and is 0 at the prior
    q = torch.distributions.Normal(mu, (0.5 * log_var).exp())
    p = torch.distributions.Normal(torch.zeros(2), torch.ones(2))
    exact = torch.distributions.kl_divergence(q, p).sum().item()
    assert kl.item() == pytest.approx(exact)
    assert gaussian_kl(torch.zeros(3, 4), torch.zeros(3, 4)).abs().max() == 0
    with pytest.raises(ValueError, match="one shape"):
        vae_loss(x, x_hat[:, :1], mu, log_var)
    with pytest.raises(ValueError, match="kl_weight"):
        vae_loss(x, x_hat, mu, log_var, kl_weight=-1.0)
    with pytest.raises(ValueError, match="frames must be"):
        ConvVAE(24).encode(torch.zeros(2, 20, 20))


def test_vae_learns_to_reconstruct_the_pendulum_and_is_seeded():
    frames = pixel_pendulum_dataset(10, 30, seed=0).frames.flatten(0, 1)
    vae, log = fit_vae(frames, z_dim=4, n_steps=300, seed=1, progress=False)
    again, _ = fit_vae(frames, z_dim=4, n_steps=3, seed=1, progress=False)
    first, _ = fit_vae(frames, z_dim=4, n_steps=3, seed=1, progress=False)
    for a, b in zip(first.parameters(), again.parameters(), strict=True):
        assert torch.equal(a, b)
    # reconstruction error falls far below that of the mean frame
    with torch.no_grad():
        err = (vae.decode(vae.code(frames)) - frames).square().flatten(1).sum(1).mean()
    mean_err = (frames.mean(0) - frames).square().flatten(1).sum(1).mean()
    assert err < 0.5 * mean_err
    assert log[-20:, 0].mean() < 0.5 * log[:20, 0].mean()


def _two_bumps(batch: int) -> MixtureParams:
    """Component 0 (weight e / (e + 1)) at (-1, 0), component 1 at (+1, 0), sd 0.5."""
    logits = torch.tensor([[1.0, 0.0]]).expand(batch, 2)
    mean = torch.tensor([[[-1.0, 0.0], [1.0, 0.0]]]).expand(batch, 2, 2)
    return MixtureParams(logits, mean, torch.full((batch, 2, 2), math.log(0.5)))


def test_mixture_nll_on_hand_made_numbers():
    one = MixtureParams(torch.zeros(1, 1), torch.zeros(1, 1, 1), torch.zeros(1, 1, 1))
    assert mixture_nll(one, torch.zeros(1, 1)).item() == pytest.approx(
        0.5 * math.log(2 * math.pi))
    p = _two_bumps(1)
    y = torch.tensor([[1.0, 0.0]])
    w = torch.softmax(torch.tensor([1.0, 0.0]), 0).tolist()
    dens = [w[k] * np.exp(-0.5 * ((1.0 - m) / 0.5) ** 2) / (2 * np.pi * 0.25)
            for k, m in enumerate((-1.0, 1.0))]
    assert mixture_nll(p, y).item() == pytest.approx(-np.log(sum(dens)), rel=1e-5)


def test_temperature_changes_the_spread_as_the_maths_says():
    p = _two_bumps(40_000)
    draws = {tau: mdn_sample(p, tau, torch_generator(1)) for tau in (0.1, 1.0, 1.5)}
    # within a component the spread is sqrt(tau) sigma (dimension 1) ...
    for tau, x in draws.items():
        assert x[:, 1].std().item() == pytest.approx(0.5 * math.sqrt(tau), rel=0.03)
    # ... and the minor component (at +1) is picked with probability
    # softmax(logits / tau)[1]; P(x > 0) adds each component's tail past 0
    for tau, x in draws.items():
        minor = 1 / (1 + math.exp(1 / tau))
        tail = 0.5 * math.erfc(1 / (0.5 * math.sqrt(tau)) / math.sqrt(2))
        expected = minor * (1 - tail) + (1 - minor) * tail
        assert (x[:, 0] > 0).float().mean().item() == pytest.approx(expected, abs=0.01)
    assert torch.equal(mdn_sample(p, 0.0, torch_generator(0)),
                       torch.tensor([[-1.0, 0.0]]).expand(40_000, 2))


def test_mdnrnn_learns_rare_jumps_that_only_a_warm_sample_keeps():
    """Codes drift by 0.1 * action, but jump by +-1 with probability 0.1:
    the fitted M keeps the jumps at tau = 1 and nearly drops them at tau = 0.1."""
    g = torch_generator(0)
    N, T = 64, 40
    act = 2 * torch.rand(N, T, 1, generator=g) - 1
    jump = (torch.rand(N, T, generator=g) < 0.1) * torch.where(
        torch.rand(N, T, generator=g) < 0.5, -1.0, 1.0)
    z = torch.zeros(N, T + 1, 2)
    for t in range(T):
        z[:, t + 1, 0] = z[:, t, 0] + 0.1 * act[:, t, 0] + jump[:, t]
        z[:, t + 1, 1] = 0.5 * z[:, t, 1] + 0.2 * act[:, t, 0]
    reward = -z[:, :-1, 0].abs()
    model, log = fit_mdnrnn(z, act, reward, hidden=16, n_mixtures=3, n_steps=400,
                            seq_len=20, seed=0, progress=False)
    assert log[-20:, 0].mean() < log[:20, 0].mean() - 1.0
    zs = z[:, :20].reshape(-1, 2)[:1000]
    a = act[:, :20].reshape(-1, 1)[:1000]
    params, r_hat, state = model.step(zs, a, None)
    assert state[0].shape == (1, 1000, 16) and r_hat.shape == (1000,)
    rates = {}
    for tau in (0.1, 1.0):
        nxt = model.next_code(zs, params, tau, torch_generator(3))
        step = nxt[:, 0] - zs[:, 0] - 0.1 * a[:, 0]
        rates[tau] = (step.abs() > 0.5).float().mean().item()
    assert 0.05 < rates[1.0] < 0.16
    assert rates[0.1] < 0.02
    with pytest.raises(ValueError, match="need z"):
        MDNRNN(2)(torch.zeros(3, 2), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="seq_len"):
        fit_mdnrnn(z, act, reward, seq_len=T + 1)
