"""Chapter 5: the claims the model-learning chapter makes, at the full budget.

Model families against data size; MSE vs Gaussian vs mixture on a bimodal
transition; ensemble disagreement against true error on the pendulum; a
window of observations for the speed-less pendulum; one-step vs 10-step
training; a pendulum whose mass doubles (all data vs window vs
detect-and-restart); a latent model of the pendulum seen in pixels; hallway
options on four rooms.

Every experiment but the last is one job per seed of an ``mbrl_lessons.sweep``
sweep: 10 seeds for the experiments that cost seconds to a minute per seed, 5
for the latent model (``MBRL_LESSONS_SEEDS`` raises both).  Each seed draws
its data, initial weights and minibatches from its own named streams.  The
options experiment is exact value iteration on a fixed MDP: it has no seed.
Writes results/ch05_models.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

N_SEEDS = n_seeds(full=10, fast=2)        # experiments of under a minute a seed
N_SEEDS_LATENT = n_seeds(full=5, fast=2)  # the latent model: a few minutes a seed
cfg = {
    "families": {"sizes": budget(fast=[100, 1000], full=[100, 300, 1000, 3000])},
    "stochastic": {"n": budget(fast=600, full=1500), "epochs": 200},
    "uncertainty": {"n_train": 40, "n_test": 2000, "steps": 2000},
    "window": {"windows": [1, 2, 3], "n_train": 200},
    "multistep": {"ks": [1, 10], "n_train": 30, "epochs": 60},
    "nonstationary": {"switch": 1500, "window": 400, "block": 100, "hidden": 64},
}
latent_cfg = {"train_episodes": budget(fast=120, full=300), "test_episodes": 100,
              "steps": budget(fast=700, full=5000), "horizon": 20}
options_cfg = {"gamma": 0.9}


def one_job(cfg: dict, seed: int) -> dict:
    """One seed of one experiment (``cfg["experiment"]``), as plain data."""
    import torch

    from mbrl_lessons.analysis import model_learning as ml
    from mbrl_lessons.core.seeding import stream_seed

    torch.set_num_threads(1)
    kind = cfg["experiment"]
    if kind == "families":
        return ml.model_families(sizes=cfg["sizes"], seed=seed)
    if kind == "stochastic":
        sto = ml.stochastic_fits(n=cfg["n"], epochs=cfg["epochs"], seed=seed)
        return {"test_nll": sto.test_nll, "near_a_mode": sto.near_a_mode}
    if kind == "uncertainty":
        unc = ml.pendulum_uncertainty(cfg["n_train"], cfg["n_test"],
                                      steps=cfg["steps"], seed=seed)
        return {"rank_correlation": unc.rank_correlation}
    if kind == "window":
        return ml.window_experiment(windows=cfg["windows"], n_train=cfg["n_train"],
                                    seed=seed)
    if kind == "multistep":
        ms = ml.multistep_experiment(ks=cfg["ks"], n_train=cfg["n_train"],
                                     epochs=cfg["epochs"], seed=seed)
        return {"error_at_1_10_40": {str(k): [err[h - 1] for h in (1, 10, 40)]
                                     for k, err in zip(ms["ks"], ms["error"],
                                                       strict=True)}}
    if kind == "nonstationary":
        from mbrl_lessons.envs.nonstationary import NonStationaryPendulum, random_stream
        from mbrl_lessons.models.adaptation import (
            AdaptConfig,
            DetectorConfig,
            refit_all,
            refit_on_change,
            refit_window,
        )

        switch, W = cfg["switch"], cfg["window"]
        data = random_stream(NonStationaryPendulum(switch_step=switch, param="m",
                                                   after=2.0), 2 * switch,
                             seed=stream_seed(seed, "stream"), episode_len=50)
        acfg = AdaptConfig(block=cfg["block"], hidden=cfg["hidden"],
                           seed=stream_seed(seed, "models"))
        det = refit_on_change(data, acfg, DetectorConfig())
        late = {key: float(r.step_error[switch + W:].mean()) for key, r in (
            ("all", refit_all(data, acfg)), ("window", refit_window(data, W, acfg)),
            ("detect", det))}
        after = [t - switch for t in det.alarms if t >= switch]
        return {"late_error": late, "alarms": list(det.alarms),
                "false_alarms": sum(t < switch for t in det.alarms),
                # no alarm at all: censored at the steps left after the switch
                "delay": after[0] if after else switch}
    raise ValueError(f"unknown experiment {kind!r}")


def latent_job(cfg: dict, seed: int) -> dict:
    """§5.7 for one seed: the pendulum in pixels, forecast in a learned latent
    space; angle errors by horizon and linear probes of the code."""
    import torch

    from mbrl_lessons.core.seeding import stream_seed
    from mbrl_lessons.envs.pendulum import angle_normalize
    from mbrl_lessons.envs.pixel_pendulum import frame_angle, pixel_pendulum_dataset
    from mbrl_lessons.models.latent import (
        LatentConfig,
        LatentModel,
        linear_probe_r2,
        pixel_transitions,
        rollout,
        train_latent,
    )

    torch.set_num_threads(1)
    train = pixel_pendulum_dataset(cfg["train_episodes"], 50,
                                   seed=stream_seed(seed, "train episodes"))
    test = pixel_pendulum_dataset(cfg["test_episodes"], 30,
                                  seed=stream_seed(seed, "test episodes"))
    lcfg = LatentConfig(n_steps=cfg["steps"], seed=stream_seed(seed, "latent model"))
    lat = train_latent(train, lcfg, progress=False).model
    K = cfg["horizon"]
    obs, act = pixel_transitions(test)
    true_theta = torch.atan2(test.states[:, 1:K + 2, 1], test.states[:, 1:K + 2, 0])

    def median_angle_error(frames: torch.Tensor) -> list[float]:
        err = angle_normalize(frame_angle(frames) - true_theta).abs()
        return np.degrees(np.median(err.numpy(), axis=0)).tolist()

    angle_err = {
        "latent": median_angle_error(rollout(lat, obs[:, 0], act[:, :K]).frames),
        "through_pixels": median_angle_error(rollout(
            lat, obs[:, 0], act[:, :K], through_pixels=True).frames),
        "copy": median_angle_error(obs[:, :1, 1].expand(-1, K + 1, -1, -1)),
    }

    def probe(model: LatentModel) -> float:
        def codes(data):
            o, _ = pixel_transitions(data)
            with torch.no_grad():
                z = model.encode(o).flatten(0, 1).numpy()
            return z, data.states[:, 1:].flatten(0, 1).numpy()[:, :2]
        return linear_probe_r2(*codes(train), *codes(test))

    # the untrained control: the same encoder before training
    return {"angle_error_deg": angle_err, "probe_r2": probe(lat),
            "probe_r2_untrained": probe(LatentModel(lcfg))}


t0 = time.time()
sweep = run_sweep(one_job, {k: {"experiment": k, **v} for k, v in cfg.items()},
                  range(N_SEEDS), name="ch05_models")
latent = run_sweep(latent_job, {"latent": latent_cfg}, range(N_SEEDS_LATENT),
                   name="ch05_models_latent").per_seed("latent")

# §5.8: exact value iteration on four rooms (no randomness, no seeds)
from mbrl_lessons.mdp import TabularMDP  # noqa: E402
from mbrl_lessons.mdp.options import (  # noqa: E402
    four_rooms,
    hallway_options,
    option_model,
    primitive_options,
    smdp_value_iteration,
)

env = four_rooms()
mdp = TabularMDP.from_env(env, gamma=options_cfg["gamma"])
prims = [option_model(mdp, o) for o in primitive_options(mdp)]
halls = [option_model(mdp, o) for o in hallway_options(env)]
start = env.start_states[0]
sees = {}
for name, models in (("primitives", prims), ("with_options", prims + halls)):
    res = smdp_value_iteration(mdp, models, record=True)
    sees[name] = int(np.argmax(res.history[:, start] > 0))
seconds = time.time() - t0

fam = sweep.per_seed("families")
sto = sweep.per_seed("stochastic")
win = sweep.per_seed("window")
ms = sweep.per_seed("multistep")
ns = sweep.per_seed("nonstationary")


def err40(k: int) -> list[float]:
    return [r["error_at_1_10_40"][str(k)][2] for r in ms]


def late(key: str) -> list[float]:
    return [r["late_error"][key] for r in ns]


def at10(key: str) -> list[float]:
    return [r["angle_error_deg"][key][10] for r in latent]


targets = [
    Target.over_seeds(
        "mlp_beats_knn_and_linear_at_every_size",
        f"sizes (of {len(cfg['families']['sizes'])}) where the MLP's next-state "
        "error is the lowest of the three families; met only if every seed has "
        "all of them",
        [sum(m < min(k, li) for m, k, li in zip(r["mlp"], r["knn"], r["linear"],
                                                strict=True)) for r in fam],
        "==", len(cfg["families"]["sizes"])),
    Target.over_seeds(
        "mse_model_samples_near_a_mode", "bimodal transition: share of the MSE "
        "model's predictions within 0.15 of a real outcome",
        [r["near_a_mode"]["point"] for r in sto], "<=", 0.05),
    Target.over_seeds(
        "mixture_samples_near_a_mode", "bimodal transition: share of the "
        "mixture model's samples within 0.15 of a real outcome",
        [r["near_a_mode"]["mixture"] for r in sto], ">=", 0.9),
    Target.over_seeds(
        "ensemble_rank_correlation", "pendulum: Spearman correlation of "
        "ensemble disagreement with true error",
        sweep.per_seed("uncertainty", "rank_correlation"), ">=", 0.5),
    Target.over_seeds(
        "window_error_ratio", "speed-less pendulum: error with 1 observation / "
        "error with 2",
        {"1 observation": [r["error"][0] for r in win],
         "2 observations": [r["error"][1] for r in win]}, ">=", 5,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "multistep_gain_at_40_steps", "error 40 steps ahead: one-step-trained / "
        "10-step-trained model",
        {"one-step": err40(1), "10-step": err40(10)}, ">", 1,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "nonstationary_window_vs_all_data", "mass doubles: error after the "
        "window has passed the switch, window-400 model / all-data model",
        {"window": late("window"), "all": late("all")}, "<=", 0.3,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "nonstationary_detect_vs_all_data", "the same for detect-and-restart",
        {"detect": late("detect"), "all": late("all")}, "<=", 0.3,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "nonstationary_detection_delay", "steps from the switch to the first "
        "alarm (a seed without one counts the 1,500 steps after the switch)",
        [r["delay"] for r in ns], "<=", 100),
    Target.over_seeds(
        "nonstationary_false_alarms_before_switch", "alarms before the switch; "
        "met only if no seed has one",
        [r["false_alarms"] for r in ns], "==", 0),
    Target.over_seeds(
        "latent_vs_copy_angle_error_10_steps", "pixel pendulum, 10 steps ahead: "
        "median angle error of the latent forecast / of copying the last frame",
        {"latent": at10("latent"), "copy": at10("copy")}, "<=", 0.5,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "latent_vs_through_pixels_angle_error_10_steps", "the same, latent "
        "forecast / forecast that re-encodes its own decoded frames",
        {"latent": at10("latent"), "through pixels": at10("through_pixels")},
        "<", 1, statistic="ratio_of_means"),
    Target.over_seeds(
        "latent_linear_probe_angle_r2", "test R^2 of a linear map from the "
        "code to (cos θ, sin θ): most of the angle is linearly readable",
        [r["probe_r2"] for r in latent], ">=", 0.75),
    Target.over_seeds(
        "latent_probe_gain_over_untrained", "that R^2 minus the same probe's on "
        "the same encoder before training",
        {"trained": [r["probe_r2"] for r in latent],
         "untrained": [r["probe_r2_untrained"] for r in latent]}, ">=", 0.2,
        statistic="mean_difference"),
    Target("options_sweeps_until_start_sees_goal",
           "four rooms: sweeps before the start has value, primitives / with "
           "hallway options (exact value iteration, no seeds)",
           sees["primitives"] / max(sees["with_options"], 1), ">=", 3),
]
write_results("ch05_models",
              config={**cfg, "latent": latent_cfg, "options": options_cfg,
                      "seeds": N_SEEDS, "latent_seeds": N_SEEDS_LATENT},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"families": fam,
                     "test_nll": [r["test_nll"] for r in sto],
                     "near_a_mode": [r["near_a_mode"] for r in sto],
                     "rank_correlations": sweep.per_seed("uncertainty",
                                                         "rank_correlation"),
                     "window": win,
                     "multistep_error_at_1_10_40": [r["error_at_1_10_40"] for r in ms],
                     "nonstationary": ns,
                     "latent": latent,
                     "options_sweeps_until_start_sees_goal": sees})
