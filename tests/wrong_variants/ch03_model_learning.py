# Known-wrong: untried pairs are left as all-zero rows (not distributions).
import numpy as np


def estimate_model(transitions, n_states, n_actions):
    counts = np.zeros((n_states, n_actions, n_states))
    sums = np.zeros((n_states, n_actions))
    for s, a, r, s2 in transitions:
        counts[s, a, s2] += 1
        sums[s, a] += r
    n = np.maximum(counts.sum(2), 1)
    return counts / n[:, :, None], sums / n
