# Known-wrong: a softmax of the counts divided by T, instead of N^(1/T)
# normalised.
import numpy as np


def visit_policy_target(counts, temperature=1.0):
    counts = np.asarray(counts, dtype=float)
    if temperature == 0:
        out = np.zeros_like(counts)
        out[int(np.argmax(counts))] = 1.0
        return out
    e = np.exp((counts - counts.max()) / temperature)
    return e / e.sum()
