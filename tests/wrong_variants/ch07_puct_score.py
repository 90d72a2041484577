# Known-wrong: plain UCB1's exploration term -- ignores the prior and the
# c1/c2 schedule.
import numpy as np


def puct_score(q, prior, n_parent, n_child, c1=1.25, c2=19652):
    return q + np.sqrt(2 * np.log(np.maximum(n_parent, 1)) / (1 + np.asarray(n_child)))
