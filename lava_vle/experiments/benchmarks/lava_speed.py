"""Steps per second of VLE networks in the Lava runtime.

1. The composed VLE network vs a stock LIF + Dense network. Both graphs have
   the same population sizes and the same number of processes: every VLE
   neuron, error dendrite and output error becomes a stock LIF of the same
   size, every plastic synapse a stock Dense of the same shape, the
   neuromodulator a LIF fed by the output-error LIF (n_out neurons, since
   Lava compiles only connected processes), and both are fed by the same
   RingBuffer sources.
2. The fused VLENetwork (``fused=True``: one process) vs the composed one
   on the MNIST-1D reference network (1 -> 6 x 53 -> 10, hidden hard_tanh:
   the processes are piecewise linear), both learning
   (``ratio_fused_over_composed``), each timed as the fastest of ``--chunks``
   runs (the machines are shared with other jobs).

Each graph is compiled, warmed up, and then timed over the same number of
steps, in one run, for floating_pt and fixed_pt; the results are reported
as ratios.

    python -m lava_vle.experiments.benchmarks.lava_speed --out results/lava_speed
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import LAVA_TAGS
from lava_vle.command_parser import CommandParser, at_least
from lava_vle.spec import LayerSpec, NetworkSpec, init_params


def benchmark_spec(hidden: Sequence[int] = (32, 32)) -> NetworkSpec:
    layers = tuple(LayerSpec(n, 1.0, 0.5, "hard_tanh") for n in hidden)
    return NetworkSpec(n_in=4, layers=layers + (LayerSpec(4, 1.0, 1.0, "linear"),), dt=0.1)


def _sources(spec: NetworkSpec, steps: int, fixed: bool):
    from lava.proc.io.source import RingBuffer

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(spec.n_in, steps))
    y = rng.uniform(-1, 1, size=(spec.n_out, steps))
    if fixed:
        x, y = fxp.to_state(x).astype(np.int32), fxp.to_state(y).astype(np.int32)
    return RingBuffer(data=x), RingBuffer(data=y)


def build_vle(spec: NetworkSpec, steps: int, fixed: bool):
    """The VLE network with learning on; returns (a process to run, process count)."""
    from lava_vle.processes.network_builder import build_vle_network

    net = build_vle_network(spec, init_params(spec), learning_rate=1e-3)
    source, target = _sources(spec, steps, fixed)
    for syn in net.input_synapses:
        source.s_out.connect(syn.s_in)
    target.s_out.connect(net.output_error.target_in)
    return net.output, len(net.named()) + 2


def build_fused(spec: NetworkSpec, steps: int, fixed: bool):
    """The VLE network in one process, learning; returns (it, process count)."""
    from lava_vle.processes.vle_network.process import VLENetwork

    net = VLENetwork(spec=spec, params=init_params(spec), learning_rate=1e-3, fused=True)
    source, target = _sources(spec, steps, fixed)
    source.s_out.connect(net.s_in)
    target.s_out.connect(net.target_in)
    return net, 3


def mnist1d_reference_spec(width: int = 53) -> NetworkSpec:
    """The network ``lava-vle train --task mnist1d`` trains, hidden layers hard_tanh."""
    from lava_vle.datasets import mnist1d
    from lava_vle.task_networks import default_network

    return default_network(mnist1d(), activation="hard_tanh", width=width)


def build_stock(spec: NetworkSpec, steps: int, fixed: bool):
    """Same sizes and process count from stock LIF and Dense."""
    from lava.proc.dense.process import Dense
    from lava.proc.lif.process import LIF

    source, target = _sources(spec, steps, fixed)
    sizes = spec.sizes
    lif = (lambda n: LIF(shape=(n,), du=400, dv=400, vth=2**17)) if fixed else \
        (lambda n: LIF(shape=(n,), du=0.1, dv=0.1, vth=10.0))
    neurons, count = [], 2
    previous = source
    for n, proj in zip(sizes[1:], spec.projections):
        dense = Dense(weights=np.ones((n, sizes[proj.pre])), num_message_bits=24)
        neuron, dendrite = lif(n), lif(n)
        previous.s_out.connect(dense.s_in)
        dense.a_out.connect(neuron.a_in)
        neuron.s_out.connect(dendrite.a_in)
        neurons.append(neuron)
        previous, count = neuron, count + 3
    loss, modulator = lif(spec.n_out), lif(spec.n_out)
    previous.s_out.connect(loss.a_in)
    target.s_out.connect(loss.a_in)
    loss.s_out.connect(modulator.a_in)
    return modulator, count + 2


def steps_per_second(build: Callable, spec: NetworkSpec, steps: int, fixed: bool,
                     chunks: int = 1) -> tuple:
    """Steps/s of the graph ``build`` makes (and its process count): the
    fastest of ``chunks`` runs of ``steps // chunks`` steps after a warm-up
    (on a machine shared with other jobs, the least disturbed one)."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg

    from lava_vle.processes import stopping

    proc, count = build(spec, steps + 10, fixed)
    cfg = Loihi2SimCfg(select_tag=LAVA_TAGS["fixed" if fixed else "float"])
    chunk = steps // chunks
    with stopping(proc):
        proc.run(condition=RunSteps(10), run_cfg=cfg)  # compile and warm up
        elapsed = []
        for _ in range(chunks):
            start = time.perf_counter()
            proc.run(condition=RunSteps(chunk), run_cfg=cfg)
            elapsed.append(time.perf_counter() - start)
    return chunk / min(elapsed), count


def measure(steps: int = 500, hidden: Sequence[int] = (32, 32), fused_width: int = 53,
            chunks: int = 5) -> dict:
    spec = benchmark_spec(hidden)
    reference = mnist1d_reference_spec(fused_width)
    rows, fused_rows = {}, {}
    for precision, fixed in (("floating_pt", False), ("fixed_pt", True)):
        vle, vle_procs = steps_per_second(build_vle, spec, steps, fixed)
        stock, stock_procs = steps_per_second(build_stock, spec, steps, fixed)
        rows[precision] = {"vle_steps_per_s": round(vle, 1), "stock_steps_per_s": round(stock, 1),
                           "ratio": round(vle / stock, 3), "processes": [vle_procs, stock_procs]}
        composed, composed_procs = steps_per_second(build_vle, reference, steps, fixed, chunks)
        fused, fused_procs = steps_per_second(build_fused, reference, steps, fixed, chunks)
        fused_rows[precision] = {"composed_steps_per_s": round(composed, 1),
                                 "fused_steps_per_s": round(fused, 1),
                                 "ratio_fused_over_composed": round(fused / composed, 2),
                                 "processes": [composed_procs, fused_procs]}
    return {"sizes": list(spec.sizes), "steps": steps, "results": rows,
            "ratio_fused_over_composed": {p: row["ratio_fused_over_composed"]
                                          for p, row in fused_rows.items()},
            "fused": {"network": f"MNIST-1D reference, hidden hard_tanh, width {fused_width}",
                      "sizes": list(reference.sizes), "steps": steps,
                      "timing": f"fastest of {chunks} runs of {steps // chunks} steps",
                      "results": fused_rows}}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench lava-speed", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/lava_speed", help="output folder")
    parser.add_argument("--steps", type=at_least(1), default=500, help="timed time steps")
    parser.add_argument("--hidden", type=at_least(1), nargs="+", default=[32, 32],
                        help="hidden layer sizes")
    parser.add_argument("--fused-width", type=at_least(3), default=53,
                        help="hidden width of the MNIST-1D network of the fused vs composed "
                             "comparison")
    parser.add_argument("--chunks", type=at_least(1), default=5,
                        help="fused vs composed: time this many runs of steps/chunks steps, "
                             "report the fastest")
    args = parser.parse_args(argv)
    if not 1 <= args.chunks <= args.steps:
        parser.error(f"--chunks={args.chunks} must lie in 1..--steps={args.steps}")
    results = measure(args.steps, args.hidden, args.fused_width, args.chunks)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "lava_speed.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_lava_speed

    plot_lava_speed(results, out / "lava_speed.png")
    for precision, row in results["results"].items():
        print(f"{precision:<12} VLE {row['vle_steps_per_s']:8.1f} steps/s   stock LIF+Dense "
              f"{row['stock_steps_per_s']:8.1f} steps/s   ratio {row['ratio']:.2f}   "
              f"processes {row['processes'][0]} vs {row['processes'][1]}")
    for precision, row in results["fused"]["results"].items():
        print(f"{precision:<12} MNIST-1D network: fused {row['fused_steps_per_s']:8.1f} steps/s   "
              f"composed {row['composed_steps_per_s']:8.1f} steps/s   "
              f"ratio {row['ratio_fused_over_composed']:.1f}   "
              f"processes {row['processes'][1]} vs {row['processes'][0]}")
    print(f"wrote {out}/lava_speed.json and .png")
    return results


if __name__ == "__main__":
    main()
