"""Energy per training sample: VLE on Loihi-like hardware vs BPTT in software.

Counts come from the benchmark networks (``lava_vle.networks.default_network``):
MNIST-1D (graded rates, every synapse every step) and spiking delayed XOR,
whose forward events are measured on a simulated batch (a spike, or an input
spike, reaches all of its ``n_post`` synapses; zeros send nothing). Per-op
figures and their sources: :mod:`lava_vle.energy`.

    python -m lava_vle.benchmarks.energy --out results/energy
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.cli import CommandParser
from lava_vle.energy import FIGURES, estimate, per_sample_counts


def spike_events(spec, rates: list, spiking_input: bool) -> float:
    """Forward events per sample of a run: nonzero messages times fan-out.

    ``rates[l]`` is the (T, B, n) record of what population ``l`` sent;
    graded populations (not spiking, not a spiking input) count densely.
    """
    batch = rates[0].shape[1]
    events = 0.0
    for proj in spec.projections:
        sent = rates[proj.pre]
        event_driven = (proj.pre == 0 and spiking_input) or \
            (proj.pre > 0 and spec.layers[proj.pre - 1].spiking)
        messages = np.count_nonzero(sent) if event_driven else sent.size
        events += messages * spec.sizes[proj.post]
    return events / batch


def measure(batch: int = 32) -> dict:
    from lava_vle.datasets import delayed_xor, mnist1d
    from lava_vle.network import init_params
    from lava_vle.simulator import Simulator
    from lava_vle.networks import default_network

    rows = {}
    data = mnist1d()
    spec = default_network(data)
    rows["mnist1d (graded)"] = per_sample_counts(spec, data.x_train.shape[1])
    data = delayed_xor(n_train=batch, n_test=4)
    spec = default_network(data)
    run = Simulator(spec, init_params(spec)).run(data.x_train.transpose(1, 0, 2),
                                                 record=("rates",))
    events = spike_events(spec, run.trace["rates"], spiking_input=True)
    rows["delayed-xor (spiking)"] = per_sample_counts(spec, data.x_train.shape[1],
                                                      forward_events=events)
    rows["delayed-xor (spiking)"]["dense_forward_events"] = \
        per_sample_counts(spec, data.x_train.shape[1])["forward_events"]
    return {name: {"counts": counts, "energy": estimate(counts)} for name, counts in rows.items()}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench energy", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/energy", help="output folder")
    args = parser.parse_args(argv)
    results = measure()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "energy.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_energy

    plot_energy(results, out / "energy.png")
    for name, row in results.items():
        e = row["energy"]
        print(f"{name}: VLE {e['vle_uj']['nominal']:.1f} uJ "
              f"({e['vle_uj']['low']:.1f}..{e['vle_uj']['high']:.1f}), BPTT "
              f"{e['bptt_uj']['nominal']:.1f} uJ ({e['bptt_uj']['low']:.1f}.."
              f"{e['bptt_uj']['high']:.1f}) per training sample; BPTT/VLE "
              f"{e['bptt_over_vle']['nominal']:.2f} ({e['bptt_over_vle']['low']:.2f}.."
              f"{e['bptt_over_vle']['high']:.2f})")
    for key, fig in FIGURES.items():
        print(f"  {key}: {fig.nominal_pj:g} pJ ({fig.low_pj:.3g}..{fig.high_pj:.3g}); {fig.source}")
    print(f"wrote {out}/energy.json and .png")
    return results


if __name__ == "__main__":
    main()
