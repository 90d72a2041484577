# Known-wrong: credits every step with the whole episode's discounted return
# G_0 (the "total return" estimator), not with the rewards that follow it.
import numpy as np


def reinforce_advantage(rewards, baseline, gamma):
    g0 = sum(gamma ** k * r for k, r in enumerate(rewards))
    return np.full(len(rewards), g0) - baseline
