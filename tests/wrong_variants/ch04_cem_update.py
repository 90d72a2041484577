# Known-wrong: picks the elites with the LOWEST returns.
import numpy as np


def cem_update(samples, returns, n_elites, mean, std, alpha):
    elites = samples[np.argsort(returns)[:n_elites]]
    return (alpha * mean + (1 - alpha) * elites.mean(0),
            alpha * std + (1 - alpha) * elites.std(0))
