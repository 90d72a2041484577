"""Chapter 5.2: a conditional VAE as the generative model of a two-outcome
transition, beside the MSE, Gaussian and mixture models, scored by how well
each model's samples match the true next-state distribution.

Full budget: 10 seeds (``MBRL_LESSONS_SEEDS`` raises it), each one job of an
``mbrl_lessons.sweep`` sweep: the three models of ``stochastic_fits`` (1,500
transitions, 200 epochs) and a conditional VAE (one latent dimension, KL
weight 1, 300 epochs at Adam 1e-3) fitted to the same data; at 21 inputs, 400
samples of each model against 400 of the true ``p(s' | s, a)``, by the 1-D
Wasserstein distance.  About 40 s of one core per seed.
Writes results/ch05_vae.json.
"""

import time

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)
cfg = {"n": budget(fast=600, full=1500), "epochs": budget(fast=100, full=200),
       "vae_epochs": budget(fast=150, full=300)}
MODELS = ("MSE", "Gaussian", "mixture", "VAE")


def one_seed(cfg: dict, seed: int) -> dict:
    """Each model's sample distance, and the VAE's NLL and KL, for one seed."""
    import torch

    from mbrl_lessons.analysis.generative import generative_run

    torch.set_num_threads(1)
    run = generative_run(seed=seed, **cfg)
    return {"distance": run.distance, "vae_test_nll": run.vae_test_nll,
            "vae_kl": run.vae_kl, "test_nll": run.fits.test_nll}


t0 = time.time()
sweep = run_sweep(one_seed, {"bimodal": cfg}, range(N_SEEDS), name="ch05_vae")
seconds = time.time() - t0
runs = sweep.per_seed("bimodal")
w1 = {m: [r["distance"][m] for r in runs] for m in MODELS}
targets = [
    Target.over_seeds(
        "mixture_over_gaussian_sample_distance",
        "Wasserstein distance of samples to the true next states: mixture / "
        "Gaussian (the mixture's samples fall on both outcomes)",
        {"mixture": w1["mixture"], "Gaussian": w1["Gaussian"]}, "<=", 0.5,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "vae_minus_gaussian_sample_distance",
        "the same distance, VAE minus Gaussian: the VAE's samples are closer to "
        "the world's than the Gaussian's",
        {"VAE": w1["VAE"], "Gaussian": w1["Gaussian"]}, "<", 0.0,
        statistic="mean_difference"),
    Target.over_seeds(
        "vae_over_gaussian_sample_distance",
        "the same distance, VAE / Gaussian: the VAE matches the world about as "
        "well as the mixture does (half the Gaussian's distance or less)",
        {"VAE": w1["VAE"], "Gaussian": w1["Gaussian"]}, "<=", 0.5,
        statistic="ratio_of_means"),
]
write_results("ch05_vae", config={**cfg, "n_seeds": N_SEEDS, "n_inputs": 21,
                                  "n_samples": 400, "kl_weight": 1.0, "z_dim": 1},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"sample_distance": w1,
                     "vae_test_nll": [r["vae_test_nll"] for r in runs],
                     "vae_kl": [r["vae_kl"] for r in runs],
                     "test_nll": {m: [r["test_nll"][m] for r in runs]
                                  for m in ("point", "gaussian", "mixture")}})
