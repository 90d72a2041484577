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
# ---

# %% [markdown]
# # Appendix: results
#
# *About 3 minutes: 2 to read, 1 to run at FAST.*
#
# Every headline number of the book, as measured by the scripts in
# `benchmarks/` at the full budget. Nothing on this page is typed in by hand:
# the tables below are rendered from the JSON files in `results/`, each of
# which records the configuration, the commit and the wall-clock time of the
# run that produced it. Run `make reproduce` to measure them again on your
# machine; a target that a run misses is shown as missed, with its number.
#
# Each benchmark was last run at its own commit, shown in its header: a
# benchmark is rerun when the code behind it changes, not on every change
# to the book, so the commits differ from one benchmark to the next and from
# the commit this website was built at. A commit ending in `-dirty` means
# that the run had uncommitted changes on top of that commit.
#
# A number that compares methods or summarises several seeds is shown with
# its 95% bootstrap confidence interval over seeds in brackets and the number
# of seeds (`n=`); `iqm` marks an interquartile mean, the mean of the middle
# half of the seeds. Such a target counts as met only if its whole interval
# lies on the right side of the threshold: a mean that clears the bar while
# its interval straddles it is reported as missed, because those seeds do not
# show the effect. Numbers without brackets are single measurements (a time,
# a count) or benchmarks not yet rerun under this rule.

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
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from mbrl_lessons.analysis.report import all_results, payload_header, targets_markdown
from mbrl_lessons.viz.style import fig_size

payloads = all_results()
if not payloads:
    display(Markdown("*No benchmark has been run yet: run `make reproduce`.*"))
for payload in payloads:
    display(Markdown(f"### `{payload['name']}`\n\n{payload_header(payload)}\n\n"
                     + targets_markdown(payload)))

# %% [markdown]
# ## Targets met, per benchmark
#
# A glance at the whole book: for each benchmark, how many of its targets the
# committed full-budget run met (green) and missed (red).

# %% tags=["hide-input"] mystnb={"image": {"alt": "Horizontal bars of the number of met and missed full-budget targets for each benchmark."}}
if payloads:
    names = [p["name"] for p in payloads]
    met = [sum(t["met"] for t in p["targets"]) for p in payloads]
    missed = [len(p["targets"]) - m for p, m in zip(payloads, met, strict=True)]
    fig, ax = plt.subplots(figsize=fig_size(0.5 + 0.45 * len(names)))
    ax.barh(names, met, color="tab:green", label="met")
    ax.barh(names, missed, left=met, color="tab:red", label="missed")
    ax.set_xlabel("number of targets")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    ax.set_title("Full-budget targets by benchmark")
    plt.tight_layout()
    plt.show()
