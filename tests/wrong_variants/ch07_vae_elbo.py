# Known-wrong: the KL uses the log-variance as if it were the variance
# (mu^2 + log_var - 1 - log_var), a slip that is exact only when log_var = 0.
import numpy as np


def neg_elbo(x, x_hat, mu, log_var, beta):
    recon = -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(-1)
    kl = 0.5 * (mu ** 2 + log_var - 1 - log_var).sum(-1)
    return float((recon + beta * kl).mean()), float(recon.mean()), float(kl.mean())
