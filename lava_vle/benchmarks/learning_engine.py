"""VLE on Lava's learning engine vs our learning-epoch rule (JSON + plot).

The ``lava-vle demo`` task (a 2 -> 16 -> 16 -> 2 network learns online to
reproduce a teacher) runs in Lava with every synapse a stock
``LearningDense`` + ``Loihi3FLearningRule``
(:func:`lava_vle.processes.engine_network_builder.build_engine_network`)
and in our simulator with ``NetworkSpec(learning_epoch=N)``, same N, same
initial weights, floating_pt / float and fixed_pt / fixed. One continuous
run: a frozen epoch (modulator 0), then ``epochs`` learning epochs of the
same sequence. Measured: output MSE per epoch (the frozen epoch first),
weight distance per epoch, the product-shift ratio of one engine synapse,
and what the engine sees of the graded signals.

    python -m lava_vle.benchmarks.learning_engine --out results/learning_engine
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.network import FloatParams, NetworkSpec
from lava_vle.simulator import Simulator
from lava_vle.tasks import TeacherStudent, demo_spec, demo_task

ETA = 0.01
TINY = 1e-12  # denominator floor of a relative distance (zero weights)


@dataclass
class Schedule:
    """The run: a frozen epoch, then ``epochs`` learning epochs of one sequence."""

    x: np.ndarray  # (T, n_in)
    target: np.ndarray  # (T, n_out)
    modulator: np.ndarray  # (T,), 0 in the frozen epoch
    steps: int  # per epoch

    @classmethod
    def of(cls, ts: TeacherStudent, epochs: int) -> "Schedule":
        steps = ts.x.shape[0]
        modulator = np.ones(steps * (epochs + 1))
        modulator[:steps] = 0.0
        return cls(np.tile(ts.x[:, 0], (epochs + 1, 1)), np.tile(ts.target[:, 0], (epochs + 1, 1)),
                   modulator, steps)

    @property
    def epochs(self) -> int:
        return self.x.shape[0] // self.steps - 1

    def epoch_mse(self, outputs: np.ndarray) -> list[float]:
        """Output MSE of every epoch, the frozen one first."""
        sq = (np.asarray(outputs).reshape(self.target.shape) - self.target) ** 2
        return [float(v) for v in sq.reshape(-1, self.steps * self.target.shape[1]).mean(1)]


def run_engine(spec: NetworkSpec, ts: TeacherStudent, schedule: Schedule, precision: str,
               eta: float = ETA, seed: int = 0, error_path: str = "fixed",
               post_trace: str = "sampled") -> dict:
    """The network on the learning engine in Lava; outputs and weights after every epoch."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from lava_vle.processes.engine_network_builder import build_engine_network

    fixed = precision == "fixed"
    net = build_engine_network(spec, ts.student, learning_rate=eta, precision=precision,
                               seed=seed, external_modulator=True, error_path=error_path,
                               post_trace=post_trace)
    to_port = (lambda a: fxp.to_state(a).astype(np.int32)) if fixed else (lambda a: a)
    modulator = (fxp.modulator_to_fixed(schedule.modulator).astype(np.int32) if fixed
                 else schedule.modulator)
    Source(data=to_port(schedule.x).T).s_out.connect(net.input.value_in)
    Source(data=to_port(schedule.target).T).s_out.connect(net.output_error.target_in)
    Source(data=modulator[None, :]).s_out.connect(net.modulator.m_in)
    total = schedule.x.shape[0]
    sink = Sink(shape=(spec.n_out,), buffer=total)
    net.output.s_out.connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt" if fixed else "floating_pt")
    weights = []
    start = time.perf_counter()
    try:
        for _ in range(schedule.epochs + 1):
            net.output.run(condition=RunSteps(schedule.steps), run_cfg=cfg)
            weights.append(net.weights())
        outputs = sink.data.get().T
    finally:
        net.output.stop()
    outputs = fxp.from_state(outputs) if fixed else outputs
    return {"outputs": outputs, "weights": weights, "wall_s": time.perf_counter() - start}


def run_simulator(spec: NetworkSpec, ts: TeacherStudent, schedule: Schedule, precision: str,
                  eta: float = ETA, seed: int = 0) -> dict:
    """The same schedule in our simulator (learning-epoch rule); weights after every epoch."""
    sim = Simulator(spec, ts.student, precision=precision, seed=seed)
    state, outputs, weights = None, [], []
    for epoch in range(schedule.epochs + 1):
        part = slice(epoch * schedule.steps, (epoch + 1) * schedule.steps)
        result = sim.run(schedule.x[part, None], schedule.target[part, None], plasticity="apply",
                         eta=eta, modulator=schedule.modulator[part], state=state,
                         first_step=epoch * schedule.steps + 1)
        state = result.state
        outputs.append(result.outputs[:, 0])
        params = sim.params.to_float() if precision == "fixed" else sim.params.copy()
        weights.append(params)
    return {"outputs": np.concatenate(outputs), "weights": weights}


def relative_distance(engine: np.ndarray, ours: np.ndarray, initial: np.ndarray) -> dict:
    """``||W_engine - W_ours|| / ||W_ours||`` and ``/ ||W_ours - W_0||`` (Frobenius)."""
    gap = float(np.linalg.norm(engine - ours))
    return {"of_weights": gap / max(float(np.linalg.norm(ours)), TINY),
            "of_learned_change": gap / max(float(np.linalg.norm(ours - initial)), TINY)}


def weight_distances(engine: list[dict], ours: FloatParams, initial: FloatParams) -> list[dict]:
    """Per projection: distance of each engine synapse set (as the weight a
    positive / negative input meets; the error path's transposed back) from
    our weights."""
    rows = []
    for k, entry in enumerate(engine):
        row = {key: relative_distance(entry[key], ours.weights[k], initial.weights[k])
               for key in ("positive", "negative", "backward", "backward_positive",
                           "backward_negative")
               if key in entry}
        row["bias"] = relative_distance(entry["bias"], ours.biases[k], initial.biases[k])
        rows.append(row)
    return rows


def mean_distance(rows: list[dict], kind: str = "of_weights") -> float:
    """Mean over projections and synapse sets of one distance kind."""
    return float(np.mean([d[kind] for row in rows for key, d in row.items() if key != "bias"]))


def measure(epochs: int = 8, steps: int = 400, learning_epoch: int = 8, eta: float = ETA,
            precisions: Sequence[str] = ("float", "fixed")) -> dict:
    """Learning curves and weight distances of engine vs simulator, per precision."""
    spec = demo_spec(learning_epoch)
    ts = demo_task(spec, steps)
    schedule = Schedule.of(ts, epochs)
    results = {"task": "lava-vle demo (teacher-student, 2 -> 16 -> 16 -> 2)",
               "steps_per_epoch": steps, "epochs": epochs, "learning_epoch": learning_epoch,
               "eta": eta, "precisions": {}}
    for precision in precisions:
        engine = run_engine(spec, ts, schedule, precision, eta)
        ours = run_simulator(spec, ts, schedule, precision, eta)
        initial = ours["weights"][0]
        distances = [weight_distances(e, o, initial)
                     for e, o in zip(engine["weights"], ours["weights"])]
        results["precisions"][precision] = {
            "engine_mse": schedule.epoch_mse(engine["outputs"]),
            "simulator_mse": schedule.epoch_mse(ours["outputs"]),
            "weight_distance": distances,
            "mean_weight_distance": [mean_distance(d) for d in distances],
            "engine_wall_s": engine["wall_s"]}
    return results


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/learning_engine"))
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--learning-epoch", type=int, default=8)
    args = parser.parse_args(argv)
    results = measure(args.epochs, args.steps, args.learning_epoch)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "learning_engine.json").write_text(json.dumps(results, indent=1))
    return results


if __name__ == "__main__":
    main()
