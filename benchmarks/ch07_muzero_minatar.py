"""Chapter 7 (§7.5): MuZero on a miniature Atari (MinAtar Breakout) against a
random policy and a model-free DQN at equal real frames.

MinAtar Breakout (Young & Tian 2019): ``10 x 10 x 4`` binary frames, 3
actions (stay, left, right), sticky actions with probability 0.1, +1 per
brick.  Each seed trains the single-player MuZero of
``algorithms/muzero.py`` for ``MZ.n_episodes`` episodes and counts the real
frames it used; the book's DQN (``algorithms/dqn.py``, Mnih et al. 2015, the
model-free baseline, with the MinAtar paper's one-convolution network) then
trains on exactly as many frames.  Both final agents and a uniformly random policy play
``EVAL_EPISODES`` evaluation episodes (greedy: MuZero's most visited move of a
noise-free search, DQN's argmax Q), capped at ``EVAL_FRAMES`` frames; MuZero
also plays them sampling from its visit counts at its last training
temperature (reported, not a target).  The
learning curves are the returns of the training episodes against the real
frames used so far.  What is shrunk against the papers: a few thousand frames
instead of millions, MLPs instead of convolutional networks, 16 simulations
instead of 50.

Each seed trains on its own stream of random events (sticky actions, the
ball's start): MuZero's checkpoint evaluation plays on a copy of the env.
Before 2026-12-08 it reset the training env itself with seed 0, so all five
seeds shared one stream, and that run reported 2.8 times random (interval
2.1-3.3) after about 8,300 frames; with a stream per seed, 1.1 times (0.4-1.9)
after about 4,500.  At one network seed, MuZero's mean return over its first
50 episodes ranged from 0.06 to 0.70 across eight env seeds (0-6 and 100).
"""

import time

import numpy as np
import torch

from mbrl_lessons.core.results import Target, benchmark_cli, write_results

out_dir, fast = benchmark_cli(__doc__)

from mbrl_lessons.algorithms.dqn import DQNConfig  # noqa: E402
from mbrl_lessons.algorithms.muzero import MuZeroConfig  # noqa: E402
from mbrl_lessons.core.budget import budget  # noqa: E402
from mbrl_lessons.sweep import n_seeds, run_sweep  # noqa: E402

torch.set_num_threads(1)
GAME = "breakout"
SEEDS = n_seeds(full=5, fast=2)  # two: an interval needs two
MZ = MuZeroConfig(n_episodes=budget(fast=6, full=500),
                  n_simulations=budget(fast=4, full=16),
                  max_episode_steps=1000, unroll_steps=5, td_steps=10, gamma=0.97,
                  updates_per_episode=budget(fast=4, full=5), batch_size=64,
                  reanalyse_positions=0, temperatures=(1.0, 1.0, 0.5),
                  latent_dim=64, hidden=128, dirichlet_alpha=0.25,
                  eval_every=10**9, eval_max_steps=1)
"""Measured on seed 0 before the run: 300 episodes at 20 Adam steps each and
Reanalyse of 32 positions per episode used 2,004 frames in 550 s, and the
greedy policy scored 0 in 30 episodes (always "stay"); with 5 steps and no
Reanalyse (its noise-free searches give the first action the odd simulation
when the model knows nothing) 300 episodes took 93 s for 3,878 frames."""
DQN = DQNConfig(total_steps=1, start_steps=budget(fast=20, full=500),
                buffer_size=100_000, batch_size=32, hidden=128, encoder="conv",
                lr=5e-4, gamma=0.97, target_update_every=250,
                eps_decay_steps=budget(fast=20, full=2_000), eval_episodes=1)
"""``total_steps`` is set per seed to MuZero's frames."""
EVAL_EPISODES = budget(fast=10, full=30)
EVAL_FRAMES = budget(fast=200, full=2000)
CURVE_BINS = 10


def run_seed(cfg, seed: int) -> dict:
    """MuZero, then DQN on as many frames, then a random policy; plain data."""
    import dataclasses

    import gymnasium as gym

    from mbrl_lessons.algorithms import dqn, muzero
    from mbrl_lessons.core.seeding import stream_rng, stream_seed
    from mbrl_lessons.envs.minatar_tools import (
        EpisodeLog,
        binned_curve,
        make_minatar,
        play_returns,
    )
    from mbrl_lessons.search.puct import best_action, visit_policy

    torch.set_num_threads(1)
    mz_cfg, dqn_cfg = dataclasses.replace(cfg["muzero"], seed=seed), cfg["dqn"]
    # evaluation episodes from a stream no learner trained on
    eval_seed = stream_seed(seed, "eval_episodes")

    # MuZero
    env = EpisodeLog(make_minatar(GAME))
    t0 = time.time()
    res = muzero.train(env, mz_cfg)
    mz_seconds, frames = time.time() - t0, env.frames
    model = muzero.FrozenModel(res.net)
    enc = muzero.encoder_for(env.observation_space)

    def mz_policy(obs) -> int:
        return best_action(muzero.search(model, enc(obs), mz_cfg), mz_cfg.gamma)

    mz_eval = play_returns(make_minatar(GAME), mz_policy, EVAL_EPISODES, eval_seed,
                           EVAL_FRAMES)
    sample_rng = stream_rng(seed, "muzero_sampled")

    def mz_sampled(obs) -> int:  # the last training temperature, no noise
        pi = visit_policy(muzero.search(model, enc(obs), mz_cfg),
                          mz_cfg.temperatures[-1])
        return int(sample_rng.choice(len(pi), p=pi))

    mz_sampled_eval = play_returns(make_minatar(GAME), mz_sampled, EVAL_EPISODES,
                                   eval_seed, EVAL_FRAMES)

    # DQN at MuZero's real frames
    d_cfg = dataclasses.replace(dqn_cfg, total_steps=frames, eval_every=frames,
                                seed=seed)
    dqn_env = EpisodeLog(make_minatar(GAME))
    t0 = time.time()
    d_res = dqn.train(dqn_env, d_cfg, eval_env=gym.wrappers.TimeLimit(
        make_minatar(GAME), EVAL_FRAMES))
    dqn_seconds = time.time() - t0
    agent, greedy_rng = d_res.agent, stream_rng(seed, "dqn_greedy")
    dqn_eval = play_returns(make_minatar(GAME),
                            lambda o: agent.act(o, 0.0, greedy_rng), EVAL_EPISODES,
                            eval_seed, EVAL_FRAMES)

    # a uniformly random policy
    rng = stream_rng(seed, "random_policy")
    rnd_env = make_minatar(GAME)
    n_act = int(rnd_env.action_space.n)
    rnd_eval = play_returns(rnd_env, lambda o: int(rng.integers(n_act)),
                            EVAL_EPISODES, eval_seed, EVAL_FRAMES)

    edges = np.linspace(0, frames, CURVE_BINS + 1)
    return {
        "frames": frames,
        "curve_edges": edges,
        "muzero_curve": binned_curve(env.episodes, edges),
        "dqn_curve": binned_curve(dqn_env.episodes, edges),
        "muzero_eval": mz_eval, "dqn_eval": dqn_eval, "random_eval": rnd_eval,
        "muzero_sampled_eval": mz_sampled_eval,
        "muzero_train_returns": [r for _, r in env.episodes],
        "final_losses": res.losses[-50:].mean(0),
        "muzero_seconds": mz_seconds, "dqn_seconds": dqn_seconds,
    }


if __name__ == "__main__":
    t0 = time.time()
    runs = run_sweep(run_seed, {"breakout": {"muzero": MZ, "dqn": DQN}},
                     range(SEEDS), name="ch07_muzero_minatar")
    per_seed = [runs["breakout", s] for s in range(SEEDS)]
    mean = {k: [float(np.mean(r[f"{k}_eval"])) for r in per_seed]
            for k in ("muzero", "muzero_sampled", "dqn", "random")}
    frames = [r["frames"] for r in per_seed]
    at = (f"{EVAL_EPISODES} greedy evaluation episodes per seed (each capped at "
          f"{EVAL_FRAMES} frames), after about {int(np.mean(frames))} real frames "
          "of training")
    targets = [
        Target.over_seeds("muzero_over_random",
                          f"MuZero's mean Breakout return over a uniformly random "
                          f"policy's, {at}", {"muzero": mean["muzero"],
                                              "random": mean["random"]},
                          ">=", 3.0, statistic="ratio_of_means"),
        Target.over_seeds("muzero_minus_dqn",
                          "MuZero's mean Breakout return minus DQN's (trained on "
                          "the same number of real frames), "
                          + at, {"muzero": mean["muzero"], "dqn": mean["dqn"]},
                          ">", 0.0, statistic="mean_difference"),
    ]
    write_results("ch07_muzero_minatar",
                  config={"muzero": MZ, "dqn": DQN, "game": GAME, "seeds": SEEDS,
                          "eval_episodes": EVAL_EPISODES, "eval_frames": EVAL_FRAMES},
                  targets=targets, seconds=time.time() - t0, results_dir=out_dir,
                  extra={"mean_return": mean, "frames_per_seed": frames,
                         "per_seed": per_seed})
