# Known-wrong: skips the prediction step (reweights the old belief by the
# observation only), right only when the state cannot change.
import numpy as np


def belief_update(b, a, o, P, Z):
    unnormalised = Z[a, :, o] * np.asarray(b, dtype=float)
    return unnormalised / unnormalised.sum()
