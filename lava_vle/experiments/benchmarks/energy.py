"""Energy per training sample by boundary: VLE on a Loihi-like chip vs BPTT.

For the MNIST-1D reference network (graded) and the spiking delayed-XOR
network (``lava_vle.task_networks.default_network``) and learning epochs
``N in {1, 4, 16, 64}``, VLE's operations are measured on a simulated
training batch (``Simulator.run(count_synops=True)``: synaptic events, weight
updates once per epoch; messages from the recorded rates and errors), and
BPTT's on the same batch: forward MACs, the bytes autograd keeps for the
backward pass, the kernels one training step launches, the wall time of one
training step here. Figures, sources and boundaries: :mod:`lava_vle.energy`.
Writes ``energy.json`` (counts, energies, sensitivity), ``energy.png``,
``energy_sensitivity.png`` and the tables, ``energy_tables.md`` (or, with
``--page``, between the markers of that markdown page); ``--counts``
recomputes everything from the counts of an earlier ``energy.json``
(measuring nothing).

    python -m lava_vle.experiments.benchmarks.energy --out results/energy
    lava-vle bench energy --counts docs/energy.json --out docs --page docs/energy.md
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser, at_least
from lava_vle.energy import (BPTT_BOUNDARIES, FIGURES, BPTTCounts, VLECounts, break_even,
                             bptt_counts, compare, figures_markdown, figures_table,
                             gpu_time_s, sensitivity, trajectory_level, vle_counts,
                             vle_energy_uj)

EPOCHS = (1, 4, 16, 64)
TARGETS = (2.0, 3.0)  # the paper summary's "2-3x less energy"
TABLE_MARKERS = ("<!-- energy-tables: lava-vle bench energy --counts docs/energy.json "
                 "--out docs --page docs/energy.md -->", "<!-- /energy-tables -->")


def network_rows(name: str, dataset, batch: int, epochs: Sequence[int] = EPOCHS) -> dict:
    """Measured counts of one benchmark network, per learning epoch."""
    from lava_vle.datasets import one_hot_targets
    from lava_vle.task_networks import default_network

    index = np.arange(batch)
    x = np.ascontiguousarray(dataset.x_train[index].transpose(1, 0, 2))
    y = np.ascontiguousarray(one_hot_targets(dataset, "train", index).transpose(1, 0, 2))
    spec = default_network(dataset)
    bptt = bptt_counts(spec, x.astype(np.float32), y.astype(np.float32), dataset.loss_weight)
    rows = {n: {"vle_counts": asdict(vle_counts(replace(spec, learning_epoch=n), x, y,
                                                dataset.loss_weight))} for n in epochs}
    return evaluate({"network": name, "sizes": list(spec.sizes), "batch": batch,
                     "bptt_counts": asdict(bptt), "by_learning_epoch": rows})


def evaluate(net: dict) -> dict:
    """Energies, ratios, break-even values and sensitivity of one network from
    its counts (``bptt_counts``, ``by_learning_epoch[n]['vle_counts']``)
    under the current figures."""
    bptt = BPTTCounts(**net["bptt_counts"])
    rows, sweeps = {}, {}
    for n, row in net["by_learning_epoch"].items():
        vle = VLECounts(**row["vle_counts"])
        rows[int(n)] = {"vle_counts": asdict(vle), "boundaries": compare(vle, bptt),
                        "break_even": {str(t): break_even(vle, bptt, t) for t in TARGETS}}
        sweeps[int(n)] = sensitivity(vle, bptt)
    return {**net, "by_learning_epoch": rows, "sensitivity": sweeps}


def measure(batch: int = 16, epochs: Sequence[int] = EPOCHS) -> dict:
    from lava_vle.datasets import delayed_xor, mnist1d

    return {"figures": figures_table(), "boundaries": BPTT_BOUNDARIES,
            "networks": [network_rows("MNIST-1D (graded)", mnist1d(), batch, epochs),
                         network_rows("delayed XOR (spiking)",
                                      delayed_xor(n_train=batch, n_test=4), batch, epochs)]}


def recompute(results: dict) -> dict:
    """``results`` (an earlier ``energy.json``) recomputed from its counts
    under the current figures."""
    return {"figures": figures_table(), "boundaries": BPTT_BOUNDARIES,
            "networks": [evaluate(net) for net in results["networks"]]}


def _num(value: Optional[float]) -> str:
    """A number for a table: 3 significant digits, thousands separated."""
    if value is None:
        return "never"
    if value == np.inf:
        return "any"
    if value >= 1e6:
        return f"{value:.3g}"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _cell(r: dict) -> str:
    return f"{_num(r['nominal'])} ({_num(r['low'])}-{_num(r['high'])})"


def network_table(net: dict) -> str:
    """Markdown: per learning epoch, VLE's energies and BPTT / VLE per boundary,
    then BPTT's energies and what decides them."""
    bptt = BPTTCounts(**net["bptt_counts"])
    rows = net["by_learning_epoch"]
    level = trajectory_level(bptt)
    gpu = gpu_time_s(bptt)
    lines = [f"**{net['network']}** (sizes {net['sizes']}, batch {net['batch']}; "
             f"BPTT/VLE, nominal (low-high)):", "",
             "| learning epoch N | weight updates / sample | VLE core uJ | VLE system uJ "
             "(static share) | A arithmetic | B + trajectory in "
             f"{level.name} | C GPU model | D this CPU |", "|" + "---|" * 8]
    for n, row in rows.items():
        vle = VLECounts(**row["vle_counts"])
        b = row["boundaries"]
        core, system = b["A"]["vle_uj"], b["C"]["vle_uj"]
        share = 1 - vle_energy_uj(vle, "core") / vle_energy_uj(vle, "system")
        lines.append(f"| {n} | {vle.weight_updates:,.0f} | {_cell(core)} | {_cell(system)} "
                     f"({share:.0%}) | " + " | ".join(_cell(b[k]["bptt_over_vle"])
                                                      for k in "ABCD") + " |")
    first = rows[next(iter(rows))]["boundaries"]
    lines += ["", "BPTT uJ per sample: " + ", ".join(
        f"{k} {_cell(first[k]['bptt_uj'])}" for k in "ABCD") + ". "
        f"Trajectory {bptt.trajectory_bytes / 1e6:.3g} MB per sample x batch "
        f"{bptt.batch} = {bptt.trajectory_bytes * bptt.batch / 1e6:.3g} MB -> {level.name}. "
        f"GPU (modelled, not measured): {bptt.kernels:,.0f} kernels per training step x "
        f"{FIGURES['gpu_launch'].nominal * 1e6:g} us = {gpu['launch_floor'] * 1e3:.3g} ms "
        f"launch floor, against {(gpu['memory'] + gpu['compute']) * 1e3:.2g} ms of memory "
        f"traffic and arithmetic at peak (utilisation {gpu['utilisation']:.2%}). "
        f"This CPU: {bptt.wall_s * 1e3:.3g} ms per sample (measured)."]
    return "\n".join(lines)


def break_even_table(results: dict) -> str:
    """Markdown: for BPTT / VLE = 2x and 3x, what each assumption would have to
    be, the others nominal (see :func:`lava_vle.energy.break_even`)."""
    lines = ["| network, N | per-op x Loihi 1 for A | per-op for B | trajectory pJ/byte for B "
             "| static uJ/step for C | GPU batch for C |", "|" + "---|" * 6]
    for net in results["networks"]:
        for n, row in net["by_learning_epoch"].items():
            cells = []
            for key in ("per_op_scale_A", "per_op_scale_B", "trajectory_pj_per_byte",
                        "static_uj_per_step", "gpu_batch"):
                cells.append(" / ".join(_num(row["break_even"][str(t)][key]) for t in TARGETS))
            lines.append(f"| {net['network']}, {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def energy_tables(results: dict) -> str:
    """Every table of docs/energy.md's energy section, from ``results``."""
    parts = ["Figures (`lava_vle.energy.FIGURES`; the last three are published figures "
             "the model does not charge):", "", figures_markdown(), ""]
    for net in results["networks"]:
        parts += [network_table(net), ""]
    parts += ["What each assumption would have to be for BPTT / VLE = 2x / 3x (one at a "
              "time, the others nominal; nominal values: per-op 1, trajectory at its level "
              "as above, static 5 uJ/step, GPU batch as measured):", "",
              break_even_table(results)]
    return "\n".join(parts)


def replace_tables(path: Path, results: dict) -> None:
    """Put :func:`energy_tables` between the :data:`TABLE_MARKERS` of ``path``."""
    from lava_vle.experiments.pages import replace_between

    replace_between(path, TABLE_MARKERS, energy_tables(results), "energy-table")


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench energy", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/energy", help="output folder")
    parser.add_argument("--batch", type=at_least(1), default=16,
                        help="samples measured per network")
    parser.add_argument("--learning-epochs", type=at_least(1), nargs="+", default=list(EPOCHS),
                        help="learning epochs N to count")
    parser.add_argument("--counts", default=None,
                        help="an earlier energy.json: recompute from its counts, measure nothing")
    parser.add_argument("--page", default=None,
                        help="a markdown page whose energy-table markers get the tables")
    args = parser.parse_args(argv)
    if args.counts:
        results = recompute(json.loads(Path(args.counts).read_text()))
    else:
        results = measure(args.batch, args.learning_epochs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "energy.json").write_text(json.dumps(results, indent=2))
    if args.page:
        replace_tables(Path(args.page), results)
    else:
        (out / "energy_tables.md").write_text(energy_tables(results) + "\n")
    from lava_vle.plots import plot_energy, plot_energy_sensitivity

    plot_energy(results, out / "energy.png")
    plot_energy_sensitivity(results, out / "energy_sensitivity.png")
    for net in results["networks"]:
        print(f"{net['network']}: BPTT/VLE per boundary (nominal, low..high)")
        for n, row in net["by_learning_epoch"].items():
            cells = [f"{b} {r['bptt_over_vle']['nominal']:.2g} "
                     f"({r['bptt_over_vle']['low']:.2g}..{r['bptt_over_vle']['high']:.2g})"
                     for b, r in row["boundaries"].items()]
            print(f"  N={n:>3}: " + "; ".join(cells))
    for key, fig in FIGURES.items():
        print(f"  {key}: {fig.nominal:g} {fig.unit} ({fig.low:.3g}..{fig.high:.3g}), "
              f"{fig.label}, {fig.hardware}")
    tables = args.page or f"{out}/energy_tables.md"
    print(f"wrote {out}/energy.json, energy.png, energy_sensitivity.png and {tables}")
    return results


if __name__ == "__main__":
    main()
