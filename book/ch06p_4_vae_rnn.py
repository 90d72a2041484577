# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: mystnb,tags,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # P.4 Variational autoencoders and recurrent networks
#
# *About 11 minutes: 10 to read, 1 to run at FAST.* Section 4 of {doc}`ch06p_model_free`.
#
# ```{admonition} Learning goals
# :class: tip
# After this section you can
# - derive the evidence lower bound (ELBO) and name its two terms;
# - sample a latent with the reparameterisation trick and say why it lets gradients through;
# - write the GRU's and the LSTM's update equations and say what their gates do;
# - show on the pendulum that a recurrent state recovers what a single observation hides.
# ```

# %% tags=["remove-input"]
# Running in Colab? Install this course's release and run the FAST budget
# (Colab's free CPU; a no-op elsewhere). Written by tools/colab_cells.py from
# _config.yml: change the release there, not here.
import os
import sys
if "google.colab" in sys.modules:
    import subprocess
    os.environ.setdefault("MBRL_LESSONS_FAST", "1")
    # pip adds only what Colab lacks: Colab's torch, numpy and ipywidgets
    # already satisfy the package's version ranges and are left as they are
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "mbrl-lessons @ git+https://github.com/mbrl-lessons/mbrl-lessons@v0.1.0"], check=True)

# %%
import gymnasium as gym
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from mbrl_lessons import budget
from mbrl_lessons.core.nets import mlp
from mbrl_lessons.core.seeding import stream_seed, torch_generator, torch_seeded
from mbrl_lessons.models.vae import vae_loss
from mbrl_lessons.viz import live_figure, show_source
from mbrl_lessons.viz.style import fig_size

torch.set_num_threads(1)  # one thread: the test suite runs two notebooks at once

# %% [markdown]
# World Models (§7.1) compresses each camera frame into a short code with a
# variational autoencoder and predicts the next code with a recurrent
# network; Dreamer's world model (§7.4) fuses both into one recurrent
# state-space model. This section builds the two parts, small enough to
# train in seconds, at the depth chapter 7 uses them; §7.1 then trains the
# package's convolutional VAE on pendulum frames.
#
# ## The evidence lower bound
#
# A latent-variable model explains an observation $x$ (a frame) by an
# unobserved code $z$: draw $z \sim p(z) = \mathcal N(0, I)$, then
# $x \sim p_\theta(x \mid z)$, where a *decoder* network outputs the
# parameters of $p_\theta$. Fitting $\theta$ by maximum likelihood needs
# $\log p_\theta(x) = \log \int p_\theta(x \mid z)\,p(z)\,dz$, an integral over
# all codes that we cannot compute. A variational autoencoder
# {cite}`kingma2014vae,rezende2014vae` introduces an *encoder*
# $q_\psi(z \mid x) = \mathcal N(\mu_\psi(x), \operatorname{diag}\sigma^2_\psi(x))$
# and uses Jensen's inequality:
#
# $$
# \log p_\theta(x) \;\ge\; \underbrace{\mathbb E_{q_\psi(z\mid x)}\big[\log p_\theta(x \mid z)\big]}_{\text{reconstruction}}
# \;-\; \underbrace{\mathrm{KL}\big(q_\psi(z \mid x)\,\big\|\,p(z)\big)}_{\text{rate}}
# \;=\; \mathrm{ELBO}(x).
# $$
#
# The gap is exactly $\mathrm{KL}(q_\psi(z\mid x)\,\|\,p_\theta(z \mid x))$, so
# raising the ELBO in $\psi$ makes the encoder a better approximation of the
# true posterior, and raising it in $\theta$ makes the data more likely. The
# first term asks codes to carry enough to rebuild $x$; the second asks them
# to stay close to the prior, which keeps the code space smooth and lets us
# sample from it. For Gaussians the KL has a closed form,
# $\tfrac12\sum_j\big(\mu_j^2 + \sigma_j^2 - 1 - \log\sigma_j^2\big)$.
#
# **Reparameterisation.** The reconstruction term is an expectation over
# $z \sim q_\psi$, whose distribution depends on $\psi$. Sampling
# $z = \mu_\psi(x) + \sigma_\psi(x)\odot\epsilon$ with
# $\epsilon \sim \mathcal N(0, I)$ moves the randomness into $\epsilon$, so a
# single sample gives a low-variance gradient for both networks by ordinary
# backpropagation, the same device SAC's actor uses (§P.3).
#
# The package's VAE (`mbrl_lessons.models.vae`, World Models' V in §7.1)
# computes the negative ELBO of a batch in one function, with a Bernoulli
# decoder whose reconstruction term is the binary cross-entropy summed over
# pixels:

# %%
show_source(vae_loss)

# %% [markdown]
# §7.1 fits the package's convolutional `ConvVAE` to pendulum frames with
# this loss. Here we want a code we can look at, so we pair the same loss
# with a tiny encoder and decoder of one hidden layer each and a
# two-dimensional code. The frames are $12 \times 12$ pixels and show a
# bright blob on a circle, at an angle $\vartheta$ that varies from frame to
# frame, like a pendulum seen from the front.

# %% mystnb={"image": {"alt": "Two panels for a VAE on small images of a rotating blob. Left: reconstruction term and KL rate in nats per frame against Adam steps. Right: the encoder means in the two-dimensional latent space, coloured by the blob's angle, forming a ring."}}
SIDE = 12


def blob_frames(angles):
    """[N] angles -> [N, SIDE * SIDE] frames of a Gaussian blob on a circle."""
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    cx = (SIDE - 1) / 2 + 4 * np.sin(angles)[:, None, None]
    cy = (SIDE - 1) / 2 - 4 * np.cos(angles)[:, None, None]
    img = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 2.0)
    return img.reshape(len(angles), -1).astype(np.float32)


class TinyVAE(nn.Module):
    """x [B, D] <-> z [B, 2] through one-hidden-layer MLPs."""

    def __init__(self, x_dim, z_dim=2, hidden=128):
        super().__init__()
        self.enc = mlp(x_dim, 2 * z_dim, hidden, 1, nn.ReLU, seed=0)
        self.dec = mlp(z_dim, x_dim, hidden, 1, nn.ReLU, seed=1)

    def encode(self, x):
        mu, log_var = self.enc(x).chunk(2, dim=-1)
        return mu, log_var.clamp(-8, 8)

    def decode(self, z):
        return torch.sigmoid(self.dec(z))              # pixel probabilities

    def forward(self, x, gen):
        mu, log_var = self.encode(x)
        eps = torch.randn(mu.shape, generator=gen)
        z = mu + (0.5 * log_var).exp() * eps            # reparameterised sample
        return self.decode(z), mu, log_var


rng = np.random.default_rng(0)
angles = rng.uniform(-np.pi, np.pi, 3000)
x_all = torch.as_tensor(blob_frames(angles))
vae = TinyVAE(SIDE * SIDE)
opt = torch.optim.Adam(vae.parameters(), lr=2e-3)
gen = torch_generator(1)
history = []
for step in range(budget(fast=1500, full=4000)):
    idx = torch.randint(len(x_all), (128,), generator=gen)
    loss, recon, kl = vae_loss(x_all[idx], *vae(x_all[idx], gen))  # -ELBO
    opt.zero_grad()
    loss.backward()
    opt.step()
    history.append((recon.item(), kl.item()))

rec_h, kl_h = np.array(history).T
with torch.no_grad():
    mu, _ = vae.encode(x_all)
fig, axes = plt.subplots(1, 2, figsize=fig_size(3.6))
axes[0].plot(rec_h, label="reconstruction: -E log p(x|z)")
axes[0].plot(kl_h, label="rate: KL(q(z|x) || p(z))")
axes[0].set_xlabel("Adam step")
axes[0].set_ylabel("nats per frame")
axes[0].set_yscale("log")
axes[0].legend(fontsize=8)
sc = axes[1].scatter(mu[:, 0], mu[:, 1], c=angles, cmap="twilight", s=4)
axes[1].set_xlabel("$\\mu_1$")
axes[1].set_ylabel("$\\mu_2$")
axes[1].set_title("encoder means, coloured by the blob's angle")
fig.colorbar(sc, ax=axes[1], label="angle (rad)")
plt.tight_layout()
plt.show()
print(f"final ELBO {-np.mean(rec_h[-100:] + kl_h[-100:]):.1f} nats per frame "
      f"(reconstruction term {-np.mean(rec_h[-100:]):.1f}, "
      f"KL {np.mean(kl_h[-100:]):.2f})")

# %% [markdown]
# The two terms pull against each other: the encoder spends a few nats of
# rate on each frame, and buys a much larger drop in reconstruction error
# with them. In this run (one seed, at this page's budget) the codes of the
# 3,000 frames lie on a closed loop, ordered by angle: the VAE has found,
# with no label, that a single circular quantity explains the frames (we
# have not measured how often a run ends with such a loop over seeds). Move through the code
# space with the sliders and watch the decoder draw; inside the loop the
# decoder has never been asked for anything, and outside the prior's bulk
# its frames degrade.

# %% mystnb={"image": {"alt": "Left: the data's latent codes coloured by angle, with the chosen code as a star. Right: the frame the decoder produces from that code."}}
def draw_decoder(z1=0.0, z2=1.0):
    with torch.no_grad():
        frame = vae.decode(torch.tensor([[z1, z2]], dtype=torch.float32))
    fig, axes = plt.subplots(1, 2, figsize=fig_size(3.2))
    axes[0].scatter(mu[:, 0], mu[:, 1], c=angles, cmap="twilight", s=3)
    axes[0].plot([z1], [z2], "k*", ms=14)
    axes[0].set_title("code z (star) among the data's codes")
    axes[1].imshow(frame.reshape(SIDE, SIDE), cmap="gray", vmin=0, vmax=1)
    axes[1].set_title("decoded frame")
    axes[1].axis("off")
    plt.tight_layout()


live_figure(draw_decoder, caption="Decoding a chosen code.",
            z1=widgets.FloatSlider(value=0.0, min=-3, max=3, step=0.1,
                                   description="z1"),
            z2=widgets.FloatSlider(value=1.0, min=-3, max=3, step=0.1,
                                   description="z2"))

# %% [markdown]
# ## Recurrent networks: a state that remembers
#
# A frame of a pendulum shows where it is, not how fast it is moving. To
# predict the next frame a model needs the velocity, which only a *history*
# of frames reveals (§5.4). A recurrent network carries a hidden state
# $h_t$ through time, updated from the previous state and the new input
# $x_t$. A plain update $h_t = \tanh(W h_{t-1} + U x_t)$ multiplies gradients
# by $W$ at every step backwards and so makes them vanish or explode over
# long sequences. Gated cells fix this with an additive path.
#
# The **GRU** {cite}`cho2014gru` (Dreamer's choice) computes an update gate
# $z_t$ and a reset gate $r_t$, both in $(0,1)$, and interpolates:
#
# $$
# \begin{aligned}
# z_t &= \sigma(W_z x_t + U_z h_{t-1}), \qquad r_t = \sigma(W_r x_t + U_r h_{t-1}),\\
# \tilde h_t &= \tanh\big(W x_t + U (r_t \odot h_{t-1})\big), \qquad
# h_t = z_t \odot h_{t-1} + (1 - z_t)\odot \tilde h_t .
# \end{aligned}
# $$
#
# Where $z_t \approx 1$ the state is copied unchanged, and so is its gradient.
# This is Cho et al.'s convention and that of torch's `nn.GRU` and
# `nn.GRUCell`, which the experiment below uses; some texts swap the roles
# of $z_t$ and $1 - z_t$. Torch also applies the reset gate after the
# recurrent matrix and its bias,
# $\tilde h_t = \tanh\big(W x_t + b + r_t \odot (U h_{t-1} + b_U)\big)$.
# The **LSTM** {cite}`hochreiter1997lstm` (World Models' choice) keeps a
# separate cell $c_t$ with input, forget and output gates $i_t, f_t, o_t$:
# $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$ and
# $h_t = o_t \odot \tanh(c_t)$, with $\tilde c_t$ computed like the GRU's
# $\tilde h_t$. Both are trained by backpropagation through time on
# sequences: unroll the cell over the sequence, sum the per-step losses,
# differentiate.
#
# ## Experiment: a GRU recovers the pendulum's hidden velocity
#
# We record random-torque episodes of the gymnasium pendulum, hide the
# angular velocity (observations $(\cos\vartheta, \sin\vartheta)$ only) and
# train two next-observation predictors on the same data: an MLP that sees
# the current observation and torque, and a GRU that sees the whole history
# of them. Both are scored on held-out episodes.

# %% mystnb={"image": {"alt": "Held-out mean-squared error of the next (cos, sin) of the pendulum against Adam steps, one line per recurrent model."}}
def pendulum_sequences(n_episodes, length, seed):
    """Random-torque pendulum episodes: inputs [N, T, 3] (cos, sin, torque),
    targets [N, T, 2] (the next cos, sin); the velocity is never shown."""
    env = gym.make("Pendulum-v1")
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=stream_seed(seed, "episode", i))
        x, y = [], []
        for _ in range(length):
            a = rng.uniform(-2, 2, size=1).astype(np.float32)
            nxt, *_ = env.step(a)
            x.append([obs[0], obs[1], a[0] / 2])
            y.append(nxt[:2])
            obs = nxt
        xs.append(x)
        ys.append(y)
    return (torch.as_tensor(np.array(xs), dtype=torch.float32),
            torch.as_tensor(np.array(ys), dtype=torch.float32))


class GRUPredictor(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        with torch_seeded(2):
            self.gru = nn.GRU(3, hidden, batch_first=True)
            self.head = nn.Linear(hidden, 2)

    def forward(self, x):                  # [B, T, 3] -> [B, T, 2]
        h, _ = self.gru(x)
        return self.head(h)


x_tr, y_tr = pendulum_sequences(budget(fast=200, full=1000), 40, seed=1)
x_te, y_te = pendulum_sequences(100, 40, seed=2)
models = {"MLP (current observation)": mlp(3, 2, 64, 2, nn.Tanh, seed=3),
          "GRU (whole history)": GRUPredictor()}
curves = {}
for name, net in models.items():
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen, curves[name] = torch_generator(4), []
    for step in range(budget(fast=400, full=2000)):
        idx = torch.randint(len(x_tr), (32,), generator=gen)
        loss = ((net(x_tr[idx]) - y_tr[idx]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 20 == 0:
            with torch.no_grad():
                curves[name].append(((net(x_te) - y_te) ** 2).mean().item())

fig, ax = plt.subplots(figsize=fig_size(3.4))
for name, c in curves.items():
    ax.plot(np.arange(len(c)) * 20, c, label=name)
ax.set_yscale("log")
ax.set_xlabel("Adam step")
ax.set_ylabel("held-out MSE of the next (cos, sin)")
ax.legend()
ax.grid(alpha=0.3)
plt.show()
for name, c in curves.items():
    print(f"{name:>26}: held-out MSE {c[-1]:.2e}")

# %% [markdown]
# The MLP cannot tell a pendulum swinging left from one swinging right at
# the same angle, and its error stays at the level of that ambiguity. In
# this run (one seed) the GRU's error drops below it once its state has
# learned to carry a running estimate of the velocity, a quantity it was
# never shown. The measured version of this claim, over five seeds with
# intervals, is §5.4's ({doc}`ch05_4_partial_observability`): there a GRU
# forecasts the speed-less pendulum 10 steps ahead better than a window of
# two observations, with the whole interval of the difference above 0 for
# clean and for noisy observations. In the first
# steps of each sequence the GRU is as blind as the MLP; an exercise asks you
# to measure that.
#
# ## Summary
#
# A VAE fits a latent-variable model by maximising the ELBO, a
# reconstruction term minus the KL divergence from the encoder to the prior,
# and trains through its sampled code by the reparameterisation trick; its
# codes summarise a frame in a few numbers. A GRU or LSTM carries a gated
# state through time, through which gradients survive many steps; it
# recovers quantities, such as a velocity, that no single observation holds.
# World Models (§7.1) trains them one after the other; Dreamer (§7.4)
# trains them as one model.
#
# ## Exercises
#
# Graded: `ch07_vae_elbo` (a VAE's negative ELBO, reconstruction plus KL) in
# `exercises/ch07_world_models.ipynb` (see {doc}`ch00_checking_your_work`).
#
# ```{exercise}
# :label: ex-primer-beta
# Multiply the KL term by $\beta \in \{0, 0.1, 1, 4\}$ and retrain the tiny
# VAE. What happens to the loop of codes, to the rate and to the decoded
# frames at $\beta = 0$ and at $\beta = 4$?
# ```
#
# ```{exercise}
# :label: ex-primer-gru-steps
# Compute the GRU's and the MLP's held-out error separately for each time
# step $t = 0, \dots, 39$ of the test sequences. After how many steps has the
# GRU's error fallen below the MLP's?
# ```
#
# ## References
#
# Variational autoencoders are due to Kingma and Welling {cite}`kingma2014vae`
# and, independently, Rezende et al. {cite}`rezende2014vae`; the LSTM to
# Hochreiter and Schmidhuber {cite}`hochreiter1997lstm`; the GRU to Cho et al.
# {cite}`cho2014gru`.
