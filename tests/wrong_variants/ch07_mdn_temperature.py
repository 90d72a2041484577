# Known-wrong: the standard deviation is scaled by tau instead of sqrt(tau),
# which agrees with the right answer only at tau = 1 (and tau = 0).
import numpy as np


def sample_at_temperature(logits, means, stds, tau, u, eps):
    rows = np.arange(len(logits))
    if tau == 0:
        return means[rows, logits.argmax(-1)]
    z = logits / tau
    p = np.exp(z - z.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    k = (np.cumsum(p, -1) <= u[:, None]).sum(-1).clip(max=logits.shape[1] - 1)
    return means[rows, k] + tau * stds[rows, k] * eps
