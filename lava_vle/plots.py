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


def plot_learning_curves(results: dict, path: Path) -> None:
    """Train loss and test metric per epoch."""
    plt = _pyplot()
    history = results["history"]
    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_metric) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [row["train_loss"] for row in history], "o-", label="train")
    ax_loss.plot(epochs, [row["test_loss"] for row in history], "s-", label="test")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss per sample")
    ax_loss.legend()
    label = "accuracy (%)" if results["metric"] == "accuracy_percent" else "NRMSE"
    ax_metric.plot(epochs, [row["train_metric"] for row in history], "o-", label="train")
    ax_metric.plot(epochs, [row["test_metric"] for row in history], "s-", label="test")
    ax_metric.set_xlabel("epoch")
    ax_metric.set_ylabel(label)
    ax_metric.legend()
    cfg = results["config"]
    fig.suptitle(f"{results['task']}: rule={cfg['rule']}, precision={cfg['precision']}, "
                 f"{results['network']['parameters']} parameters")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_outputs(dataset, outputs: np.ndarray, path: Path, sample: int = 0) -> None:
    """Output traces of one test sample: classes over time, or target vs produced."""
    plt = _pyplot()
    steps = np.arange(outputs.shape[0]) * dataset.dt
    fig, ax = plt.subplots(figsize=(8, 3.5))
    if dataset.task == "classification":
        for k in range(outputs.shape[-1]):
            ax.plot(steps, outputs[:, sample, k], lw=1, label=f"class {k}")
        window = dataset.readout_weight > 0
        ax.fill_between(steps, 0, 1, where=window, color="grey", alpha=0.15,
                        transform=ax.get_xaxis_transform(), label="readout window")
        ax.set_title(f"test sample {sample}: label {dataset.y_test[sample]}")
        ax.legend(fontsize=6, ncol=2)
    else:
        target = dataset.y_test[sample]
        for k in range(outputs.shape[-1]):
            line, = ax.plot(steps, target[:, k], lw=2, alpha=0.4)
            ax.plot(steps, outputs[:, sample, k], "--", lw=1, color=line.get_color())
        ax.set_title("target (solid) vs produced (dashed)")
    ax.set_xlabel("time")
    ax.set_ylabel("output")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_train_speed(results: dict, path: Path) -> None:
    """Samples/s of VLE and BPTT, and batch peak memory against sequence length."""
    plt = _pyplot()
    fig, (ax_speed, ax_mem) = plt.subplots(1, 2, figsize=(9, 3.5))
    rules = list(results["samples_per_s"])
    ax_speed.bar(rules, [results["samples_per_s"][r] for r in rules], color=["C0", "C1"])
    ax_speed.set_ylabel("training samples / s")
    ax_speed.set_title(f"VLE / BPTT = {results['ratio_vle_over_bptt']}x")
    for i, rule in enumerate(rules):
        ax_mem.plot(results["lengths"], results["peak_batch_memory_mib"][rule], "o-",
                    color=f"C{i}", label=rule)
    ax_mem.set_xlabel("sequence length (steps)")
    ax_mem.set_ylabel("peak memory of one batch (MiB)")
    ax_mem.legend()
    fig.suptitle(f"{results['network']}, batch {results['batch']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_energy(results: dict, path: Path) -> None:
    """Energy per training sample, VLE vs BPTT, nominal with low/high range."""
    plt = _pyplot()
    names = list(results)
    pos = np.arange(len(names))
    fig, ax = plt.subplots(figsize=(7, 4))
    for offset, key, label in ((-0.2, "vle_uj", "VLE on Loihi-like hardware"),
                               (0.2, "bptt_uj", "BPTT in software (fp32)")):
        values = [results[n]["energy"][key] for n in names]
        nominal = np.array([v["nominal"] for v in values])
        err = np.array([[v["nominal"] - v["low"] for v in values],
                        [v["high"] - v["nominal"] for v in values]])
        ax.bar(pos + offset, nominal, 0.4, yerr=err, capsize=4, label=label)
    ax.set_xticks(pos, names)
    ax.set_yscale("log")
    ax.set_ylabel("energy per training sample (uJ)")
    ax.set_title("Estimated from counted operations (bars: nominal, whiskers: low..high)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_sweep_curves(summary: dict, path: Path) -> None:
    """Test metric per epoch of each sweep configuration: mean over its seeds,
    shaded +/- one standard deviation; one panel per metric."""
    plt = _pyplot()
    metrics = sorted({c["metric"] for c in summary["configurations"]})
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, c in enumerate(c for c in summary["configurations"] if c["metric"] == metric):
            curve = c["curve"]
            mean, std = np.array(curve["mean"]), np.array(curve["std"])
            ax.plot(curve["epoch"], mean, "o-", color=f"C{i}", label=f"{c['name']} (n={c['n']})")
            ax.fill_between(curve["epoch"], mean - std, mean + std, color=f"C{i}", alpha=0.2)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"test {metric}")
        ax.legend(fontsize=7)
    fig.suptitle("Sweep: mean +/- std over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
