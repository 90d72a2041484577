# Known-wrong: stops the backward sum only at terminations, so after a time
# limit the advantage runs on into the next episode.
import numpy as np


def gae(rewards, values, next_values, terminated, done, gamma, lam):
    term = np.asarray(terminated, dtype=float)
    delta = rewards + gamma * (1.0 - term) * next_values - values
    out, a = np.zeros(len(rewards)), 0.0
    for t in range(len(rewards) - 1, -1, -1):
        a = delta[t] + gamma * lam * (1.0 - term[t]) * a
        out[t] = a
    return out
