"""Chapter 5: the claims the model-learning chapter makes, at the full budget.

Model families against data size; MSE vs Gaussian vs mixture on a bimodal
transition; ensemble disagreement against true error on the pendulum; a
window of observations for the speed-less pendulum; a pendulum whose mass
doubles (all data vs window vs detect-and-restart); one-step vs 10-step
training; a latent model of the pendulum seen in pixels; hallway options on
four rooms.  Writes results/ch05_models.json.
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
from mbrl_lessons.envs.pendulum import angle_normalize  # noqa: E402
from mbrl_lessons.envs.pixel_pendulum import (  # noqa: E402
    frame_angle,
    pixel_pendulum_dataset,
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
from mbrl_lessons.models.latent import (  # noqa: E402
    LatentConfig,
    LatentModel,
    linear_probe_r2,
    pixel_transitions,
    train_latent,
)
from mbrl_lessons.models.latent import rollout as latent_rollout  # noqa: E402

torch.set_num_threads(1)
cfg = {
    "families_sizes": budget(fast=[100, 1000], full=[100, 300, 1000, 3000]),
    "stochastic_n": budget(fast=600, full=1500), "stochastic_epochs": 200,
    "uncertainty_seeds": budget(fast=1, full=3), "window_n_train": 200,
    "multistep_seeds": budget(fast=1, full=5), "options_gamma": 0.9,
    "nonstationary_switch": 1500, "nonstationary_seeds": budget(fast=1, full=3),
    "nonstationary_window": 400,
    "latent_train_episodes": budget(fast=120, full=300), "latent_test_episodes": 100,
    "latent_steps": budget(fast=700, full=5000), "latent_horizon": 20,
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
# §5.7: the pendulum in pixels, forecast in a learned latent space
px_train = pixel_pendulum_dataset(cfg["latent_train_episodes"], 50, seed=0)
px_test = pixel_pendulum_dataset(cfg["latent_test_episodes"], 30, seed=1)
lat = train_latent(px_train, LatentConfig(n_steps=cfg["latent_steps"])).model
K = cfg["latent_horizon"]
obs, act = pixel_transitions(px_test)
true_theta = torch.atan2(px_test.states[:, 1:K + 2, 1], px_test.states[:, 1:K + 2, 0])


def median_angle_error(frames: torch.Tensor) -> list[float]:
    err = angle_normalize(frame_angle(frames) - true_theta).abs()
    return np.degrees(np.median(err.numpy(), axis=0)).tolist()


angle_err = {
    "latent": median_angle_error(latent_rollout(lat, obs[:, 0], act[:, :K]).frames),
    "through_pixels": median_angle_error(latent_rollout(
        lat, obs[:, 0], act[:, :K], through_pixels=True).frames),
    "copy": median_angle_error(obs[:, :1, 1].expand(-1, K + 1, -1, -1)),
}


def codes(data):
    o, _ = pixel_transitions(data)
    with torch.no_grad():
        z = lat.encode(o).flatten(0, 1).numpy()
    return z, data.states[:, 1:].flatten(0, 1).numpy()


(z_fit, s_fit), (z_test, s_test) = codes(px_train), codes(px_test)
probe_r2_angle = linear_probe_r2(z_fit, s_fit[:, :2], z_test, s_test[:, :2])
lat = LatentModel(LatentConfig())  # the same probe on an untrained encoder
(u_fit, _), (u_test, _) = codes(px_train), codes(px_test)
probe_r2_untrained = linear_probe_r2(u_fit, s_fit[:, :2], u_test, s_test[:, :2])

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
    Target("latent_vs_copy_angle_error_10_steps", "pixel pendulum, 10 steps ahead: "
           "median angle error of the latent forecast / of copying the last frame",
           angle_err["latent"][10] / angle_err["copy"][10], "<=", 0.5),
    Target("latent_vs_through_pixels_angle_error_10_steps", "the same, latent "
           "forecast / forecast that re-encodes its own decoded frames",
           angle_err["latent"][10] / angle_err["through_pixels"][10], "<", 1),
    Target("latent_linear_probe_angle_r2", "test R^2 of a linear map from the "
           "code to (cos θ, sin θ): most of the angle is linearly readable",
           probe_r2_angle, ">=", 0.75),
    Target("latent_probe_gain_over_untrained", "that R^2 minus the same probe's on "
           "an untrained encoder", probe_r2_angle - probe_r2_untrained, ">=", 0.2),
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
                     "nonstationary_error_after": late, "detection_delays": delays,
                     "latent_median_angle_error_deg": angle_err,
                     "latent_probe_r2_untrained": probe_r2_untrained})
