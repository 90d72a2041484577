"""Chapter 6: Sutton & Barto's Dyna results, prioritized sweeping, and MCTS.

Every comparison or aggregate runs as an ``mbrl_lessons.sweep`` sweep of
(variant x seed) jobs and its target is built with ``Target.over_seeds``
(per-seed values, 95% bootstrap interval, met only if the interval clears the
threshold).  Full budget (``MBRL_LESSONS_SEEDS`` raises every count):

- Fig 8.2: 30 seeds x 50 episodes for n = 0, 5, 50 (the same seeds for every n);
- the slippery maze: 10 seeds per model (last outcome, counts);
- Figs 8.4/8.5: 20 seeds of Dyna-Q and Dyna-Q+ on each changing maze (paired);
- Example 8.4 at resolutions 1-5: 10 seeds of each method, step size 0.5 (as in
  the widely used reproduction) and 1;
- MCTS on tic-tac-toe: 25 seeds x 200 games against random at 200 simulations,
  10 seeds x 20 games against minimax at 1,000, and 10 seeds x 20 fresh
  searches of the reply to a corner and an edge opening, for plain UCT and for
  UCT with RAVE (k = 1000) and the MCTS-Solver (the targets are measured on
  the latter; plain UCT is its comparison);
- MCTS with the true CartPole simulator (1, 2, 5, 20 simulations; 500-step
  episodes) against a random policy from the same starts: 10 seeds;
- the Dyna maze crossed by MCTS with random rollouts or with leaves scored by
  Dyna-Q's Q after 2 episodes: 10 seeds.

Two targets are costs on this machine, not claims over seeds: simulations per
second (median of 3 searches) and the benchmark's wall-clock seconds; under a
shared, loaded machine they can miss for that reason alone.  Writes
results/ch06_planning.json.
"""

import time

import numpy as np

from mbrl_lessons.core.results import (
    STATISTICS,
    Target,
    benchmark_cli,
    bootstrap_ci,
    write_results,
)

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.analysis import planning as P  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

MCTS_PLAYERS = {"uct": {}, "uct_rave_solver": {"rave": 1000, "solver": True}}
cfg = {
    "fig8_2_seeds": n_seeds(full=30, fast=5), "fig8_2_episodes": 50,
    "slippery_seeds": n_seeds(full=10, fast=3),
    "slippery": {"slip": 0.2, "n": 50, "n_episodes": budget(fast=30, full=50),
                 "eval_every": 5},
    "changing_maze_seeds": n_seeds(full=20, fast=2),
    "example8_4_resolutions": budget(fast=[1, 2], full=[1, 2, 3, 4, 5]),
    "example8_4_seeds": n_seeds(full=10, fast=2),
    "mcts_players": MCTS_PLAYERS,
    "mcts_random_seeds": n_seeds(full=25, fast=2),
    "mcts_random_games": budget(fast=20, full=200), "mcts_random_sims": 200,
    "mcts_minimax_seeds": n_seeds(full=10, fast=2),
    "mcts_minimax_games": budget(fast=4, full=20), "mcts_minimax_sims": 1000,
    "mcts_reply_seeds": n_seeds(full=10, fast=2),
    "mcts_reply_searches": budget(fast=5, full=20),
    "mcts_reply_sims": [50, 200, 400, 1000],
    "cartpole_seeds": n_seeds(full=10, fast=2),
    "cartpole_sims": budget(fast=[1, 5], full=[1, 2, 5, 20]),
    "cartpole_max_steps": budget(fast=200, full=500), "cartpole_horizon": 30,
    "maze_mcts_seeds": n_seeds(full=10, fast=2),
    "maze_mcts": {"dyna_episodes": 2, "n_simulations": 100, "horizon": 30,
                  "max_steps": 100},
    "dyna": {"alpha": 0.1, "epsilon": 0.1, "gamma": 0.95},
}


# ------------------------------------------------------------------ jobs
def fig82_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import fig8_2_run

    return fig8_2_run(c["n"], seed, c["episodes"])


def slippery_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import stochastic_world_run

    return stochastic_world_run(c["kind"], seed, c["slip"], c["n"], c["n_episodes"],
                                c["eval_every"])


def changing_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import changing_maze_run

    curve = changing_maze_run(c["maze"], c["plus"], seed)
    return {"curve": curve[::10].tolist(), "final": float(curve[-1])}


def ex84_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import example8_4_run

    return example8_4_run(c["method"], seed, c["resolutions"], c["alpha"])


def mcts_match_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import mcts_match

    return mcts_match(c["opponent"], c["sims"], c["games"], seed=seed, **c["player"])


def reply_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import mcts_perfect_reply_rate

    return {opening: mcts_perfect_reply_rate(cells, sims=c["sims"],
                                             n_searches=c["searches"], seed=seed,
                                             **c["player"])
            for opening, cells in (("corner", (0,)), ("edge", (1,)))}


def cartpole_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import cartpole_mcts_run

    return cartpole_mcts_run(c["sims"], seed, c["max_steps"], c["horizon"])


def maze_mcts_job(c: dict, seed: int) -> dict:
    from mbrl_lessons.analysis.planning import maze_mcts_with_learned_value

    return maze_mcts_with_learned_value(seed=seed, **c)


# ----------------------------------------------------------------- sweeps
t0 = time.time()
seeds = {k: range(cfg[f"{k}_seeds"]) for k in (
    "fig8_2", "slippery", "changing_maze", "example8_4", "mcts_random",
    "mcts_minimax", "mcts_reply", "cartpole", "maze_mcts")}
fig82 = run_sweep(fig82_job, {f"n{n}": {"n": n, "episodes": cfg["fig8_2_episodes"]}
                              for n in (0, 5, 50)},
                  seeds["fig8_2"], name="ch06_planning_fig8_2")
slippery = run_sweep(slippery_job, {kind: {"kind": kind, **cfg["slippery"]}
                                    for kind in ("deterministic", "stochastic")},
                     seeds["slippery"], name="ch06_planning_slippery")
changing = run_sweep(changing_job, {f"{maze}_{agent}": {"maze": maze, "plus": plus}
                                    for maze in ("blocking", "shortcut")
                                    for agent, plus in (("dyna_q", False),
                                                        ("dyna_q_plus", True))},
                     seeds["changing_maze"], name="ch06_planning_changing_mazes")
ex84 = run_sweep(ex84_job, {f"{method}_alpha{alpha}": {
    "method": method, "alpha": alpha, "resolutions": cfg["example8_4_resolutions"]}
    for alpha in (0.5, 1.0) for method in ("dyna_q", "prioritized")},
    seeds["example8_4"], name="ch06_planning_example8_4")
vs_random = run_sweep(mcts_match_job, {name: {
    "opponent": "random", "sims": cfg["mcts_random_sims"],
    "games": cfg["mcts_random_games"], "player": kw}
    for name, kw in MCTS_PLAYERS.items()},
    seeds["mcts_random"], name="ch06_planning_mcts_vs_random")
vs_perfect = run_sweep(mcts_match_job, {name: {
    "opponent": "perfect", "sims": cfg["mcts_minimax_sims"],
    "games": cfg["mcts_minimax_games"], "player": kw}
    for name, kw in MCTS_PLAYERS.items()},
    seeds["mcts_minimax"], name="ch06_planning_mcts_vs_minimax")
replies = run_sweep(reply_job, {name: {
    "sims": cfg["mcts_reply_sims"], "searches": cfg["mcts_reply_searches"],
    "player": kw} for name, kw in MCTS_PLAYERS.items()},
    seeds["mcts_reply"], name="ch06_planning_mcts_reply")
cart = run_sweep(cartpole_job, {
    f"sims{k}" if k else "random": {"sims": k, "max_steps": cfg["cartpole_max_steps"],
                                    "horizon": cfg["cartpole_horizon"]}
    for k in [*cfg["cartpole_sims"], None]},
    seeds["cartpole"], name="ch06_planning_cartpole")
maze = run_sweep(maze_mcts_job, {"dyna2_mcts100": cfg["maze_mcts"]},
                 seeds["maze_mcts"], name="ch06_planning_maze_mcts")
# a cost on this machine, not a claim over seeds: median of three searches
speeds = {name: float(np.median([P.mcts_speed(20_000, seed=s, **kw)
                                 for s in range(3)]))
          for name, kw in MCTS_PLAYERS.items()}
seconds = time.time() - t0


# ---------------------------------------------------------------- results
def interval(samples: list, statistic: str = "mean") -> dict:
    """``statistic`` of paired per-seed samples and its 95% bootstrap interval
    (the same computation as ``Target.over_seeds``, for numbers that are
    reported beside the targets)."""
    arrays = [np.asarray(x, float) for x in samples]
    return {"value": float(STATISTICS[statistic][0](*arrays)),
            "ci": list(bootstrap_ci(arrays, statistic))}


steps = {n: np.array(fig82.per_seed(f"n{n}", "steps")) for n in (0, 5, 50)}
paths = {n: fig82.per_seed(f"n{n}", "greedy_path") for n in (0, 5, 50)}
# Fig 8.2's ordering at each of episodes 2-10, paired by seed
order_by_episode = {
    pair: [interval([list(steps[a][:, e]), list(steps[b][:, e])], "mean_difference")
           for e in range(1, 10)]
    for pair, (a, b) in (("n0_minus_n5", (0, 5)), ("n5_minus_n50", (5, 50)))}
order_violations = int(sum(
    not (steps[50][:, e].mean() <= steps[5][:, e].mean() <= steps[0][:, e].mean())
    for e in range(1, 10)))

slip_final = {k: [c[-1] for c in slippery.per_seed(k, "greedy_value")]
              for k in ("deterministic", "stochastic")}
maze_final = {v: changing.per_seed(v, "final") for v in (
    "blocking_dyna_q", "blocking_dyna_q_plus", "shortcut_dyna_q",
    "shortcut_dyna_q_plus")}
ex = {alpha: {m: np.array(ex84.per_seed(f"{m}_alpha{alpha}", "backups"))
              for m in ("dyna_q", "prioritized")} for alpha in (0.5, 1.0)}
# per seed: (Dyna-Q / PS backups at the largest resolution) / (the same at 1)
growth = {alpha: (e["dyna_q"][:, -1] / e["prioritized"][:, -1])
          / (e["dyna_q"][:, 0] / e["prioritized"][:, 0]) for alpha, e in ex.items()}
losses = {name: vs_random.per_seed(name, "loss") for name in MCTS_PLAYERS}
non_draws = {name: [r["win"] + r["loss"] for r in vs_perfect.per_seed(name)]
             for name in MCTS_PLAYERS}
top = f"sims{cfg['cartpole_sims'][-1]}"
cart_returns = {v: cart.per_seed(v, "return") for v in
                [f"sims{k}" for k in cfg["cartpole_sims"]] + ["random"]}
cap = cfg["maze_mcts"]["max_steps"] + 1  # "not reached" counts as max_steps + 1
maze_runs = maze.per_seed("dyna2_mcts100")
maze_steps = {k: [r[k] or cap for r in maze_runs]
              for k in ("greedy_q", "mcts_rollouts", "mcts_learned_value")}

targets = [
    Target.over_seeds("fig8_2_n50_ep3", "Dyna-Q n=50: mean steps in episode 3",
                      steps[50][:, 2], "<=", 20),
    Target.over_seeds("fig8_2_n5_ep10", "Dyna-Q n=5: mean steps in episode 10",
                      steps[5][:, 9], "<=", 20),
    Target.over_seeds("fig8_2_n0_ep10", "n=0 (Q-learning): mean steps in episode 10",
                      steps[0][:, 9], ">", 80),
    Target.over_seeds(
        "fig8_2_n0_minus_n5_ep2_10",
        "Fig 8.2 order: mean steps per episode over episodes 2-10, n=0 minus n=5 "
        "(same seeds)",
        {"n0": steps[0][:, 1:10].mean(1), "n5": steps[5][:, 1:10].mean(1)}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "fig8_2_n5_minus_n50_ep2_10",
        "Fig 8.2 order: mean steps per episode over episodes 2-10, n=5 minus n=50 "
        "(same seeds)",
        {"n5": steps[5][:, 1:10].mean(1), "n50": steps[50][:, 1:10].mean(1)}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "fig8_2_final_greedy_path_n50",
        "fraction of n=50 runs whose final greedy path is the 14-step optimum "
        "(the others settle on the 16-step top route)",
        [float(p == 14) for p in paths[50]], ">=", 1.0),
    Target.over_seeds(
        "slippery_stochastic_minus_deterministic",
        "slippery Dyna maze (slip 0.2, n=50, 50 episodes): true value of the "
        "greedy policy, count model minus last-outcome model",
        {"stochastic": slip_final["stochastic"],
         "deterministic": slip_final["deterministic"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "fig8_4_blocking_ratio", "Dyna-Q+ / Dyna-Q cumulative reward, blocking",
        {"dyna_q_plus": maze_final["blocking_dyna_q_plus"],
         "dyna_q": maze_final["blocking_dyna_q"]}, ">=", 1.3,
        statistic="ratio_of_means"),
    Target.over_seeds(
        "fig8_5_shortcut_ratio", "Dyna-Q+ / Dyna-Q cumulative reward, shortcut",
        {"dyna_q_plus": maze_final["shortcut_dyna_q_plus"],
         "dyna_q": maze_final["shortcut_dyna_q"]}, ">=", 1.3,
        statistic="ratio_of_means"),
    *[Target.over_seeds(
        f"ex8_4_ratio_res{k}",
        f"Dyna-Q / prioritized-sweeping backups to a near-optimal path, "
        f"resolution {k} (alpha 0.5)",
        {m: ex[0.5][m][:, i] for m in ("dyna_q", "prioritized")},
        ">=", 2, statistic="ratio_of_means") for i, k in enumerate((1, 2))],
    Target.over_seeds(
        "ex8_4_alpha1_ratio_grows",
        "alpha = 1: per seed, the Dyna-Q / prioritized-sweeping backup ratio at the "
        "largest resolution over that at resolution 1 (prioritized sweeping's "
        "advantage grows with the maze, as in S&B)",
        growth[1.0], ">", 1),
    Target.over_seeds(
        "mcts_losses_vs_random",
        f"UCT+RAVE+solver (200 sims): losses per {cfg['mcts_random_games']} games "
        "vs random", losses["uct_rave_solver"], "==", 0),
    Target.over_seeds(
        "mcts_uct_minus_rave_solver_losses_vs_random",
        f"losses per {cfg['mcts_random_games']} games vs random (200 sims), plain "
        "UCT minus UCT+RAVE+solver (same seeds)",
        {"uct": losses["uct"], "uct_rave_solver": losses["uct_rave_solver"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "mcts_non_draws_vs_minimax",
        f"UCT+RAVE+solver (1000 sims): games not drawn per "
        f"{cfg['mcts_minimax_games']} vs minimax",
        non_draws["uct_rave_solver"], "==", 0),
    Target("mcts_simulations_per_second",
           "UCT+RAVE+solver simulations per second (median of 3; a speed on this "
           "shared machine)", speeds["uct_rave_solver"], ">=", 20_000),
    Target.over_seeds(
        "env_mcts_maze_learned_value_steps",
        "Dyna maze: MCTS (100 sims) with leaves scored by Dyna-Q's max Q after "
        f"2 episodes, steps to the goal (shortest 14; not reached = {cap})",
        maze_steps["mcts_learned_value"], "==", 14),
    Target.over_seeds(
        "env_mcts_maze_rollouts_minus_learned_value_steps",
        "Dyna maze: steps to the goal of MCTS (100 sims) with random rollouts minus "
        f"with leaves scored by Dyna-Q's max Q (not reached = {cap}; same seeds)",
        {"rollouts": maze_steps["mcts_rollouts"],
         "learned_value": maze_steps["mcts_learned_value"]}, ">", 0,
        statistic="mean_difference"),
    Target.over_seeds(
        "env_mcts_cartpole_vs_random",
        f"CartPole-v1, MCTS with the true simulator ({cfg['cartpole_sims'][-1]} sims, "
        "30-step random rollouts): mean return / random policy's mean return "
        "(same starts)",
        {"mcts": cart_returns[top], "random": cart_returns["random"]}, ">=", 10,
        statistic="ratio_of_means"),
    Target("full_budget_seconds",
           "the whole chapter-6 benchmark, seconds (wall clock on this shared machine)",
           seconds, "<=", 300),
]

reply_rate = {}
for name in MCTS_PLAYERS:
    runs = replies.per_seed(name)
    reply_rate[name] = {}
    for opening in ("corner", "edge"):
        per_seed = np.array([r[opening]["rate"] for r in runs])  # [seeds, budgets]
        reply_rate[name][opening] = {
            "opening": runs[0][opening]["opening"],
            "perfect_replies": runs[0][opening]["perfect_replies"],
            "sims": cfg["mcts_reply_sims"],
            "searches": cfg["mcts_reply_searches"] * len(runs),
            "rate": per_seed.mean(0).tolist(),
            "ci": [interval([per_seed[:, j]])["ci"]
                   for j in range(per_seed.shape[1])]}

extra = {
    "fig8_2_steps": {str(n): s.mean(0) for n, s in steps.items()},
    "fig8_2_order_by_episode": order_by_episode,
    "fig8_2_order_violations_of_means": order_violations,
    "fig8_2_final_paths": {str(n): p for n, p in paths.items()},
    "fig8_2_model_paths": {str(n): fig82.per_seed(f"n{n}", "model_path")
                           for n in (0, 5, 50)},
    "fig8_2_first_episode": {str(n): fig82.per_seed(f"n{n}", "first_episode")
                             for n in (0, 5, 50)},
}
for m in ("blocking", "shortcut"):
    env_cls, n_steps, n_plan, kappa = P.CHANGING_MAZES[m]
    extra[m] = {
        "every": 10,
        **{agent: np.mean(changing.per_seed(f"{m}_{agent}", "curve"), 0)
           for agent in ("dyna_q", "dyna_q_plus")},
        "config": {"steps": n_steps, "n": n_plan, "kappa": kappa, "alpha": 1.0,
                   "seeds": len(seeds["changing_maze"]),
                   "switch_step": env_cls.SWITCH,
                   "final_dyna_q": maze_final[f"{m}_dyna_q"],
                   "final_dyna_q_plus": maze_final[f"{m}_dyna_q_plus"]}}
slip = cfg["slippery"]
extra["slippery_maze"] = {
    **slip, "seeds": len(seeds["slippery"]),
    "episodes": list(range(slip["eval_every"], slip["n_episodes"] + 1,
                           slip["eval_every"])),
    "v_star": float(P._slippery_setup(slip["slip"])[1][P.DynaMaze().start_states[0]]),
    **{k: {"greedy_value": np.mean(slippery.per_seed(k, "greedy_value"), 0),
           "final_values": slip_final[k],
           "q_error": float(np.mean(slippery.per_seed(k, "q_error")))}
       for k in ("deterministic", "stochastic")}}
resolutions = cfg["example8_4_resolutions"]
for key, alpha in (("example8_4", 0.5), ("example8_4_alpha1", 1.0)):
    e = ex[alpha]
    extra[key] = {
        "resolution": resolutions,
        "states": [int((~P.scaled_dyna_maze(k).wall_mask).sum()) for k in resolutions],
        "alpha": alpha, "seeds": len(seeds["example8_4"]),
        "dyna_q": e["dyna_q"].mean(0), "prioritized": e["prioritized"].mean(0),
        **{f"{m}_backups_per_pair": np.mean(
            ex84.per_seed(f"{m}_alpha{alpha}", "backups_per_pair"), 0)
           for m in ("dyna_q", "prioritized")},
        "ratio": e["dyna_q"].mean(0) / e["prioritized"].mean(0),
        "ratio_ci": [interval([e["dyna_q"][:, i], e["prioritized"][:, i]],
                              "ratio_of_means")["ci"]
                     for i in range(len(resolutions))],
        "ratio_growth_per_seed": growth[alpha],
        "ratio_growth": interval([growth[alpha]])}
games = cfg["mcts_random_games"]
extra["mcts_loss_rate_vs_random"] = {
    name: {"losses_per_seed": losses[name], "games": games * len(losses[name]),
           "rate": sum(losses[name]) / (games * len(losses[name]))}
    for name in MCTS_PLAYERS}
extra["mcts_vs_random"] = {name: vs_random.per_seed(name) for name in MCTS_PLAYERS}
extra["mcts_vs_minimax"] = {name: vs_perfect.per_seed(name) for name in MCTS_PLAYERS}
extra["mcts_perfect_reply_rate"] = reply_rate
extra["mcts_simulations_per_second"] = speeds
extra["cartpole_mcts"] = {
    "sims": cfg["cartpole_sims"],
    "returns": [cart_returns[f"sims{k}"] for k in cfg["cartpole_sims"]],
    "end_x": [[r["end_x"] for r in cart.per_seed(f"sims{k}") if r["end_x"] is not None]
              for k in cfg["cartpole_sims"]],
    "random": cart_returns["random"]}
extra["maze_mcts"] = {
    **cfg["maze_mcts"], "shortest": maze_runs[0]["shortest"],
    "steps_per_seed": maze_steps,
    "reached": {k: [r[k] is not None for r in maze_runs] for k in maze_steps}}
write_results("ch06_planning", config=cfg, targets=targets, seconds=seconds,
              results_dir=out_dir, extra=extra)
