"""Plots of lava-vle results (matplotlib, headless Agg backend)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np


def without_matplotlib(draw: Callable[[], None], what: str) -> None:
    """Run ``draw``; on a machine without matplotlib (a bare GPU box) say
    which plot is skipped instead of failing the run whose data it shows."""
    try:
        draw()
    except ModuleNotFoundError as err:
        if err.name != "matplotlib":
            raise
        print(f"matplotlib is not installed: {what} not drawn")


def _pyplot():
    """pyplot with the headless Agg backend, unless pyplot is already in use:
    then its backend stays (a notebook's inline figures would otherwise stop
    showing after a lava-vle call that writes a plot); every plot here is
    saved and closed, never shown."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
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
    ax_speed.bar(rules, [results["samples_per_s"][r] for r in rules],
                 color=[f"C{i}" for i in range(len(rules))])
    ax_speed.set_ylabel("training samples / s")
    ax_speed.set_title(f"VLE / BPTT = {results['ratio_vle_over_bptt']}x")
    for rule, memory in results["peak_batch_memory_mib"].items():
        ax_mem.plot(results["lengths"], memory, "o-", color=f"C{rules.index(rule)}", label=rule)
    ax_mem.set_xlabel("sequence length (steps)")
    ax_mem.set_ylabel("peak memory of one batch (MiB)")
    ax_mem.legend()
    fig.suptitle(f"{results['network']}, batch {results['batch']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_gle_reference_speed(results: dict, path: Path) -> None:
    """Samples per wall- and CPU-second of the GLE reference and of the per-step
    recipe here (numpy; captured windows where timed), with the
    10x-the-reference mark."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    labels = {"gle_reference": "GLE reference (torch)",
              "vle_per_step": "lava-vle per-step recipe\n(numpy)",
              "vle_per_step_captured": "per-step recipe, captured\nwindows (torch CPU)"}
    names = [name for name in labels if name in results["samples_per_s"]]
    for i, (key, label) in enumerate((("samples_per_s", "wall"), ("samples_per_cpu_s", "CPU"))):
        values = [results[key][name] for name in names]
        ax.bar(np.arange(len(names)) + 0.4 * i - 0.2, values, 0.4, label=f"per {label}-second",
               color=f"C{i}")
    ax.axhline(10 * results["samples_per_s"]["gle_reference"], ls="--", color="grey", lw=1,
               label="10x the reference (wall)")
    ax.set_xticks(np.arange(len(names)), [labels[name] for name in names], fontsize=8)
    ax.set_ylabel("training samples / s")
    ratios = f"{results['ratio_vle_over_gle_reference']}x"
    if "ratio_captured_over_gle_reference" in results:
        ratios += f", captured {results['ratio_captured_over_gle_reference']}x"
    ax.set_title(f"MNIST-1D, batch {results['batch']}, {results['steps']} steps, one thread: "
                 f"{ratios}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_energy(results: dict, path: Path) -> None:
    """Energy per training sample vs learning epoch N: VLE at its core and
    system boundaries, BPTT at each of its boundaries (nominal, low..high band)."""
    plt = _pyplot()
    nets = results["networks"]
    fig, axes = plt.subplots(1, len(nets), figsize=(6 * len(nets), 4.2), squeeze=False)
    for ax, net in zip(axes[0], nets):
        rows = net["by_learning_epoch"]
        epochs = [int(n) for n in rows]
        first = rows[next(iter(rows))]["boundaries"]
        for boundary, row in first.items():
            b = row["bptt_uj"]
            line = ax.axhline(b["nominal"], ls="--", lw=1,
                              label=f"BPTT {boundary}: {row['bptt_boundary']}")
            ax.axhspan(b["low"], b["high"], color=line.get_color(), alpha=0.08)
        for side, boundary in (("core", "A"), ("system", "D")):
            values = [rows[n]["boundaries"][boundary]["vle_uj"] for n in rows]
            nominal = [v["nominal"] for v in values]
            line, = ax.plot(epochs, nominal, "o-", lw=2, label=f"VLE on chip, {side}")
            ax.fill_between(epochs, [v["low"] for v in values], [v["high"] for v in values],
                            color=line.get_color(), alpha=0.15)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xticks(epochs, [str(n) for n in epochs])
        ax.set_xlabel("learning epoch N (steps between weight updates)")
        ax.set_ylabel("energy per training sample (uJ)")
        ax.set_title(net["network"])
        ax.legend(fontsize=7)
    fig.suptitle("Estimated from counted operations, one boundary per line "
                 "(bands: low..high figures)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_energy_sensitivity(results: dict, path: Path) -> None:
    """BPTT / VLE energy ratio as one assumption at a time moves across its
    range (:func:`lava_vle.energy.sensitivity`): one row per benchmark, one
    panel per assumption, one line per boundary it moves (solid: learning
    epoch N = 1, dashed: the largest N measured); grey band: the paper
    summary's 2-3x, dotted: the nominal value."""
    plt = _pyplot()
    from matplotlib import ticker

    nets = results["networks"]
    axes_order = ("per_op_scale", "memory_level", "static_uj_per_step", "gpu_batch",
                  "gpu_kernels")
    colours = {"A": "C0", "B": "C1", "C": "C2", "D": "C3"}
    fig, axes = plt.subplots(len(nets), len(axes_order), figsize=(4 * len(axes_order),
                                                                  3.4 * len(nets)),
                             squeeze=False)
    for row_axes, net in zip(axes, nets):
        sweeps = net["sensitivity"]
        epochs = list(sweeps)
        shown = [(epochs[0], "-")] + ([(epochs[-1], "--")] if len(epochs) > 1 else [])
        for ax, key in zip(row_axes, axes_order):
            first = sweeps[epochs[0]][key]
            categorical = key == "memory_level"
            x = np.arange(len(first["values"])) if categorical else np.array(first["values"])
            for n, style in shown:
                sweep = sweeps[n][key]
                for name, ratios in sweep["ratios"].items():
                    boundary = name.split()[0]
                    if name != boundary:  # the launch-time ends: a band around the line
                        continue
                    ax.plot(x, ratios, style, marker="o" if categorical else None, ms=4,
                            color=colours[boundary], label=f"{boundary}, N = {n}")
                low, high = sweep["ratios"].get("C low"), sweep["ratios"].get("C high")
                if low is not None and high is not None:
                    ax.fill_between(x, low, high, color=colours["C"], alpha=0.12)
            ax.axhspan(2, 3, color="0.6", alpha=0.3, lw=0)
            ax.axhline(1, color="k", lw=0.6)
            nominal = first["nominal"]
            ax.axvline(first["values"].index(nominal) if categorical else nominal,
                       color="k", ls=":", lw=1)
            if categorical:
                ax.set_xticks(x, [v.replace(" SRAM", "").replace("register file", "reg.")
                                  for v in first["values"]])
            else:
                ax.set_xscale("log")
                ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
                ax.xaxis.set_minor_formatter(ticker.NullFormatter())
                if key == "per_op_scale":
                    ax.set_xticks([0.3, 0.5, 1, 1.5])
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            bottom, top = ax.get_ylim()
            few_decades = np.log10(top / bottom) < 1.5  # label minor ticks only then
            ax.yaxis.set_minor_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}")
                                         if few_decades else ticker.NullFormatter())
            ax.tick_params(labelsize=7)
            ax.set_xlabel(first["label"], fontsize=8)
            ax.set_title(net["network"], fontsize=8)
            ax.legend(fontsize=6)
        row_axes[0].set_ylabel("BPTT / VLE energy")
    fig.suptitle("Sensitivity of BPTT / VLE to one assumption at a time (others nominal; "
                 "grey: 2-3x; dotted: nominal; C band: launch time 3-20 us; C modelled, "
                 "not measured)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

def plot_recurrent_cosines(results: dict, path: Path) -> None:
    """Per unit type: cosine of the recurrent projection's local update with
    the exact gradient vs the student's weight gain, one line per mode."""
    plt = _pyplot()
    rows = results["rows"]
    units = list(dict.fromkeys(r["units"] for r in rows))
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    fig, axes = plt.subplots(2, len(units), figsize=(3.6 * len(units), 6), sharey=True,
                             squeeze=False)
    for col, unit in enumerate(units):
        for row_index, (proj, title) in enumerate(((1, "recurrent W1_1"), (0, "input W1_0"))):
            ax = axes[row_index][col]
            for mode in modes:
                sel = [r for r in rows if r["units"] == unit and r["mode"] == mode]
                ax.errorbar([r["gain"] for r in sel], [r["cosine_mean"][proj] for r in sel],
                            yerr=[r["cosine_std"][proj] for r in sel], marker="o", capsize=3,
                            label=mode)
            ax.axhline(0, color="k", lw=0.5)
            ax.set_ylim(-1.05, 1.05)
            ax.set_title(f"{unit}\n{title}", fontsize=8)
            ax.set_xlabel("student weight gain")
    axes[0][0].set_ylabel("cosine(local update, -exact gradient)")
    axes[1][0].set_ylabel("cosine(local update, -exact gradient)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle(f"Recurrent error modes vs the exact gradient ({results['steps']} steps, "
                 f"{len(results['seeds'])} seeds; NaN = diverged, not drawn)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_learning_engine(results: dict, path: Path) -> None:
    """Output MSE per epoch (engine vs our learning-epoch rule, and the floating_pt
    variants) and the engine's forward weight distance from ours."""
    plt = _pyplot()
    fig, (ax_mse, ax_dist) = plt.subplots(1, 2, figsize=(11, 4))
    epochs = np.arange(results["epochs"] + 1)
    styles = {"float": "tab:blue", "fixed": "tab:orange"}
    for precision, row in results["precisions"].items():
        colour = styles.get(precision)
        ax_mse.semilogy(epochs, row["simulator_mse"], "o-", color=colour,
                        label=f"our learning-epoch rule, {precision}")
        ax_mse.semilogy(epochs, row["engine_mse"], "s--", color=colour,
                        label=f"learning engine, {precision}")
        ax_dist.plot(epochs, row["forward_weight_distance"], "s--", color=colour,
                     label=f"||W_engine - W_ours|| / ||W_ours||, {precision}")
        ax_dist.plot(epochs, np.mean(row["forward_half_drift"], axis=1), "^:", color=colour,
                     label=f"engine ||W+ - W-|| / ||W+||, {precision}")
    variants = results.get("variants_float", {})
    labels = {"simulator_sampled_traces_mse": ("our rule, both traces sampled (float)",
                                               "tab:green"),
              "engine_filtered_post_trace_mse": ("engine, our filtered y (float)", "tab:purple"),
              "engine_learned_error_path_mse": ("engine, error path learned (float)", "tab:red")}
    for key, (label, colour) in labels.items():
        if key in variants:
            ax_mse.semilogy(epochs, variants[key], ":", color=colour, label=label)
    if "engine_learned_error_path_half_drift" in variants:
        drift = np.array(variants["engine_learned_error_path_half_drift"])
        ax_dist.plot(epochs, drift.mean(axis=1), ":", color="tab:red",
                     label="learned error path: ||W_e+ - W_e-|| / ||W_e+|| (float)")
    ax_mse.set_xlabel("epoch (0: frozen)")
    ax_mse.set_ylabel("output MSE")
    ax_mse.legend(fontsize=7)
    ax_dist.set_xlabel("epoch (0: frozen)")
    ax_dist.set_ylabel("relative weight distance")
    ax_dist.legend(fontsize=7)
    fig.suptitle(f"{results['task']}\nstock LearningDense + Loihi3FLearningRule (t_epoch = "
                 f"{results['learning_epoch']}) vs our rule (learning_epoch = "
                 f"{results['learning_epoch']}), {results['steps_per_epoch']} steps per epoch",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
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


def plot_compare(summary: dict, path: Path) -> None:
    """A comparison (:mod:`lava_vle.experiments.compare`): left, each arm's test metric at
    its picked lr (mean +/- std over seeds, the seeds as dots); right, the
    validation metric over the lr grid per arm."""
    plt = _pyplot()
    rows = [row for row in summary["rows"] if "test" in row]
    fig, (ax_test, ax_grid) = plt.subplots(1, 2, figsize=(11, 4))
    for i, row in enumerate(rows):
        colour = "C0" if row["rule"] == "vle" else "C3"
        ax_test.bar(i, row["test"]["mean"], yerr=row["test"]["std"], color=colour, alpha=0.6,
                    capsize=4)
        ax_test.plot([i] * row["test"]["n"], row["test"]["values"], "k.", ms=4)
    ax_test.set_xticks(range(len(rows)))
    ax_test.set_xticklabels([f"{r['arm']}\n{r['optimizer_steps_per_sequence']:g} steps/seq"
                             for r in rows], fontsize=7)
    metric = "accuracy %" if summary["metric"] == "accuracy_percent" else "NRMSE"
    ax_test.set_ylabel(f"test {metric}")
    for row in summary["rows"]:
        lrs = [float(name.split("=")[1]) for name in row["grid"]]
        values = np.array(list(row["grid"].values()), float)
        ax_grid.plot(lrs, np.where(np.isfinite(values), values, np.nan), marker="o",
                     label=row["arm"], ls="-" if row["rule"] == "vle" else "--")
    ax_grid.set_xscale("log")
    ax_grid.set_xlabel("learning rate")
    ax_grid.set_ylabel(f"validation {metric} (mean over seeds)")
    ax_grid.legend(fontsize=7)
    fig.suptitle(f"{summary['task']}, hold {summary['hold']}, {summary['epochs']} epochs: "
                 "VLE vs BPTT, lr picked on validation")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
