"""Chapter 5.2's conditional VAE and the sample-distance score."""

import numpy as np
import pytest
import torch

from mbrl_lessons.analysis.generative import sample_distances, true_bimodal_sample
from mbrl_lessons.models.vae import ConditionalVAE, gaussian_kl


def test_sample_distance_scores_the_truth_near_zero_and_the_mean_near_the_gap():
    def truth(x, gen):
        rng = np.random.default_rng(int(torch.randint(1 << 30, (1,), generator=gen)))
        return torch.as_tensor(true_bimodal_sample(x.numpy(), rng))

    d = sample_distances({"truth": truth,
                          "mean": lambda x, gen: torch.sin(3 * x[:, 0]),
                          "one branch": lambda x, gen: torch.sin(3 * x[:, 0]) + 0.6},
                         n_inputs=5, n_samples=400)
    assert d["truth"] < 0.05
    # the mean is 0.6 from either outcome; one branch must move half its mass 1.2
    assert d["mean"] == pytest.approx(0.6, abs=0.03)
    assert d["one branch"] == pytest.approx(0.6, abs=0.06)
    with pytest.raises(ValueError, match="n_samples"):
        sample_distances({}, n_samples=1)


def test_cvae_loss_is_reconstruction_plus_weighted_kl():
    x, y = torch.randn(16, 2), torch.randn(16, 1)
    model = ConditionalVAE(2, 1, z_dim=2, kl_weight=0.3, seed=4)
    model.gen.manual_seed(7)
    recon, kl = model.elbo_terms(x, y)
    model.gen.manual_seed(7)
    assert float(model.loss(x, y)) == pytest.approx(float((recon + 0.3 * kl).mean()),
                                                    rel=1e-5)
    # the KL term is the encoder's Gaussian against N(0, I), and is >= 0
    assert torch.allclose(kl, gaussian_kl(*model.encode(x, y)))
    assert (kl >= 0).all()
    # recon is -log N(y; decoder mean, var) at z = mu + sigma * eps
    model.gen.manual_seed(7)
    mu, log_var = model.encode(x, y)
    z = mu + (0.5 * log_var).exp() * torch.randn(mu.shape, generator=model.gen)
    mean, var = model.decode(x, z)
    ref = -torch.distributions.Normal(mean, var.sqrt()).log_prob(y).sum(-1)
    assert torch.allclose(recon, ref, atol=1e-5)
    with pytest.raises(ValueError, match="y"):
        model.loss(x, torch.randn(16, 2))
    with pytest.raises(ValueError, match="kl_weight"):
        ConditionalVAE(2, 1, kl_weight=-1.0)


def test_elbo_is_a_lower_bound_on_the_importance_sampled_likelihood():
    torch.manual_seed(0)
    x, y = torch.randn(64, 1), torch.randn(64, 1)
    model = ConditionalVAE(1, 1, seed=1)
    with torch.no_grad():
        elbo = -torch.stack([model.loss(x, y) for _ in range(200)]).mean()
        log_lik = model.log_likelihood(x, y, torch.Generator().manual_seed(0),
                                       n_draws=2000).mean()
    assert float(elbo) <= float(log_lik) + 1e-3
    # same seed, same samples
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(model.sample(x, g1), model.sample(x, g2))
