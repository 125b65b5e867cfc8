"""Energy per training sample by boundary: VLE on a Loihi-like chip vs BPTT.

For the MNIST-1D reference network (graded) and the spiking delayed-XOR
network (``lava_vle.benchmark_networks.default_network``) and learning epochs
``N in {1, 4, 16, 64}``, VLE's operations are measured on a simulated
training batch (``Simulator.run(count_synops=True)``: synaptic events, weight
updates once per epoch; messages from the recorded rates and errors), and
BPTT's on the same batch: forward MACs, the bytes autograd keeps for the
backward pass, the wall time of one training step here. Figures, sources
and boundaries: :mod:`lava_vle.energy`.

    python -m lava_vle.benchmarks.energy --out results/energy
"""
from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.cli import CommandParser, at_least
from lava_vle.energy import BPTT_BOUNDARIES, FIGURES, bptt_counts, compare, figures_table, vle_counts

EPOCHS = (1, 4, 16, 64)


def network_rows(name: str, dataset, batch: int, epochs: Sequence[int] = EPOCHS) -> dict:
    """Counts and per-boundary energies of one benchmark network, per learning epoch."""
    from lava_vle.datasets import one_hot_targets
    from lava_vle.benchmark_networks import default_network

    index = np.arange(batch)
    x = np.ascontiguousarray(dataset.x_train[index].transpose(1, 0, 2))
    y = np.ascontiguousarray(one_hot_targets(dataset, "train", index).transpose(1, 0, 2))
    spec = default_network(dataset)
    bptt = bptt_counts(spec, x.astype(np.float32), y.astype(np.float32), dataset.loss_weight)
    rows = {}
    for n in epochs:
        vle = vle_counts(replace(spec, learning_epoch=n), x, y, dataset.loss_weight)
        rows[n] = {"vle_counts": asdict(vle), "boundaries": compare(vle, bptt)}
    return {"network": name, "sizes": list(spec.sizes), "batch": batch,
            "bptt_counts": asdict(bptt), "by_learning_epoch": rows}


def measure(batch: int = 16, epochs: Sequence[int] = EPOCHS) -> dict:
    from lava_vle.datasets import delayed_xor, mnist1d

    return {"figures": figures_table(), "boundaries": BPTT_BOUNDARIES,
            "networks": [network_rows("MNIST-1D (graded)", mnist1d(), batch, epochs),
                         network_rows("delayed XOR (spiking)",
                                      delayed_xor(n_train=batch, n_test=4), batch, epochs)]}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench energy", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/energy", help="output folder")
    parser.add_argument("--batch", type=at_least(1), default=16,
                        help="samples measured per network")
    parser.add_argument("--learning-epochs", type=at_least(1), nargs="+", default=list(EPOCHS),
                        help="learning epochs N to count")
    args = parser.parse_args(argv)
    results = measure(args.batch, args.learning_epochs)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "energy.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_energy

    plot_energy(results, out / "energy.png")
    for net in results["networks"]:
        print(f"{net['network']}: BPTT/VLE per boundary (nominal, low..high)")
        for n, row in net["by_learning_epoch"].items():
            cells = [f"{b} {r['bptt_over_vle']['nominal']:.2g} "
                     f"({r['bptt_over_vle']['low']:.2g}..{r['bptt_over_vle']['high']:.2g})"
                     for b, r in row["boundaries"].items()]
            print(f"  N={n:>3}: " + "; ".join(cells))
    for key, fig in FIGURES.items():
        print(f"  {key}: {fig.nominal:g} {fig.unit} ({fig.low:.3g}..{fig.high:.3g}), "
              f"{fig.label}; {fig.source}")
    print(f"wrote {out}/energy.json and .png")
    return results


if __name__ == "__main__":
    main()
