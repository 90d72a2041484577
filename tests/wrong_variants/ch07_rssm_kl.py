# Known-wrong: the KL in the wrong direction, KL(p || q) instead of KL(q || p)
# (divides by the posterior's variance), a mistake that goes unnoticed when
# both standard deviations are equal.
import numpy as np


def rssm_kl(post_mean, post_std, prior_mean, prior_std, free_nats):
    kl = (np.log(post_std / prior_std)
          + (prior_std ** 2 + (post_mean - prior_mean) ** 2) / (2 * post_std ** 2)
          - 0.5).sum(-1)
    return kl, max(float(kl.mean()), free_nats)
