# Known-wrong: off by one -- uses values[t] as the value of the state where
# rewards[t] was received, i.e. bootstraps one step too early.
import numpy as np


def lambda_returns(rewards, values, gamma, lam):
    out = np.empty_like(rewards, dtype=float)
    nxt = values[-1]
    for t in range(len(rewards) - 1, -1, -1):
        v_next = values[t - 1] if t > 0 else values[0]
        nxt = rewards[t] + gamma * ((1 - lam) * v_next + lam * nxt)
        out[t] = nxt
    return out
