"""Chapter 4's distribution-mismatch task: the sled and the ice.

:func:`ice_schemes` runs schemes v0.5, v1.0 and v1.5 on
``mbrl_lessons/IceSlide-v0`` with one seed and reports, besides their
returns, how often each crashed into the wall while it collected data or was
evaluated, and (for v0.5) how wrong its model is on the random data it was
fitted to and on the states its own plan led to.
"""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np

from mbrl_lessons.algorithms.schemes import SchemeConfig, v0_5, v1_0, v1_5_mpc
from mbrl_lessons.analysis.schemes import model_errors
from mbrl_lessons.envs import make
from mbrl_lessons.planning import PlannerConfig

ICE_ID = "mbrl_lessons/IceSlide-v0"


class CrashCounter(gym.Wrapper):
    """Counts, per episode, the steps whose ``info["crash"]`` is set, and
    records the episode's peak speed ``max |v|`` and farthest position
    ``max x`` (``obs = [x, v]``)."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        # [steps, crashes, peak speed, farthest x] per reset
        self._episodes: list[list[float]] = []

    @property
    def per_episode(self) -> list[int]:
        """Crashes in each episode (the schemes reset once to read the start
        state they plan from: a reset with no step after it is skipped)."""
        return [int(e[1]) for e in self._episodes if e[0] > 0]

    @property
    def peak_speed(self) -> list[float]:
        """The largest ``|v|`` of each episode."""
        return [e[2] for e in self._episodes if e[0] > 0]

    @property
    def farthest(self) -> list[float]:
        """The largest ``x`` of each episode."""
        return [e[3] for e in self._episodes if e[0] > 0]

    def reset(self, **kwargs):
        self._episodes.append([0, 0, 0.0, -np.inf])
        return self.env.reset(**kwargs)

    def step(self, action):
        obs, r, term, trunc, info = self.env.step(action)
        ep = self._episodes[-1]
        ep[0] += 1
        ep[1] += int(info.get("crash", False))
        ep[2] = max(ep[2], abs(float(obs[1])))
        ep[3] = max(ep[3], float(obs[0]))
        return obs, r, term, trunc, info


def ice_config(n_episodes: int = 10, seed: int = 0, fast: bool = False
               ) -> SchemeConfig:
    """The schemes' settings on the sled (80-step episodes): open-loop plans
    over the whole episode, MPC over 25 steps."""
    if fast:  # the notebook's live run: smaller searches, same horizons
        mpc = PlannerConfig(horizon=25, n_candidates=50, n_iterations=3, n_elites=5)
        whole = PlannerConfig(horizon=80, n_candidates=200, n_iterations=6,
                              n_elites=20)
    else:
        mpc = PlannerConfig(horizon=25, n_candidates=200, n_iterations=4,
                            n_elites=20)
        whole = PlannerConfig(horizon=80, n_candidates=400, n_iterations=8,
                              n_elites=40)
    return SchemeConfig(seed=seed, n_episodes=n_episodes, planner=mpc,
                        open_loop_planner=whole)


def ice_schemes(cfg: SchemeConfig) -> dict:
    """v0.5, v1.0 and v1.5 on the sled with ``cfg`` (one seed).

    Returns ``{scheme: {"returns": per episode, "final": final return,
    "crashes": crashes per episode (data collection, then for v0.5 its
    evaluation episodes), "peak_speed": the largest |v| of each of those
    episodes, "farthest": the largest x of each}}`` and, for v0.5,
    ``"model_error"``: the median one-step error of its model on its training
    data and on the states its plan visited, and the largest position in its
    training data and in its plans.
    """
    out: dict = {}
    for name, fn in (("v0.5", v0_5), ("v1.0", v1_0), ("v1.5", v1_5_mpc)):
        env = CrashCounter(make(ICE_ID))
        res = fn(env, replace(cfg))
        out[name] = {"returns": res.returns, "final": res.final_return,
                     "crashes": env.per_episode, "peak_speed": env.peak_speed,
                   "farthest": env.farthest}
        if name == "v0.5":
            obs, act, nxt = res.train_data
            vis, exe = res.visited, res.executed
            plan_err = np.concatenate([model_errors(res.model, v[:-1], e, v[1:])
                                       for v, e in zip(vis, exe, strict=True)])
            out[name]["eval_returns"] = res.eval_returns
            out[name]["model_error"] = {
                "train_median": float(np.median(model_errors(res.model, obs, act,
                                                             nxt))),
                "plan_median": float(np.median(plan_err)),
                "train_max_x": float(obs[:, 0].max()),
                "plan_max_x": float(max(v[:, 0].max() for v in vis))}
            out[name]["visited_x"] = [v[:, 0] for v in vis]
    return out
