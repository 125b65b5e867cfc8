"""One-at-a-time ablations of a recipe: what each change costs, paired over seeds.

    python -m lava_vle.experiments.ablations --base docs/gle-reproduction \\
        docs/gle-reproduction/seeds-3-9 --ablations docs/gle-reproduction/ablate-* \\
        --into docs/compare/NOTES.md

Each folder holds runs as ``seed-N/results.json`` (a sweep's trial folders,
or copies of their results). The base is every seed of the ``--base``
folders; each ablation folder is one row, its change read from the run's
settings against the base's (so a row cannot name a change it did not make),
its test metric per seed, mean +- std, and its difference from the base
paired over the seeds both ran. A row with a held-out split also shows its
final validation metric (a choice between two rows is made there, never on
the test metric). ``--reference FILE`` adds a table of the base's seeds
against another implementation's published runs (a JSON of per-epoch test
metrics per seed, :func:`versus_reference`). ``--into`` writes the tables
between the page's ``<!-- ablations -->`` markers.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser
from lava_vle.experiments.pages import replace_between
from lava_vle.experiments.summaries import seed_stats

MARKERS = ("<!-- ablations -->", "<!-- /ablations -->")
IGNORED = {"seed"}  # settings that differ between the seeds of one row


def seed_runs(folders: Sequence[Path]) -> dict[int, dict]:
    """``{seed: results.json}`` of the ``seed-N/results.json`` runs in ``folders``."""
    runs: dict[int, dict] = {}
    for folder in folders:
        for path in sorted(Path(folder).glob("seed-*/results.json")):
            result = json.loads(path.read_text())
            seed = result["config"]["seed"]
            if seed in runs:
                raise ValueError(f"{path}: seed {seed} appears twice in {list(folders)}")
            runs[seed] = result
    if not runs:
        raise ValueError(f"no seed-*/results.json in {[str(f) for f in folders]}")
    return runs


def settings(runs: dict[int, dict]) -> dict[str, Any]:
    """The settings all runs of one row share (refused if they differ), each
    run's completed with the defaults of settings added since it ran."""
    from lava_vle.train import saved_config

    shared = None
    for seed, result in runs.items():
        config = {k: v for k, v in saved_config(result["config"]).items() if k not in IGNORED}
        if shared is not None and config != shared:
            differ = sorted(k for k in config if config[k] != shared.get(k))
            raise ValueError(f"seed {seed} differs from the row's other runs in {differ}")
        shared = config
    return shared


def changes(base: dict[str, Any], row: dict[str, Any]) -> str:
    """``name: base value -> row value`` of every setting the row changes."""
    return "; ".join(f"{name}: {base.get(name)} -> {row.get(name)}"
                     for name in sorted(set(base) | set(row))
                     if base.get(name) != row.get(name)) or "(none)"


def _cell(values: Sequence[float]) -> str:
    stats = seed_stats(values)
    return f"{stats['mean']:.1f} +- {stats['std']:.1f}"


def ablation_table(base: dict[int, dict], rows: Sequence[tuple[str, dict[int, dict]]]) -> str:
    """Markdown: the base row (every seed), then one row per ablation
    ``(name, runs)``: its change, seeds, test metric per seed and mean +- std,
    the difference paired with the base's seeds, the final validation metric
    where the row held a split out, and minutes per run."""
    base_settings = settings(base)
    lines = ["| row | change against the base | seeds | test per seed | test mean +- std "
             "| paired difference | validation mean | minutes / run |", "|" + "---|" * 8]

    def line(name: str, runs: dict[int, dict], what: str, paired: str) -> str:
        seeds = sorted(runs)
        tests = [runs[s]["test_metric"] for s in seeds]
        vals = [runs[s]["history"][-1].get("val_metric") for s in seeds]
        val = _cell(vals) if all(v is not None for v in vals) else "-"
        minutes = np.mean([runs[s]["train_wall_s"] for s in seeds]) / 60
        return (f"| {name} | {what} | {', '.join(map(str, seeds))} | "
                f"{' / '.join(f'{t:.1f}' for t in tests)} | {_cell(tests)} | {paired} | "
                f"{val} | {minutes:.1f} |")

    lines.append(line("base", base, "(the base recipe)", "-"))
    for name, runs in rows:
        common = sorted(set(runs) & set(base))
        if common:
            diffs = [runs[s]["test_metric"] - base[s]["test_metric"] for s in common]
            paired = f"{_cell(diffs)} (seeds {', '.join(map(str, common))})"
        else:
            paired = "no common seed"
        lines.append(line(name, runs, changes(base_settings, settings(runs)), paired))
    return "\n".join(lines)


#: the readouts of a run's test curve the reference table compares (epoch ``e``
#: is the metric after epoch e; index 0 is before training)
READOUTS = {"final epoch": lambda curve, e: curve[e],
            "mean of the last 10 epochs": lambda curve, e: float(np.mean(curve[e - 9:e + 1])),
            "best epoch": lambda curve, e: max(curve[1:e + 1])}


def versus_reference(base: dict[int, dict], reference: dict) -> str:
    """Markdown: the base's seeds against the reference's (``{"seeds": {seed:
    [metric before training, after epoch 1, ...]}, "source": ...}``), at the
    base's last epoch: each readout's mean +- std (min..max) per side, the
    difference and Welch's t-test p (unequal variances, two-sided)."""
    from scipy import stats

    epochs = {len(r["history"]) for r in base.values()}
    if len(epochs) != 1:
        raise ValueError(f"the base's runs trained different epochs: {sorted(epochs)}")
    last = epochs.pop()
    ours = [[float("nan")] + [h["test_metric"] for h in r["history"]] for r in base.values()]
    theirs = list(reference["seeds"].values())
    if min(len(c) for c in theirs) <= last:
        raise ValueError(f"the reference's curves end before epoch {last}")

    def cell(values: np.ndarray) -> str:
        stats_ = seed_stats(values)
        return (f"{stats_['mean']:.2f} +- {stats_['std']:.2f} ({stats_['min']:.1f}.."
                f"{stats_['max']:.1f})")

    rows = {name: ([readout(c, last) for c in ours], [readout(c, last) for c in theirs])
            for name, readout in READOUTS.items()}
    if "test_loss" in reference:  # the reference's plateau schedule, replayed on its loss
        ours_lr = [[h["lr"] for h in r["history"]] for r in base.values()]
        config = settings(base)
        theirs_lr = [replayed_rates(config, losses[1:last + 1])
                     for losses in reference["test_loss"].values()]
        for name, below in SCHEDULE_READOUTS.items():
            rows[name] = ([_first_epoch(lrs, below) for lrs in ours_lr],
                          [_first_epoch(lrs, below) for lrs in theirs_lr])
    lines = [f"| readout at epoch {last} | this loop ({len(ours)} seeds) | the reference "
             f"({len(theirs)} seeds) | difference | Welch p |", "|" + "---|" * 5]
    for name, (a, b) in rows.items():
        a, b = np.array(a, float), np.array(b, float)
        p = stats.ttest_ind(a, b, equal_var=False).pvalue
        lines.append(f"| {name} | {cell(a)} | {cell(b)} | {a.mean() - b.mean():+.2f} | "
                     f"{p:.2f} |")
    return "\n".join(lines)


#: schedule readouts: the first epoch whose rate is below this fraction of the first's
SCHEDULE_READOUTS = {"first epoch at half the rate": 0.75,
                     "first epoch below 1 % of the rate": 0.01}


def replayed_rates(config: dict[str, Any], watched: Sequence[float]) -> list[float]:
    """The rate of each epoch that this project's plateau schedule (the one
    ``config`` names) sets from the losses ``watched`` after epochs 1, 2, ...:
    another implementation's schedule, replayed on the loss it watched."""
    from lava_vle.train import TrainConfig, saved_config

    train = TrainConfig(**saved_config(config))
    return [train.lr_at(epoch, watched) for epoch in range(len(watched))]


def _first_epoch(rates: Sequence[float], below: float) -> int:
    """The first epoch (1-based) whose rate is below ``below`` times the first's
    (one past the last epoch if none is)."""
    return next((e + 1 for e, lr in enumerate(rates) if lr < below * rates[0]), len(rates) + 1)


def main(argv: Optional[Sequence[str]] = None) -> str:
    parser = CommandParser(prog="python -m lava_vle.experiments.ablations",
                           description=__doc__)
    parser.add_argument("--base", nargs="+", required=True, type=Path,
                        help="folders of the base recipe's runs (their seeds together)")
    parser.add_argument("--ablations", nargs="*", default=[], type=Path,
                        help="one folder per ablation (a row each, named by the folder)")
    parser.add_argument("--reference", type=Path,
                        help="JSON of another implementation's per-epoch test metrics per "
                             "seed: add the base against it")
    parser.add_argument("--into", type=Path, help="write the table between this page's "
                        f"{MARKERS[0]} markers (default: print it)")
    args = parser.parse_args(argv)
    base = seed_runs(args.base)
    table = ablation_table(base, [(folder.name, seed_runs([folder]))
                                  for folder in args.ablations])
    if args.reference:
        table += "\n\n" + versus_reference(base, json.loads(args.reference.read_text()))
    if args.into:
        replace_between(args.into, MARKERS, table, "ablation-table")
    else:
        print(table)
    return table


if __name__ == "__main__":
    main()
