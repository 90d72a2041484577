"""Why a pixel-Dreamer run fails: the world model or the behaviour (§7.4).

:func:`diagnose` plays a trained agent's noise-free policy for a few real
episodes and measures both halves of Dreamer separately:

- **the world model**: does the latent state know what the task needs?  A
  linear (ridge) probe fitted from the features ``[h, z]`` to the true angle
  (``cos θ``, ``sin θ``) and angular velocity ``θ̇`` on all but the last
  episode, scored by R² on the last; and the reward head's Pearson
  correlation with the real reward of each decision.  The velocity is not in
  any single frame, so a high ``θ̇`` R² means the filter has inferred it.
  These episodes are the agent's own: when its policy only rocks the
  pendulum near the bottom, the held-out episode has little spread and the
  probe's R² is unstable (it can be far below 0), so §7.4 reports the reward
  head's correlation and :func:`imagined_reward_r2`, which uses fresh
  random-torque episodes, instead.
- **the behaviour**: how often the actor's action sits at the edge of the
  action box (``|a| ≥ 0.95 a_max``), and the mean magnitude of its mean
  *before* the tanh squashing.  A tanh-Gaussian actor whose pre-tanh mean
  has grown to several units passes almost no gradient back
  (``d tanh(μ)/dμ = 1 - tanh²(μ)`` is 0.0013 at μ = 4): it is stuck at a
  constant bang-bang torque whatever the critic says.
- **imagination**: the actor learns from the *prior*, rolled open-loop, not
  from the filter.  :func:`imagined_reward_r2` starts the prior at filtered
  states of fresh random-torque episodes, feeds it the actions that were
  really taken, and scores its predicted reward sums over 1 and ``H`` steps
  against the real ones (R²).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from mbrl_lessons.algorithms.dreamer_pixels import (
    DreamerPixelsConfig,
    DreamerPixelsResult,
    PixelAgent,
)
from mbrl_lessons.algorithms.pixel_episodes import as_pixel_env, run_pixel_episode
from mbrl_lessons.core.seeding import stream_rng, stream_seed, torch_generator
from mbrl_lessons.models.rssm import State

SATURATED = 0.95  # |a| >= SATURATED * max_action counts as at the box's edge
RIDGE = 1.0  # the probe's ridge penalty on standardised features


def _r2(pred: np.ndarray, y: np.ndarray) -> float:
    var = float(np.var(y))
    return float(1 - np.mean((pred - y) ** 2) / var) if var > 0 else float("nan")


def ridge_probe_r2(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
                   y_test: np.ndarray, alpha: float = RIDGE) -> float:
    """Held-out R² of a ridge regression from features to one target.

    The features are standardised with the training set's mean and spread and
    the intercept is not penalised; ``alpha`` keeps a probe with about as many
    features as training rows from fitting noise."""
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-8
    a, b = (x_train - mu) / sd, (x_test - mu) / sd
    y0 = y_train.mean()
    w = np.linalg.solve(a.T @ a + alpha * np.eye(a.shape[1]), a.T @ (y_train - y0))
    return _r2(b @ w + y0, y_test)


def imagined_reward_r2(result: DreamerPixelsResult, cfg: DreamerPixelsConfig,
                       seed: int, n_episodes: int = 2, env_id: str = "Pendulum-v1",
                       stride: int = 2) -> dict[str, float]:
    """R² of the prior's predicted reward sums over 1 and ``cfg.horizon``
    decisions against the real sums, from the filtered state at every
    ``stride``-th decision of ``n_episodes`` random-torque episodes (starts
    ``stream_seed(seed, "diagnose_random", k)``), replaying the real actions.
    Keys ``"1"`` and ``str(cfg.horizon)``."""
    env = as_pixel_env(env_id, cfg.size)
    max_a, act_dim = float(env.action_space.high[0]), env.action_space.shape[0]
    rng = stream_rng(seed, "diagnose_random_actions")
    gen = torch_generator(stream_seed(seed, "diagnose_imagine"))
    model, h = result.model, cfg.horizon
    pred, real = [], []
    for k in range(n_episodes):
        _, ep = run_pixel_episode(
            env, lambda _f: rng.uniform(-max_a, max_a, size=act_dim),
            stream_seed(seed, "diagnose_random", k), cfg.action_repeat, act_dim)
        frames = torch.as_tensor(ep.frames)[None]
        acts = torch.as_tensor(ep.actions)
        starts = list(range(0, len(ep.rewards) - h, stride))
        with torch.no_grad():
            post, _ = model.observe(frames, acts[None], gen)
            state = State(*(f[0, starts] for f in post))
            steps = []
            for j in range(1, h + 1):  # actions[t + j] led to frame t + j
                state = model.img_step(state, acts[[t + j for t in starts]], gen)
                steps.append(model.reward(state).numpy() / cfg.reward_scale)
        pred.append(np.stack(steps, 1))
        real.append(np.stack([ep.rewards[t + 1:t + h + 1] for t in starts]))
    pred, real = np.concatenate(pred), np.concatenate(real)
    return {"1": _r2(pred[:, 0], real[:, 0]),
            str(h): _r2(pred.sum(1), real.sum(1))}


def action_response(result: DreamerPixelsResult, cfg: DreamerPixelsConfig,
                    seed: int, n_starts: int = 30, env_id: str = "Pendulum-v1"
                    ) -> dict[str, float]:
    """Does the world model know what the actions do?

    From ``n_starts`` states (a fresh start ``stream_seed(seed,
    "action_response", k)`` then 5-39 decisions of uniform random torque,
    filtered by the posterior), hold full torque ``+a_max`` for ``cfg.horizon``
    decisions, then, from the same state, ``-a_max``: on the real pendulum
    (its state copied back) and in the prior (the mean latent, no sampling).
    The actor's gradient follows the *difference* the model predicts between
    such choices.  Returns ``difference_corr`` (Pearson correlation over
    starts of the predicted against the real return difference ``R(+) -
    R(-)``), ``sign_agreement`` (share of starts where the two differences
    have the same sign) and ``level_corr`` (the same correlation for
    ``R(+)`` itself).  Returns are in the env's units (the reward head's
    output divided by ``cfg.reward_scale``).
    """
    env = as_pixel_env(env_id, cfg.size)
    max_a, act_dim = float(env.action_space.high[0]), env.action_space.shape[0]
    rng = stream_rng(seed, "action_response_actions")
    gen = torch_generator(stream_seed(seed, "action_response_latent"))
    model = result.model
    real, pred = {+1: [], -1: []}, {+1: [], -1: []}
    for k in range(n_starts):
        frame, _ = env.reset(seed=stream_seed(seed, "action_response", k))
        frames, acts = [frame], [np.zeros(act_dim, np.float32)]
        for _ in range(int(rng.integers(5, 40))):
            a = rng.uniform(-max_a, max_a, size=act_dim).astype(np.float32)
            for _ in range(cfg.action_repeat):
                frame = env.step(a)[0]
            frames.append(frame)
            acts.append(a)
        true_state = env.unwrapped.state.copy()
        with torch.no_grad():
            post, _ = model.observe(torch.as_tensor(np.array(frames))[None],
                                    torch.as_tensor(np.array(acts))[None], gen)
            start = State(*(f[:, -1] for f in post))
        for sign in (+1, -1):
            action = np.full(act_dim, sign * max_a, np.float32)
            env.unwrapped.state = true_state.copy()
            total = 0.0
            for _ in range(cfg.horizon * cfg.action_repeat):
                total += float(env.step(action)[1])
            real[sign].append(total)
            with torch.no_grad():
                state, imagined = start, 0.0
                for _ in range(cfg.horizon):
                    state = model.img_step(state, torch.as_tensor(action)[None], gen)
                    state = State(state.deter, state.mean, state.mean, state.std)
                    imagined += float(model.reward(state)) / cfg.reward_scale
            pred[sign].append(imagined)
    d_real = np.subtract(real[+1], real[-1])
    d_pred = np.subtract(pred[+1], pred[-1])
    return {"difference_corr": float(np.corrcoef(d_real, d_pred)[0, 1]),
            "sign_agreement": float(np.mean(np.sign(d_real) == np.sign(d_pred))),
            "level_corr": float(np.corrcoef(real[+1], pred[+1])[0, 1])}


def diagnose(result: DreamerPixelsResult, cfg: DreamerPixelsConfig, seed: int,
             n_episodes: int = 3, env_id: str = "Pendulum-v1") -> dict[str, Any]:
    """Measure the world model and the behaviour of a trained pixel Dreamer.

    Plays ``n_episodes`` (at least 2) noise-free episodes from the starts
    ``stream_seed(seed, "diagnose", k)``.  Returns ``saturated_fraction``,
    ``mean_abs_pre_tanh``, ``reward_corr``, ``probe_r2`` (``cos``, ``sin``,
    ``thetadot``), ``returns`` (one per episode), ``imagined_reward_r2``
    (:func:`imagined_reward_r2` on ``n_episodes`` random-torque episodes) and
    ``action_response`` (:func:`action_response`).
    """
    if not isinstance(result, DreamerPixelsResult):
        raise TypeError(f"result must be a DreamerPixelsResult, got "
                        f"{type(result).__name__}")
    if n_episodes < 2:
        raise ValueError(f"n_episodes must be at least 2 (the probe is fitted on "
                         f"all but the last), got {n_episodes}")
    env = as_pixel_env(env_id, cfg.size)
    max_a = float(env.action_space.high[0])
    agent = PixelAgent(result.model, result.actor, max_a,
                       torch_generator(stream_seed(seed, "diagnose_latent")))
    acts, pre, feats, states, rews, episode_of, returns = [], [], [], [], [], [], []
    for k in range(n_episodes):
        agent.reset()
        frame, info = env.reset(seed=stream_seed(seed, "diagnose", k))
        done, total = False, 0.0
        while not done:
            a = agent.act(frame)
            with torch.no_grad():
                feat = result.model.feature(agent.state)
                mean = result.actor._dist(feat)[0]
            acts.append(a)
            pre.append(mean[0].numpy())
            feats.append(feat[0].numpy())
            states.append(info["state"])
            episode_of.append(k)
            r = 0.0
            for _ in range(cfg.action_repeat):
                frame, rr, term, trunc, info = env.step(a)
                r += float(rr)
                if term or trunc:
                    done = True
                    break
            rews.append(r)
            total += r
        returns.append(total)
    acts, pre = np.asarray(acts), np.asarray(pre)
    feats, states = np.asarray(feats), np.asarray(states)
    rews, episode_of = np.asarray(rews), np.asarray(episode_of)
    with torch.no_grad():
        pred = (result.model.reward_head(torch.as_tensor(feats)).squeeze(-1).numpy()
                / cfg.reward_scale)
    # pred[t] reads the state *after* decision t-1: compare within episodes
    same = episode_of[1:] == episode_of[:-1]
    reward_corr = float(np.corrcoef(pred[1:][same], rews[:-1][same])[0, 1])
    train, test = episode_of < n_episodes - 1, episode_of == n_episodes - 1
    targets = {"cos": states[:, 0], "sin": states[:, 1], "thetadot": states[:, 2]}
    probe = {name: ridge_probe_r2(feats[train], y[train], feats[test], y[test])
             for name, y in targets.items()}
    return {"saturated_fraction": float(np.mean(np.abs(acts) >= SATURATED * max_a)),
            "mean_abs_pre_tanh": float(np.mean(np.abs(pre))),
            "reward_corr": reward_corr, "probe_r2": probe,
            "returns": [float(r) for r in returns],
            "imagined_reward_r2": imagined_reward_r2(result, cfg, seed, n_episodes,
                                                     env_id),
            "action_response": action_response(result, cfg, seed, env_id=env_id)}


# --- §7.4's table, from a results payload ------------------------------------
REPORT_ROWS = (
    ("filter: reward head's correlation with the real reward",
     lambda d: d["reward_corr"]),
    ("imagination: R² of the reward 1 decision ahead",
     lambda d: d["imagined_reward_r2"]["1"]),
    ("imagination: R² of the reward summed over 15 decisions",
     lambda d: d["imagined_reward_r2"]["15"]),
    ("model: correlation of the predicted with the real effect of holding "
     "+2 rather than -2 for 15 decisions",
     lambda d: d["action_response"]["difference_corr"]),
    ("model: share of starts where that effect's sign is right",
     lambda d: d["action_response"]["sign_agreement"]),
    ("actor: share of actions at the box's edge", lambda d: d["saturated_fraction"]),
    ("actor: mean absolute μ before the tanh", lambda d: d["mean_abs_pre_tanh"]),
)


def diagnosis_report(payload: dict[str, Any]) -> str:
    """Markdown for §7.4 from ``results/ch07_dreamer_pixels.json``: a table of
    :data:`REPORT_ROWS`, each the mean over seeds with its 95% bootstrap
    interval, for the agent with and without the deterministic path; then the
    paired gains of the path in imagination's R²; then what a constant full
    torque earns on the real pendulum (:func:`constant_torque_rollout`)."""
    from mbrl_lessons.core.results import bootstrap_ci

    diag = payload["extra"]["diagnose"]

    def values(name, get):
        return np.array([get(d) for d in diag[name]])

    def cell(name, get):
        v = values(name, get)
        lo, hi = bootstrap_ci([v])
        return f"{v.mean():.2f} [{lo:.2f}, {hi:.2f}]"

    lines = ["| measure | RSSM | no deterministic path |", "|---|---|---|"]
    lines += [f"| {label} | {cell('pixels', get)} | {cell('pixels_no_deter', get)} |"
              for label, get in REPORT_ROWS]
    lines.append("")
    for label, get in REPORT_ROWS[1:3]:
        a, b = values("pixels", get), values("pixels_no_deter", get)
        lo, hi = bootstrap_ci([a, b], "mean_difference")
        lines.append(f"- {label}, with the path minus without (paired by seed): "
                     f"{(a - b).mean():+.2f} [{lo:+.2f}, {hi:+.2f}]")
    ret, highest = constant_torque_rollout()
    lines.append(f"- a constant torque of -2 on the real pendulum, from hanging down: "
                 f"return {ret:.0f}; the rod never rises more than {highest:.0f} "
                 f"degrees from the bottom")
    return "\n".join(lines)


def constant_torque_rollout(torque: float = -2.0, steps: int = 200
                            ) -> tuple[float, float]:
    """Roll ``Pendulum-v1`` from hanging still with a constant ``torque``:
    ``(return, highest angle reached, in degrees from the bottom)``."""
    import gymnasium as gym

    env = gym.make("Pendulum-v1")
    env.reset(seed=0)
    env.unwrapped.state = np.array([np.pi, 0.0])
    total, highest = 0.0, 0.0
    for _ in range(steps):
        total += float(env.step(np.array([torque], np.float32))[1])
        angle = float(np.angle(np.exp(1j * env.unwrapped.state[0])))  # 0 = upright
        highest = max(highest, 180.0 - abs(np.degrees(angle)))
    return total, highest
