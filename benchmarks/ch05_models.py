"""Chapter 5: the claims the model-learning chapter makes, at the full budget.

Model families against data size; MSE vs Gaussian vs mixture on a bimodal
transition; ensemble disagreement against true error on the pendulum; a
window of observations for the speed-less pendulum; a pendulum whose mass
doubles (all data vs window vs detect-and-restart); one-step vs 10-step
training; hallway options on four rooms.  Writes results/ch05_models.json.
"""

import time

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis import model_learning as ml  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.envs.nonstationary import (  # noqa: E402
    NonStationaryPendulum,
    random_stream,
)
from mbrl_lessons.mdp import TabularMDP  # noqa: E402
from mbrl_lessons.mdp.options import (  # noqa: E402
    four_rooms,
    hallway_options,
    option_model,
    primitive_options,
    smdp_value_iteration,
)
from mbrl_lessons.models.adaptation import (  # noqa: E402
    AdaptConfig,
    DetectorConfig,
    refit_all,
    refit_on_change,
    refit_window,
)

torch.set_num_threads(1)
cfg = {
    "families_sizes": budget(fast=[100, 1000], full=[100, 300, 1000, 3000]),
    "stochastic_n": budget(fast=600, full=1500), "stochastic_epochs": 200,
    "uncertainty_seeds": budget(fast=1, full=3), "window_n_train": 200,
    "multistep_seeds": budget(fast=1, full=5), "options_gamma": 0.9,
    "nonstationary_switch": 1500, "nonstationary_seeds": budget(fast=1, full=3),
    "nonstationary_window": 400,
}
t0 = time.time()
families = ml.model_families(sizes=cfg["families_sizes"])
sto = ml.stochastic_fits(n=cfg["stochastic_n"], epochs=cfg["stochastic_epochs"])
rhos = [ml.pendulum_uncertainty(seed=s).rank_correlation
        for s in range(cfg["uncertainty_seeds"])]
win = ml.window_experiment(windows=(1, 2, 3), n_train=cfg["window_n_train"])
ms = [ml.multistep_experiment(ks=(1, 10), seed=s)["error"]
      for s in range(cfg["multistep_seeds"])]
err_at = {k: [float(np.mean([run[i][h - 1] for run in ms])) for h in (1, 10, 40)]
          for i, k in enumerate((1, 10))}
switch, W = cfg["nonstationary_switch"], cfg["nonstationary_window"]
late = {"all": [], "window": [], "detect": []}
delays, early_alarms = [], 0
for s in range(cfg["nonstationary_seeds"]):
    data = random_stream(NonStationaryPendulum(switch_step=switch, param="m",
                                               after=2.0), 2 * switch, seed=s,
                         episode_len=50)
    acfg = AdaptConfig(block=100, hidden=64)
    det = refit_on_change(data, acfg, DetectorConfig())
    for key, r in (("all", refit_all(data, acfg)), ("window", refit_window(
            data, W, acfg)), ("detect", det)):
        late[key].append(float(r.step_error[switch + W:].mean()))
    early_alarms += sum(t < switch for t in det.alarms)
    after = [t - switch for t in det.alarms if t >= switch]
    delays.append(after[0] if after else float("inf"))
late_mean = {k: float(np.mean(v)) for k, v in late.items()}
env = four_rooms()
mdp = TabularMDP.from_env(env, gamma=cfg["options_gamma"])
prims = [option_model(mdp, o) for o in primitive_options(mdp)]
halls = [option_model(mdp, o) for o in hallway_options(env)]
start = env.start_states[0]
sees = {}
for name, models in (("primitives", prims), ("with_options", prims + halls)):
    res = smdp_value_iteration(mdp, models, record=True)
    sees[name] = int(np.argmax(res.history[:, start] > 0))
seconds = time.time() - t0

targets = [
    Target("mlp_beats_knn_and_linear_at_every_size",
           "sizes where the MLP's next-state error is the lowest of the three",
           sum(m < min(k, li) for m, k, li in zip(families["mlp"], families["knn"],
                                                  families["linear"], strict=True)),
           "==", len(cfg["families_sizes"])),
    Target("mse_model_samples_near_a_mode", "bimodal transition: share of the MSE "
           "model's predictions within 0.15 of a real outcome",
           sto.near_a_mode["point"], "<=", 0.05),
    Target("mixture_samples_near_a_mode", "bimodal transition: share of the "
           "mixture model's samples within 0.15 of a real outcome",
           sto.near_a_mode["mixture"], ">=", 0.9),
    Target("ensemble_rank_correlation", "pendulum: Spearman correlation of "
           "ensemble disagreement with true error (mean over seeds)",
           float(np.mean(rhos)), ">=", 0.5),
    Target("window_error_ratio", "speed-less pendulum: error with 1 observation / "
           "error with 2", win["error"][0] / win["error"][1], ">=", 5),
    Target("multistep_gain_at_40_steps", "error 40 steps ahead: one-step-trained / "
           "10-step-trained model (mean over seeds)",
           err_at[1][2] / err_at[10][2], ">", 1),
    Target("nonstationary_window_vs_all_data", "mass doubles: error after the "
           "window has passed the switch, window-400 model / all-data model",
           late_mean["window"] / late_mean["all"], "<=", 0.3),
    Target("nonstationary_detect_vs_all_data", "the same for detect-and-restart",
           late_mean["detect"] / late_mean["all"], "<=", 0.3),
    Target("nonstationary_detection_delay", "steps from the switch to the first "
           "alarm (worst seed)", float(max(delays)), "<=", 100),
    Target("nonstationary_false_alarms_before_switch", "alarms before the switch "
           "(all seeds)", early_alarms, "==", 0),
    Target("options_sweeps_until_start_sees_goal",
           "four rooms: sweeps before the start has value, primitives / with "
           "hallway options", sees["primitives"] / max(sees["with_options"], 1),
           ">=", 3),
]
write_results("ch05_models", config=cfg, targets=targets, seconds=seconds,
              results_dir=out_dir,
              extra={"families": families, "test_nll": sto.test_nll,
                     "near_a_mode": sto.near_a_mode, "rank_correlations": rhos,
                     "window": win, "multistep_error_at_1_10_40": err_at,
                     "options_sweeps_until_start_sees_goal": sees,
                     "nonstationary_error_after": late, "detection_delays": delays})
