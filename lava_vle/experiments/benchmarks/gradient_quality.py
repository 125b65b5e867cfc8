"""How close is the local VLE update to the exact gradient?

On a teacher-student task, the weight update accumulated by the local rule
over a sequence (weights frozen) is compared with the exact gradient of the
same discretised network (adjoint method): cosine similarity per projection,
for several ``tau_r / tau_m`` settings, both weight-transport modes, and three
input bandwidths (up to 0.25, 0.5 and 1 cycle per tau_m). The
local error filter departs from the adjoint's at high frequencies
(``docs/model.md`` sections 1-2), and every synaptic hop delays one step in
both paths, so the error reaching layer l lags its own activity by
2 (L - l) steps: fast inputs are where both should show.

Recurrent networks (``--recurrent``): 2 -> 16 (recurrent, tanh) -> 2, the
cosine per projection of each recurrent error mode (``loop``, ``none``,
``stable``, ``eprop``) vs ``tau_m / tau_r`` and the student's weight gain
(teacher 2x), smooth inputs (<= 0.5 cycles per tau_m).

    python -m lava_vle.experiments.benchmarks.gradient_quality --out results/gradient_quality
    python -m lava_vle.experiments.benchmarks.gradient_quality --recurrent --out results/gradient_recurrent

A benchmark task at several time resolutions (``--task``): the cosine per
projection of the local update (each of ``--modes``: the plain rule,
e-prop traces on the recurrent weights, traces on every weight; with
``--settle-steps``) with BPTT's gradient, at initialisation, on the first
training sequences, for each ``--holds`` K (each input held K steps). It
measures how many input steps the one-step-per-hop error delay costs, and
how much of it eligibility traces recover. ``--checkpoints`` measures the
same at the trained weights of float runs (trial folders of one task and
hold), instead of at initialisation.

    python -m lava_vle.experiments.benchmarks.gradient_quality --task fashion-smnist-row --holds 1 2 4
    python -m lava_vle.experiments.benchmarks.gradient_quality --checkpoints results/mnist1d-vle-float
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.adjoint import exact_gradients
from lava_vle.command_parser import CommandParser, at_least
from lava_vle.spec import RECURRENT_ERROR_MODES, FloatParams, LayerSpec, NetworkSpec
from lava_vle.learners import cosine, local_updates
from lava_vle.simulator import Simulator
from lava_vle.synthetic_tasks import recurrent_network, teacher_student

# (label, tau_m, tau_r, feedback)
SETTINGS = (
    ("tau_r=tau_m (LE)", 1.0, 1.0, "mirrored"),
    ("tau_r=0.5 tau_m", 1.0, 0.5, "mirrored"),
    ("tau_r=0.25 tau_m", 1.0, 0.25, "mirrored"),
    ("tau_r=dt (LI)", 1.0, 0.1, "mirrored"),
    ("tau_r=tau_m, random feedback", 1.0, 1.0, "random"),
)


def network(tau_m: float, tau_r: float, feedback: str, hidden: Sequence[int] = (16, 16),
            dt: float = 0.1) -> NetworkSpec:
    layers = tuple(LayerSpec(n, tau_m, tau_r, "tanh") for n in hidden)
    return NetworkSpec(n_in=2, layers=layers + (LayerSpec(2, tau_m, tau_r, "linear"),),
                       dt=dt, loss="mse", feedback=feedback)


INPUTS = (("slow", 0.25), ("medium", 0.5), ("fast", 1.0))  # max cycles per time unit


def measure(steps: int = 1000, batch: int = 8, seeds: Sequence[int] = (0, 1, 2)) -> dict:
    """Cosine(local update, -exact gradient) per projection, mean and std over seeds."""
    rows = []
    for (label, tau_m, tau_r, feedback), (inputs, max_freq) in itertools.product(SETTINGS, INPUTS):
        spec = network(tau_m, tau_r, feedback)
        per_seed = []
        for seed in seeds:
            ts = teacher_student(spec, steps=steps, batch=batch, seed=seed, max_freq=max_freq)
            local = Simulator(spec, ts.student).run(
                ts.x, ts.target, plasticity="accumulate", eta=1.0).updates[0]
            exact = exact_gradients(spec, ts.student, ts.x, ts.target)
            per_seed.append([cosine(dw, -g) for dw, g in zip(local, exact.weights)])
        cos = np.array(per_seed)
        rows.append({"setting": label, "inputs": inputs, "max_freq": max_freq, "tau_m": tau_m, "tau_r": tau_r, "feedback": feedback,
                     "projections": [p.name for p in spec.projections],
                     "cosine_mean": cos.mean(0).round(4).tolist(),
                     "cosine_std": cos.std(0).round(4).tolist()})
    return {"task": "teacher-student, 2 -> 16 -> 16 -> 2 (tanh, linear out), MSE",
            "steps": steps, "dt": 0.1, "batch": batch, "seeds": list(seeds), "rows": rows}


# (label, tau_m, tau_r): lead gain tau_m / tau_r 1, 2, 10, 16
RECURRENT_UNITS = (("LE, tau_r = tau_m", 1.0, 1.0), ("tau_r = tau_m / 2", 1.0, 0.5),
                   ("LI, tau_r = dt (gain 10)", 1.0, 0.1), ("LI, gain 16", 1.6, 0.1))
RECURRENT_GAINS = (0.5, 1.0, 1.5)


def measure_recurrent(steps: int = 600, batch: int = 8, seeds: Sequence[int] = (0, 1, 2)) -> dict:
    """Cosine(local update, -exact gradient) per projection of every recurrent
    error mode, per unit type and student weight gain, mean and std over seeds."""
    rows = []
    for (label, tau_m, tau_r), gain in itertools.product(RECURRENT_UNITS, RECURRENT_GAINS):
        per_mode = {mode: [] for mode in RECURRENT_ERROR_MODES}
        for seed in seeds:
            ts = teacher_student(recurrent_network(tau_m, tau_r, "none"), steps=steps,
                                 batch=batch, seed=seed, max_freq=0.5 / tau_m)
            student = ts.student.copy()
            student.weights = [w * gain for w in student.weights]
            exact = exact_gradients(ts.spec, student, ts.x, ts.target)
            for mode in RECURRENT_ERROR_MODES:
                with np.errstate(all="ignore"):
                    local = local_updates(recurrent_network(tau_m, tau_r, mode), student,
                                          ts.x, ts.target)
                per_mode[mode].append([cosine(dw, -g) if np.all(np.isfinite(dw)) else np.nan
                                       for dw, g in zip(local.weights, exact.weights)])
        for mode, cos in per_mode.items():
            cos = np.array(cos)
            rows.append({"units": label, "tau_m": tau_m, "tau_r": tau_r, "gain": gain,
                         "mode": mode, "projections": ["W1_0 (input)", "W1_1 (recurrent)",
                                                       "W2_1 (output)"],
                         "cosine_mean": cos.mean(0).round(4).tolist(),
                         "cosine_std": cos.std(0).round(4).tolist()})
    return {"task": "teacher-student, 2 -> 16 (recurrent, tanh) -> 2 (linear), MSE, "
                    "teacher weights 2x the student's initialisation",
            "steps": steps, "dt": 0.1, "batch": batch, "seeds": list(seeds), "rows": rows}


#: the update rules ``--task`` compares: the plain local rule, eligibility
#: traces on the recurrent weights (e-prop), and on every weight and bias
TASK_MODES = ("none", "eprop", "eprop-all")


def trained_networks(folders: Sequence[Path]) -> tuple[Any, Any, list]:
    """The dataset (loaded once), the configuration and the ``(network, live
    weights)`` of each float run whose checkpoint is in one of ``folders``
    (``lava-vle train`` or ``compare`` trial folders): runs of one task, hold
    and teach window on the same data."""
    from lava_vle.checkpoints import read_checkpoint
    from lava_vle.datasets import load_dataset
    from lava_vle.train import Trainer, TrainConfig, saved_config

    states = [read_checkpoint(Path(folder)) for folder in folders]
    configs = [TrainConfig(**saved_config(state["config"])) for state in states]
    for folder, config in zip(folders, configs):
        if config.precision != "float":
            raise ValueError(f"{folder}: a {config.precision} run; the cosine is measured on "
                             "float runs only")
    settings = {(c.task, c.hold, c.teach_window, json.dumps(c.dataset_kwargs, sort_keys=True))
                for c in configs}
    if len(settings) > 1:
        raise ValueError("--checkpoints must be runs of one task, hold and teach window on the "
                         "same data; got (task, hold, teach_window, dataset options) "
                         f"{sorted(settings, key=str)}")
    first = configs[0]
    dataset = load_dataset(first.task, **first.dataset_kwargs)
    networks = []
    for config, state in zip(configs, states):
        trainer = Trainer(dataset, config)
        trainer.load_state_dict(state)
        networks.append((trainer.spec, trainer.rule.float_params()))
    return dataset, first, networks


def measure_task(task: Any, holds: Sequence[int], batch: int = 64,
                 seeds: Sequence[int] = (0, 1, 2), modes: Sequence[str] = TASK_MODES,
                 settle_steps: int = 0, teach_window: Optional[int] = None,
                 trained: Optional[Sequence[tuple[NetworkSpec, FloatParams]]] = None) -> dict:
    """Cosine(local update, -BPTT gradient) per projection of ``task``'s network
    (a task name or a :class:`~lava_vle.datasets.SequenceDataset`) at
    initialisation (seeds), or of ``trained`` networks at their weights (one
    set of cosines per network instead of per seed), for each hold K (loss
    on the last ``teach_window`` inputs if given) and recurrent error mode,
    over the first ``batch`` training sequences (all of them where the task
    has fewer, e.g. the one pattern of ``pattern``); the local rule runs
    ``settle_steps`` silent steps after the sequence (a local update of
    exactly zero has cosine 0)."""
    from dataclasses import replace

    from lava_vle.bptt import bptt_gradients
    from lava_vle.datasets import load_dataset, one_hot_targets, with_time_resolution
    from lava_vle.spec import init_params
    from lava_vle.task_networks import default_network

    dataset = load_dataset(task) if isinstance(task, str) else task
    batch = min(batch, len(dataset.x_train))
    rows = []
    for hold, mode in itertools.product(holds, modes):
        held = with_time_resolution(dataset, hold, teach_window)
        if trained is None:
            initial = default_network(held)
            networks = [(initial, init_params(initial, seed=seed)) for seed in seeds]
        else:
            networks = trained
        index = np.arange(batch)
        x = held.x_train[index].transpose(1, 0, 2).astype(np.float64)
        y = one_hot_targets(held, "train", index).transpose(1, 0, 2).astype(np.float64)
        weight = held.loss_weight.astype(np.float64)
        pad = ((0, settle_steps), (0, 0), (0, 0))
        per_network = []
        for network, params in networks:
            spec = replace(network, recurrent_error=mode)
            exact = bptt_gradients(spec, params, x, y, weight)
            local = local_updates(spec, params, np.pad(x, pad), np.pad(y, pad, mode="edge"),
                                  np.pad(weight, (0, settle_steps)))
            per_network.append([cosine(dw, -g) if np.any(dw) else 0.0
                             for dw, g in zip(local.weights, exact.weights)])
        cos = np.array(per_network)
        rows.append({"hold": hold, "mode": mode,
                     "projections": [p.name for p in spec.projections],
                     "cosine_mean": cos.mean(0).round(4).tolist(),
                     "cosine_std": cos.std(0).round(4).tolist()})
    where = "at initialisation" if trained is None else "at trained weights"
    return {"task": dataset.name, "batch": batch,
            "seeds": list(seeds) if trained is None else [], "settle_steps": settle_steps,
            "teach_window": teach_window,
            "what": "cosine of the local update (weights frozen, summed over the sequence) "
                    f"with -dL/dW of BPTT, {where}", "rows": rows}


def cosine_cells(row: dict, number: str) -> str:
    """``projection: mean+-std`` of each projection of a result row."""
    std = number.lstrip("+")
    return "  ".join(f"{n}: {m:{number}}+-{s:{std}}" for n, m, s in
                     zip(row["projections"], row["cosine_mean"], row["cosine_std"]))


def task_main(args: argparse.Namespace, start: float) -> dict:
    """``--task`` (or ``--checkpoints``): measure, write JSON, print the table."""
    task, holds, teach_window, trained = args.task, args.holds, args.teach_window, None
    if args.checkpoints:
        task, config, trained = trained_networks(args.checkpoints)
        holds, teach_window = [config.hold], config.teach_window
    results = measure_task(task, holds, args.batch, tuple(range(args.seeds)), args.modes,
                           args.settle_steps, teach_window, trained)
    if trained is not None:
        results["checkpoints"] = [str(folder) for folder in args.checkpoints]
    results["wall_s"] = round(time.perf_counter() - start, 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    window = f"_window{teach_window}" if teach_window is not None else ""
    name = (f"gradient_{results['task']}_settle{args.settle_steps}{window}"
            f"{'_trained' if trained is not None else ''}.json")
    (out / name).write_text(json.dumps(results, indent=2))
    for row in results["rows"]:
        print(f"hold {row['hold']} {row['mode']:<9} {cosine_cells(row, '+.2f')}")
    print(f"wrote {out}/{name} ({results['wall_s']} s)")
    return results


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench gradient-quality",
                           description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/gradient_quality", help="output folder")
    parser.add_argument("--steps", type=at_least(1), default=1000,
                        help="time steps the update accumulates over")
    parser.add_argument("--batch", type=at_least(1), default=8, help="input sequences")
    parser.add_argument("--seeds", type=at_least(1), default=3, help="networks per setting")
    parser.add_argument("--recurrent", action="store_true",
                        help="the recurrent error modes on a recurrent network (600 steps)")
    parser.add_argument("--task", help="a benchmark task: its network at initialisation, "
                                        "for each --holds")
    parser.add_argument("--holds", type=at_least(1), nargs="+", default=[1, 2, 4],
                        help="--task: steps per input")
    parser.add_argument("--checkpoints", nargs="+", metavar="FOLDER",
                        help="instead of --task: measure at the trained weights of these float "
                             "runs' checkpoints (trial folders of one task and hold; give "
                             "their --settle-steps)")
    parser.add_argument("--modes", nargs="+", choices=TASK_MODES, default=list(TASK_MODES),
                        help="--task, --checkpoints: the update rules (recurrent error "
                             "modes) to measure")
    parser.add_argument("--teach-window", type=at_least(1), default=None,
                        help="--task: the loss on the last W inputs (default: the task's "
                             "window)")
    parser.add_argument("--settle-steps", type=at_least(0), default=0,
                        help="--task: silent steps the local rule runs on after the sequence")
    args = parser.parse_args(argv)
    if args.teach_window is not None and args.checkpoints:
        parser.error("--teach-window applies to --task; --checkpoints are measured at their "
                     "runs' own teach window")
    start = time.perf_counter()
    if args.task or args.checkpoints:
        return task_main(args, start)
    if args.recurrent:
        return recurrent_main(args, start)
    results = measure(args.steps, args.batch, tuple(range(args.seeds)))
    results["wall_s"] = round(time.perf_counter() - start, 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gradient_quality.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_gradient_cosines

    plot_gradient_cosines(results, out / "gradient_quality.png")
    for row in results["rows"]:
        print(f"{row['inputs']:<6} {row['setting']:<30} {cosine_cells(row, '.3f')}")
    print(f"wrote {out}/gradient_quality.json and .png ({results['wall_s']} s)")
    return results


def recurrent_main(args: argparse.Namespace, start: float) -> dict:
    """``--recurrent``: measure, write JSON + plot, print the table."""
    results = measure_recurrent(min(args.steps, 600), args.batch, tuple(range(args.seeds)))
    results["wall_s"] = round(time.perf_counter() - start, 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "gradient_recurrent.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_recurrent_cosines

    plot_recurrent_cosines(results, out / "gradient_recurrent.png")
    for row in results["rows"]:
        cells = "  ".join(f"{m:+.2f}+-{s:.2f}" for m, s in
                          zip(row["cosine_mean"], row["cosine_std"]))
        print(f"{row['units']:<26} gain {row['gain']:<4} {row['mode']:<7} {cells}")
    print(f"wrote {out}/gradient_recurrent.json and .png ({results['wall_s']} s)")
    return results


if __name__ == "__main__":
    main()
