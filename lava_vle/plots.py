"""Plots of lava-vle results (matplotlib, headless Agg backend)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_gradient_cosines(results: dict, path: Path) -> None:
    """Grouped bars per input bandwidth: cosine per projection and setting."""
    plt = _pyplot()
    panels = sorted({row["inputs"] for row in results["rows"]}, reverse=True)
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 4), sharey=True,
                             squeeze=False)
    lowest = min(min(r["cosine_mean"]) for r in results["rows"])
    for ax, panel in zip(axes[0], panels):
        rows = [r for r in results["rows"] if r["inputs"] == panel]
        names = rows[0]["projections"]
        width = 0.8 / len(rows)
        for i, row in enumerate(rows):
            pos = np.arange(len(names)) + (i - (len(rows) - 1) / 2) * width
            ax.bar(pos, row["cosine_mean"], width, yerr=row["cosine_std"], label=row["setting"])
        ax.set_xticks(np.arange(len(names)), names)
        ax.set_ylim(min(0.0, lowest - 0.05), 1.02)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{panel} inputs (<= {rows[0]['max_freq']} cycles / tau_m)")
    axes[0][0].set_ylabel("cosine(local VLE update, -exact gradient)")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Local rule vs exact gradient, teacher-student, {results['steps']} steps, "
                 f"{len(results['seeds'])} seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_lava_speed(results: dict, path: Path) -> None:
    """Bars: steps/s of the VLE network and the stock network, per precision."""
    plt = _pyplot()
    rows = results["results"]
    names = list(rows)
    pos = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.bar(pos - 0.2, [rows[n]["vle_steps_per_s"] for n in names], 0.4, label="VLE network")
    ax.bar(pos + 0.2, [rows[n]["stock_steps_per_s"] for n in names], 0.4,
           label="stock LIF + Dense, same sizes and process count")
    for p, n in zip(pos, names):
        ax.text(p, rows[n]["vle_steps_per_s"], f"{rows[n]['ratio']:.2f}x", ha="center",
                va="bottom")
    ax.set_xticks(pos, names)
    ax.set_ylabel("time steps per second (Lava CPU runtime)")
    ax.set_title(f"Lava runtime speed, sizes {results['sizes']}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
