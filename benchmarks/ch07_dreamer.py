"""Chapter 7, §7.4: Dreamer-style actor-critic learning in imagination.

On state-based Pendulum-v1 (learned MLP dynamics, known reward): the learning
curve of the Dreamer-style agent (H = 15, critic) over real steps for three
seeds; the imagination horizon H in {5, 15} with and without the critic's
bootstrap; and ch04's v2.0 (backprop through the model over a fixed horizon,
no critic), whose curves are read from results/ch04_schemes.json (same code,
same seeds) rather than recomputed.  Writes results/ch07_dreamer.json.
"""

import time
from dataclasses import replace

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, load_results, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.dreamer import DreamerConfig, train  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402

torch.set_num_threads(1)
THRESHOLD = -250.0  # the task's target return
seeds = list(range(budget(fast=1, full=3)))
base = DreamerConfig(n_episodes=budget(fast=6, full=15),
                     updates_per_episode=budget(fast=120, full=300))
variants = {f"H{h}_{'critic' if c else 'no_critic'}": (h, c)
            for h in (15, 5) for c in (True, False)}
t0, c0 = time.time(), time.process_time()
runs = {}
for name, (h, c) in variants.items():
    cfg = DreamerConfig(**{**base.__dict__, "horizon": h, "use_critic": c})
    runs[name] = [train("Pendulum-v1", replace(cfg, seed=s)) for s in seeds]
    print(name, [round(r.final_return) for r in runs[name]],
          [r.returns.round().tolist() for r in runs[name]], flush=True)
seconds, cpu_seconds = time.time() - t0, time.process_time() - c0

curves = {k: [r.returns.tolist() for r in v] for k, v in runs.items()}
finals = {k: float(np.mean([r.final_return for r in v])) for k, v in runs.items()}
steps = runs["H15_critic"][0].steps.tolist()
mean_curve = np.mean(curves["H15_critic"], 0)
reached = np.flatnonzero(mean_curve >= THRESHOLD)
steps_to_threshold = float(steps[reached[0]]) if len(reached) else float("inf")

ch04 = load_results("ch04_schemes")
v2 = ch04["extra"]["returns"]["v2.0"] if ch04 else None
window = slice(5, 10)  # episodes 6-10: the last half of ch04's 2,000-step budget
dreamer_6_10 = float(np.mean(np.array(curves["H15_critic"])[:, window]))
v2_6_10 = float(np.mean(np.array(v2)[:, window])) if v2 else float("nan")

targets = [
    Target("dreamer_final_return", f"Dreamer-style agent (H=15, critic) after "
           f"{steps[-1]} real steps: mean noise-free return over {len(seeds)} seeds",
           finals["H15_critic"], ">=", THRESHOLD),
    Target("dreamer_steps_to_minus_250", "real steps until the seed-mean return of "
           "the collected episodes first reaches -250", steps_to_threshold, "<=",
           10_000),
    Target("critic_gain_at_h5", "H=5: final return with the critic's bootstrap "
           "minus without it (mean over seeds)",
           finals["H5_critic"] - finals["H5_no_critic"], ">", 0),
    Target("dreamer_minus_v2_0_episodes_6_10", "mean return of collected episodes "
           "6-10 (<= 2,000 real steps): Dreamer-style agent minus ch04's v2.0",
           dreamer_6_10 - v2_6_10, ">", 0),
]
write_results("ch07_dreamer", config={"dreamer": base, "seeds": seeds,
                                      "variants": variants},
              targets=targets, seconds=seconds, results_dir=out_dir,
              extra={"steps": steps, "curves": curves, "finals": finals,
                     "final_by_seed": {k: [r.final_return for r in v]
                                       for k, v in runs.items()},
                     "v2_0_curves_from_ch04": v2,
                     "v2_0_final_from_ch04": (ch04["extra"]["finals"]["v2.0"]
                                              if ch04 else None),
                     "cpu_seconds": cpu_seconds})
