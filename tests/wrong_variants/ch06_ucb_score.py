# Known-wrong: forgets the logarithm.
import math


def ucb_score(q, n_parent, n_child, c):
    if n_child == 0:
        return math.inf
    return q + c * math.sqrt(n_parent / n_child)
