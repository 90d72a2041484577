# Known-wrong: off by one -- uses values[:, t] (the value of the state where
# rewards[:, t] was received) instead of values[:, t + 1], i.e. bootstraps one
# step too early.
import numpy as np


def lambda_returns(rewards, values, gamma, lam):
    rewards, values = np.asarray(rewards, float), np.asarray(values, float)
    out = np.empty_like(rewards)
    nxt = values[:, -1]
    for t in range(rewards.shape[1] - 1, -1, -1):
        nxt = rewards[:, t] + gamma * ((1 - lam) * values[:, t] + lam * nxt)
        out[:, t] = nxt
    return out
