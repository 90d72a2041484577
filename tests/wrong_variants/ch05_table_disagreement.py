# Known-wrong: compares the members' raw weights instead of their normalised
# next-state distributions (so members with more data look more different).
import numpy as np


def table_disagreement(weights):
    w = np.asarray(weights, dtype=float)
    return ((w - w.mean(axis=0)) ** 2).sum(axis=3).mean(axis=0)
