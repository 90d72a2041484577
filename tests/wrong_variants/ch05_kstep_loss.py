# Known-wrong: teacher forcing -- feeds the TRUE state back in, so it is k
# one-step losses, not an unrolled one.
import numpy as np


def kstep_loss(predict, obs, act):
    k = act.shape[1]
    return sum(np.mean(np.sum((predict(obs[:, j], act[:, j]) - obs[:, j + 1]) ** 2,
                              axis=-1)) for j in range(k)) / k
