# Known-wrong: divides the squared error by the standard deviation, not the variance.
import numpy as np


def gaussian_nll(mean, var, y):
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2
                                / np.sqrt(var))))
