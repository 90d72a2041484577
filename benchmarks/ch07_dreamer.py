"""Chapter 7, §7.4: Dreamer-style actor-critic learning in imagination.

On state-based Pendulum-v1 (learned MLP dynamics, known reward), as jobs of
one ``mbrl_lessons.sweep`` sweep: 5 seeds (``MBRL_LESSONS_SEEDS`` raises the
count) of the Dreamer-style agent (H = 15, critic) and of the imagination
horizon H in {5, 15} with and without the critic's bootstrap, 15 real
episodes (3,000 steps) each.  ch04's v2.0 (backprop through the model over a
fixed horizon, no critic) is read from results/ch04_schemes.json rather than
recomputed: same seeds and the same episode starts (both draw them from
``stream_seed(seed, "episode", ep)`` and share the random first episode), so
the comparison is paired by seed.  Every target is a statistic over the
seeds with a 95% bootstrap interval, met only if the interval clears the
threshold.  Writes results/ch07_dreamer.json.
"""

import time
from dataclasses import replace

import numpy as np

from mbrl_lessons.core.results import Target, benchmark_cli, load_results, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.dreamer import DreamerConfig  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

THRESHOLD = -250.0  # the task's target return
WINDOW = 3  # collected episodes averaged when asking whether a seed reached it
N_SEEDS = n_seeds(full=5, fast=2)
base = DreamerConfig(n_episodes=budget(fast=6, full=15),
                     updates_per_episode=budget(fast=120, full=300))
VARIANTS = {f"H{h}_{'critic' if c else 'no_critic'}":
            replace(base, horizon=h, use_critic=c)
            for h in (15, 5) for c in (True, False)}


def one_run(cfg: DreamerConfig, seed: int) -> dict:
    """One Dreamer run: its collected-episode curve and its final return."""
    import torch

    from mbrl_lessons.algorithms.dreamer import train

    torch.set_num_threads(1)
    t0 = time.process_time()
    r = train("Pendulum-v1", replace(cfg, seed=seed))
    return {"returns": r.returns, "steps": r.steps, "final_return": r.final_return,
            "cpu_seconds": time.process_time() - t0}


def steps_to_threshold(returns, steps) -> float:
    """Real steps by the end of the first window of WINDOW collected episodes
    whose mean return reaches THRESHOLD; a seed that never gets there counts
    as one step more than its whole run (censored: the claim is "within this
    run", so such a seed pulls the mean past the run's length)."""
    r = np.asarray(returns, float)
    means = np.convolve(r, np.ones(WINDOW) / WINDOW, mode="valid")
    hit = np.flatnonzero(means >= THRESHOLD)
    return float(steps[hit[0] + WINDOW - 1]) if len(hit) else float(steps[-1] + 1)


t0 = time.time()
sweep = run_sweep(one_run, VARIANTS, range(N_SEEDS), name="ch07_dreamer")
seconds = time.time() - t0
runs = {k: sweep.per_seed(k) for k in VARIANTS}
curves = {k: [r["returns"] for r in v] for k, v in runs.items()}
finals = {k: [r["final_return"] for r in v] for k, v in runs.items()}
steps = runs["H15_critic"][0]["steps"]
reach = [steps_to_threshold(r["returns"], r["steps"]) for r in runs["H15_critic"]]

ch04 = load_results("ch04_schemes")
v2 = ch04["extra"]["returns"]["v2.0"] if ch04 else None
window = slice(5, 10)  # episodes 6-10: the last half of ch04's 2,000-step budget
n_paired = min(len(v2), N_SEEDS) if v2 else 0
dreamer_6_10 = [float(np.mean(c[window])) for c in curves["H15_critic"][:n_paired]]
v2_6_10 = [float(np.mean(c[window])) for c in v2[:n_paired]] if v2 else []

targets = [
    Target.over_seeds(
        "dreamer_final_return", f"Dreamer-style agent (H=15, critic) after "
        f"{steps[-1]} real steps: noise-free return (mean of {base.n_eval} "
        f"episodes) per seed", finals["H15_critic"], ">=", THRESHOLD),
    Target.over_seeds(
        "dreamer_steps_to_minus_250", f"real steps until the mean return of "
        f"{WINDOW} consecutive collected episodes first reaches {THRESHOLD:.0f}, "
        f"per seed, within the {steps[-1]:,}-step run (a seed that never gets there "
        f"counts as {steps[-1] + 1:,})", reach, "<", steps[-1]),
    Target.over_seeds(
        "critic_gain_at_h5", "H=5: final return with the critic's bootstrap "
        "minus without it (paired by seed)",
        {"critic": finals["H5_critic"], "no critic": finals["H5_no_critic"]},
        ">", 0, statistic="mean_difference"),
]
if n_paired >= 2:
    targets.append(Target.over_seeds(
        "dreamer_minus_v2_0_episodes_6_10", "mean return of collected episodes "
        "6-10 (<= 2,000 real steps): Dreamer-style agent minus ch04's v2.0 "
        "(same seeds and episode starts, paired by seed)",
        {"dreamer": dreamer_6_10, "v2.0": v2_6_10}, ">", 0,
        statistic="mean_difference"))
write_results("ch07_dreamer", config={"dreamer": base, "n_seeds": N_SEEDS,
                                      "seeds": list(range(N_SEEDS)),
                                      "variants": {k: (c.horizon, c.use_critic)
                                                   for k, c in VARIANTS.items()}},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"steps": steps, "curves": curves,
                     "finals": {k: float(np.mean(v)) for k, v in finals.items()},
                     "final_by_seed": finals,
                     "steps_to_minus_250_by_seed": reach,
                     "v2_0_curves_from_ch04": v2,
                     "v2_0_final_from_ch04": (ch04["extra"]["finals"]["v2.0"]
                                              if ch04 else None),
                     "v2_0_commit_from_ch04": ch04["commit"] if ch04 else None,
                     "cpu_seconds_by_seed": {k: [r["cpu_seconds"] for r in v]
                                             for k, v in runs.items()},
                     "cpu_seconds": float(sum(r["cpu_seconds"] for v in runs.values()
                                              for r in v))})
