# Known-wrong: a running MEAN instead of the running median -- a couple of
# badly predicted states in one window are enough to raise a false alarm.
import numpy as np


def first_alarm(errors, reference, window, threshold):
    errors = np.asarray(errors, dtype=float)
    for t in range(window - 1, len(errors)):
        if np.mean(errors[t - window + 1:t + 1]) > threshold * reference:
            return t
    return None
