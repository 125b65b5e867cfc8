"""VLE on Lava's learning engine vs our learning-epoch rule (JSON + plot).

The ``lava-vle demo`` task (a 2 -> 16 -> 16 -> 2 network learns online to
reproduce a teacher) runs in Lava with every forward synapse a stock
``LearningDense`` + ``Loihi3FLearningRule``
(:func:`lava_vle.processes.learning_engine_network.build_engine_network`)
and in our simulator with ``NetworkSpec(learning_epoch=N)``, same N, same
initial weights, floating_pt / float and fixed_pt / fixed. One continuous
run: a frozen epoch (modulator 0), then ``epochs`` learning epochs of the
same sequence. Measured: output MSE per epoch (the frozen epoch first), the
distance of the engine's weights from ours after every epoch, and the
engine's limits in numbers: the product shift of one synapse in both
precisions, what the engine sees of the graded signals (one sample per
epoch, 8-bit payloads, 7-bit traces), the sign split's synapse and product
counts. Floating_pt variants explain the design: the engine with our
filtered post trace (misaligned with its sampled ``x1``), the error path
learned on the engine (mirrored weight transport), and our simulator with
both traces sampled at the epoch's end.

    python -m lava_vle.experiments.benchmarks.learning_engine --out results/learning_engine
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

from lava_vle.command_parser import CommandParser, at_least
from lava_vle.experiments.learning_engine_comparison import (ETA, VALUE_RANGE, Schedule, compare, half_drift,
                                        product_shift_probe, rule_strings, run_engine,
                                        run_simulator, signal_statistics, structure_counts)
from lava_vle.learning_engine import PRECISIONS
from lava_vle.spec import FixedParams
from lava_vle.synthetic_tasks import demo_spec, demo_task


def measure(epochs: int = 8, steps: int = 400, learning_epoch: int = 8, eta: float = ETA,
            precisions: Sequence[str] = PRECISIONS, variants: bool = True) -> dict:
    """Learning curves, weight distances and the engine's limits."""
    spec = demo_spec(learning_epoch)
    ts = demo_task(spec, steps)
    schedule = Schedule.of(ts, epochs)
    ours = run_simulator(spec, ts, schedule, "float", eta, record=("rates", "e_breve"))
    results = {"task": "lava-vle demo (teacher-student, 2 -> 16 -> 16 -> 2)",
               "steps_per_epoch": steps, "epochs": epochs, "learning_epoch": learning_epoch,
               "eta": eta, "value_range": VALUE_RANGE, "rules": rule_strings(spec, ts.student, eta),
               "precisions": {p: compare(spec, ts, schedule, p, eta) for p in precisions},
               "limits": {"product_shift": product_shift_probe(learning_epoch),
                          "signals": signal_statistics(
                              spec, ours["trace"], schedule, eta,
                              FixedParams.from_float(spec, ts.student).weight_exp),
                          "structure": structure_counts(spec)}}
    if variants:
        filtered = run_engine(spec, ts, schedule, "float", eta, post_trace="filtered")
        learned = run_engine(spec, ts, schedule, "float", eta, error_path="learned")
        sampled = run_simulator(spec, ts, schedule, "float", eta, traces="sampled")
        results["variants_float"] = {
            "engine_filtered_post_trace_mse": schedule.epoch_mse(filtered["outputs"]),
            "engine_learned_error_path_mse": schedule.epoch_mse(learned["outputs"]),
            "engine_learned_error_path_half_drift": [half_drift(w, "backward_")
                                                     for w in learned["weights"]],
            "simulator_sampled_traces_mse": schedule.epoch_mse(sampled["outputs"])}
    return results


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench learning-engine",
                           description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/learning_engine"),
                        help="output folder")
    parser.add_argument("--epochs", type=at_least(1), default=8, help="training epochs")
    parser.add_argument("--steps", type=at_least(1), default=400, help="time steps per epoch")
    parser.add_argument("--learning-epoch", type=at_least(1), default=8,
                        help="steps per learning epoch N of both networks")
    parser.add_argument("--no-variants", action="store_true",
                        help="skip the three explanatory floating_pt variants")
    args = parser.parse_args(argv)
    results = measure(args.epochs, args.steps, args.learning_epoch, variants=not args.no_variants)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "learning_engine.json").write_text(json.dumps(results, indent=1))
    from lava_vle.plots import plot_learning_engine

    plot_learning_engine(results, args.out / "learning_engine.png")
    for precision, row in results["precisions"].items():
        print(f"{precision:>5}: output MSE frozen {row['engine_mse'][0]:.2e}; after "
              f"{args.epochs} epochs engine {row['engine_mse'][-1]:.2e}, simulator "
              f"{row['simulator_mse'][-1]:.2e}; forward weight distance "
              f"{row['forward_weight_distance'][-1]:.3f}")
    print(f"results in {args.out}")
    return results


if __name__ == "__main__":
    main()
