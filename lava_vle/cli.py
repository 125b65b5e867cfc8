"""The ``lava-vle`` command line.

    lava-vle demo                      train a small VLE network, float and fixed point
    lava-vle bench gradient-quality    local rule vs exact gradient (JSON + plot)
    lava-vle bench lava-speed          Lava runtime steps/s vs stock LIF + Dense
"""
from __future__ import annotations

import argparse
import time
from typing import Optional, Sequence

import numpy as np


BENCHMARKS = {"gradient-quality": "lava_vle.benchmarks.gradient_quality",
              "lava-speed": "lava_vle.benchmarks.lava_speed"}


def demo(epochs: int = 20, steps: int = 400) -> dict:
    """Teacher-student demo: the local VLE rule learns online, no backward pass."""
    from tqdm import tqdm

    from lava_vle.network import LayerSpec, NetworkSpec
    from lava_vle.simulator import Simulator
    from lava_vle.tasks import teacher_student

    spec = NetworkSpec(n_in=2, layers=(LayerSpec(16, tau_m=1.0, tau_r=1.0, activation="hard_tanh"),
                                       LayerSpec(16, tau_m=1.0, tau_r=0.5, activation="hard_tanh"),
                                       LayerSpec(2, tau_m=1.0, tau_r=1.0, activation="linear")),
                       dt=0.1, loss="mse")
    ts = teacher_student(spec, steps=steps, batch=1, seed=0, teacher_gain=1.5)
    print(f"VLE network 2 -> 16 -> 16 -> 2 ({spec.n_parameters()} parameters), dt={spec.dt}, "
          f"{steps} steps per epoch; task: reproduce a fixed teacher network's output")
    summary = {}
    for precision in ("float", "fixed"):
        sim = Simulator(spec, ts.student, precision=precision)
        start = time.perf_counter()
        mse = [float(np.mean((sim.run(ts.x, ts.target).outputs - ts.target) ** 2))]
        for _ in tqdm(range(epochs), desc=f"{precision:>5} training", unit="epoch"):
            sim.run(ts.x, ts.target, plasticity="apply", eta=0.01)
            mse.append(float(np.mean((sim.run(ts.x, ts.target).outputs - ts.target) ** 2)))
        wall = time.perf_counter() - start
        synops = epochs * steps * sum(spec.sizes[p.pre] * spec.sizes[p.post]
                                      for p in spec.projections)
        print(f"{precision:>5}: output MSE {mse[0]:.2e} -> {mse[-1]:.2e} "
              f"({mse[0] / mse[-1]:.0f}x lower) in {epochs} epochs, {wall:.1f} s; "
              f"{synops:,} forward synaptic ops (graded, dense)")
        summary[precision] = {"mse": mse, "wall_s": wall}
    return summary


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="lava-vle", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_demo = sub.add_parser("demo", help="train a small VLE network (float and fixed point)")
    p_demo.add_argument("--epochs", type=int, default=20)
    p_demo.add_argument("--steps", type=int, default=400)
    p_bench = sub.add_parser("bench", help="run a benchmark script")
    p_bench.add_argument("name", choices=sorted(BENCHMARKS))
    p_bench.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the benchmark")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo(args.epochs, args.steps)
    elif args.command == "bench":
        import importlib

        importlib.import_module(BENCHMARKS[args.name]).main(args.args)


if __name__ == "__main__":
    main()
