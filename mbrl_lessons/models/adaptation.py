"""Keeping a learned dynamics model current when the physics change (ch. 5.5).

Transitions arrive as a stream, in blocks of ``block`` steps, and every
strategy is scored *test-then-train*: the current model first predicts each
block (one-step error on data it has never seen: the chapter's error-vs-time
curve), and only then trains on it.

- :func:`refit_all` refits on everything seen so far (after a change it learns
  a data-weighted blend of the old and the new dynamics);
- :func:`refit_window` refits on the last ``window`` transitions (forgetting);
- :func:`refit_on_change` starts a new model when :func:`first_alarm` sees the
  error jump -- one model per regime, after Doya et al. (2002).

Refits warm-start and take ``updates`` gradient steps whatever the data size,
so all strategies spend the same compute.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

from mbrl_lessons.core.seeding import stream_seed
from mbrl_lessons.envs.nonstationary import Transitions
from mbrl_lessons.models.dynamics import MLPDynamics, TrainConfig, fit_model

MIN_FIT = 20  # fewest transitions a model is (re)fit on


@dataclass(frozen=True)
class AdaptConfig:
    """Model size, refit schedule and training shared by the strategies."""

    block: int = 100
    """Real steps between refits (and the resolution of the error curve)."""
    hidden: int = 64
    """Width of the two hidden layers of each ``MLPDynamics``."""
    updates: int = 150
    """Gradient steps per refit (``fit_model``'s epochs are set to match)."""
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        batch_size=64, lr=3e-3, patience=10))
    """Optimiser settings; ``max_epochs`` is overridden from ``updates``."""
    seed: int = 0
    """Seeds the weights of every model and the shuffles of every refit (each
    from its own named stream: ``"init"``, and ``"refit"`` with the refit's
    last step).  Every strategy starts from the same initial weights."""


@dataclass(frozen=True)
class DetectorConfig:
    """The change detector of :func:`refit_on_change` (see :func:`first_alarm`)."""

    window: int = 50
    """Steps in the running median of the one-step error."""
    threshold: float = 4.0
    """Alarm when the running median exceeds this multiple of the reference."""
    reference: int = 200
    """Fresh-error steps whose median is the current model's pre-change level
    (the detector is off until a new model has been scored on this many)."""


class StreamResult(NamedTuple):
    """What one strategy did on one stream of ``N`` steps in ``K`` blocks."""

    name: str
    block_end: np.ndarray
    """``[K]`` real steps seen at the end of each block."""
    block_error: np.ndarray
    """``[K]`` mean one-step error on each block before training on it (NaN
    for the first block, which no model has seen)."""
    step_error: np.ndarray
    """``[N]`` the same, per step."""
    alarms: tuple[int, ...]
    """Steps at which the detector started a new model (empty for the others)."""
    n_models: int


def one_step_errors(model: MLPDynamics, obs: np.ndarray, act: np.ndarray,
                    next_obs: np.ndarray) -> np.ndarray:
    """``||f(s, a) - s'||`` per transition: ``[N, O], [N, A], [N, O] -> [N]``."""
    with torch.no_grad():
        pred = model.predict(torch.as_tensor(obs), torch.as_tensor(act)).numpy()
    return np.linalg.norm(pred - next_obs, axis=-1)


def first_alarm(errors: np.ndarray, reference: float, window: int,
                threshold: float) -> int | None:
    """The first index ``t`` at which the median of the trailing window
    ``errors[t - window + 1 : t + 1]`` exceeds ``threshold * reference``, or
    ``None`` if there is none.

    The median, not the mean: one-step errors are heavy-tailed (a few states
    the model has rarely seen are predicted badly even when nothing changed),
    and the median ignores them as long as they are fewer than half the
    window.  A change that pushes every error above ``threshold * reference``
    is flagged once more than half of the window lies after it, i.e. within
    ``window // 2 + 1`` steps.
    """
    if window < 1 or threshold <= 0 or reference <= 0:
        raise ValueError("window, threshold and reference must be positive")
    if len(errors) < window:
        return None
    running = np.median(sliding_window_view(errors, window), axis=-1)
    hits = np.flatnonzero(running > threshold * reference)  # [i] ends at i+window-1
    return int(hits[0]) + window - 1 if len(hits) else None


def _check(cfg: AdaptConfig, window: int = MIN_FIT) -> None:
    if window < MIN_FIT or cfg.block < MIN_FIT:
        raise ValueError(f"window and block must be at least {MIN_FIT}, "
                         f"got {window} and {cfg.block}")


def _refit(model: MLPDynamics, data: Transitions, start: int, end: int,
           cfg: AdaptConfig) -> None:
    n_train = (end - start) * (1 - cfg.train.val_fraction)
    epochs = math.ceil(cfg.updates / math.ceil(n_train / cfg.train.batch_size))
    fit_model(model, data.obs[start:end], data.act[start:end],
              data.next_obs[start:end], replace(cfg.train, max_epochs=epochs),
              seed=stream_seed(cfg.seed, "refit", end))


def _result(name: str, errors: np.ndarray, cfg: AdaptConfig,
            alarms: tuple[int, ...] = (), n_models: int = 1) -> StreamResult:
    starts = np.arange(0, len(errors), cfg.block)
    ends = np.minimum(starts + cfg.block, len(errors))
    block_error = np.array([errors[s:e].mean()
                            for s, e in zip(starts, ends, strict=True)])
    return StreamResult(name, ends, block_error, errors, alarms, n_models)


def _test_then_train(data: Transitions, cfg: AdaptConfig, name: str,
                     first_index: Callable[[int], int]) -> StreamResult:
    """Predict each block, then refit on ``data[first_index(end):end]``."""
    n = len(data.obs)
    model = MLPDynamics(3, 1, hidden=cfg.hidden,
                         seed=stream_seed(cfg.seed, "init"))
    errors = np.full(n, np.nan)
    for b0 in range(0, n, cfg.block):
        b1 = min(b0 + cfg.block, n)
        if b0 > 0:
            errors[b0:b1] = one_step_errors(model, *(a[b0:b1] for a in data[:3]))
        _refit(model, data, first_index(b1), b1, cfg)
    return _result(name, errors, cfg)


def refit_all(data: Transitions, cfg: AdaptConfig = AdaptConfig()) -> StreamResult:
    """Strategy (a): after each block, refit on every transition so far."""
    _check(cfg)
    return _test_then_train(data, cfg, "all data", lambda end: 0)


def refit_window(data: Transitions, window: int,
                 cfg: AdaptConfig = AdaptConfig()) -> StreamResult:
    """Strategy (b): refit on the last ``window`` transitions only."""
    _check(cfg, window)
    return _test_then_train(data, cfg, f"window {window}",
                            lambda end: max(0, end - window))


def refit_on_change(data: Transitions, cfg: AdaptConfig = AdaptConfig(),
                    det: DetectorConfig = DetectorConfig()) -> StreamResult:
    """Strategy (c): refit on the current regime's data only, and start a new
    model when :func:`first_alarm` fires on the current model's fresh errors.

    The reference is the median fresh error of the current model over the
    ``det.reference`` steps before each block.  The new regime's data start at
    the alarm step (the old model predicts until ``MIN_FIT`` of them exist).
    The new model starts from a copy of the old weights, a better first guess
    than random ones, and then sees only new data; the old model is kept.
    """
    _check(cfg)
    n = len(data.obs)
    model = MLPDynamics(3, 1, hidden=cfg.hidden,
                         seed=stream_seed(cfg.seed, "init"))
    errors, alarms, library = np.full(n, np.nan), [], []
    seg_start, t_scored = 0, None  # first step of the regime; first one scored
    pending = False  # an alarm was raised but the new model is not fit yet
    for b0 in range(0, n, cfg.block):
        b1 = min(b0 + cfg.block, n)
        if b0 > 0:
            errors[b0:b1] = one_step_errors(model, *(a[b0:b1] for a in data[:3]))
        if not pending and t_scored is not None and b0 - t_scored >= det.reference:
            reference = float(np.median(errors[b0 - det.reference:b0]))
            lo = max(t_scored, b0 - det.window + 1)  # windows ending in block
            hit = first_alarm(errors[lo:b1], reference, det.window, det.threshold)
            if hit is not None:
                seg_start, t_scored, pending = lo + hit, None, True
                alarms.append(seg_start)
        if b1 - seg_start >= MIN_FIT:
            if pending:  # one model per regime (Doya et al. 2002)
                library.append(model)
                model, pending = copy.deepcopy(model), False
            _refit(model, data, seg_start, b1, cfg)
            if t_scored is None:
                t_scored = b1
    return _result("detect + new model", errors, cfg, tuple(alarms),
                   len(library) + 1)
