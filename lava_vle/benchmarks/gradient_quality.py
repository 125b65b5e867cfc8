"""How close is the local VLE update to the exact gradient?

On a teacher-student task, the weight update accumulated by the local rule
over a sequence (weights frozen) is compared with the exact gradient of the
same discretised network (adjoint method): cosine similarity per projection,
for several ``tau_r / tau_m`` settings, both weight-transport modes, and three
input bandwidths (up to 0.25, 0.5 and 1 cycle per tau_m). The
local error filter departs from the adjoint's at high frequencies
(``vle-model.md`` section 2), and every synaptic hop delays one step in
both paths, so the error reaching layer l lags its own activity by
2 (L - l) steps: fast inputs are where both should show.

Recurrent networks (``--recurrent``): 2 -> 16 (recurrent, tanh) -> 2, the
cosine per projection of each recurrent error mode (``loop``, ``none``,
``stable``, ``eprop``) vs ``tau_m / tau_r`` and the student's weight gain
(teacher 2x), smooth inputs (<= 0.5 cycles per tau_m).

    python -m lava_vle.benchmarks.gradient_quality --out results/gradient_quality
    python -m lava_vle.benchmarks.gradient_quality --recurrent --out results/gradient_recurrent
"""
from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.adjoint import exact_gradients
from lava_vle.cli import CommandParser, at_least
from lava_vle.network import RECURRENT_ERROR_MODES, LayerSpec, NetworkSpec
from lava_vle.rules import local_updates
from lava_vle.simulator import Simulator
from lava_vle.tasks import teacher_student

# (label, tau_m, tau_r, feedback)
SETTINGS = (
    ("tau_r=tau_m (LE)", 1.0, 1.0, "mirrored"),
    ("tau_r=0.5 tau_m", 1.0, 0.5, "mirrored"),
    ("tau_r=0.25 tau_m", 1.0, 0.25, "mirrored"),
    ("tau_r=dt (LI)", 1.0, 0.1, "mirrored"),
    ("tau_r=tau_m, random feedback", 1.0, 1.0, "random"),
)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """cos(a, b) of two flattened arrays."""
    a, b = a.ravel(), b.ravel()
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


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


def recurrent_network(tau_m: float, tau_r: float, mode: str, dt: float = 0.1) -> NetworkSpec:
    return NetworkSpec(n_in=2, dt=dt, loss="mse", recurrent_error=mode, layers=(
        LayerSpec(16, tau_m, tau_r, "tanh", recurrent=True),
        LayerSpec(2, tau_m, tau_m, "linear")))


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
    args = parser.parse_args(argv)
    start = time.perf_counter()
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
        cells = "  ".join(f"{n}: {m:.3f}+-{s:.3f}" for n, m, s in
                          zip(row["projections"], row["cosine_mean"], row["cosine_std"]))
        print(f"{row['inputs']:<6} {row['setting']:<30} {cells}")
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
