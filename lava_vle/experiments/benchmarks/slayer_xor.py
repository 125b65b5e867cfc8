"""lava-dl slayer baseline for the spiking delayed XOR (optional, needs lava-dl).

A spiking network trained with slayer's surrogate-gradient BPTT on the same
data as ``lava-vle train --task delayed-xor`` (same generator, seed, splits,
loss window and read-out): CUBA-LIF memory layer (64 neurons, per-neuron
voltage decays drawn from 1/T .. 4/T per step), CUBA-LIF hidden layer (32),
and a linear read-out of the hidden spikes trained with cross-entropy in the
answer window; prediction: the argmax of the read-out summed over the answer
window.

lava-dl 0.6.0 declares Python < 3.11 and pins torch 2.3; on 3.11 install it
without its pins (the slayer parts used here work with the torch lava-vle
uses): ``pip install --no-deps --ignore-requires-python lava-dl==0.6.0``
then ``pip install h5py "opencv-python-headless<4.11"``. slayer imports
torchvision only for object detection; when torchvision is missing a
placeholder module stands in for it (any real use raises).

    python -m lava_vle.experiments.benchmarks.slayer_xor --out results/delayed-xor-slayer
"""
from __future__ import annotations

import importlib.machinery
import json
import sys
import time
import types
from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser, at_least

INSTALL = ("pip install --no-deps --ignore-requires-python lava-dl==0.6.0 && "
           "pip install h5py 'opencv-python-headless<4.11'")


def _placeholder_module(name: str) -> types.ModuleType:
    """A module whose every attribute is another placeholder (imports succeed)."""
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        sub = _placeholder_module(f"{name}.{attr}")
        sys.modules[sub.__name__] = sub
        return sub

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    return module


def import_slayer() -> Any:
    """``lava.lib.dl.slayer``, with a torchvision placeholder if needed."""
    try:
        import torchvision  # noqa: F401
    except Exception:  # missing, or a build that does not match the CPU torch
        sys.modules["torchvision"] = _placeholder_module("torchvision")
    try:
        import lava.lib.dl.slayer as slayer
    except ImportError as err:
        raise ImportError(f"the slayer baseline needs lava-dl: {INSTALL} ({err})") from err
    return slayer


def build_network(slayer: Any, n_in: int, steps: int, n_memory: int = 64,
                  n_hidden: int = 32, n_out: int = 2, memory_scale: float = 12.0,
                  hidden_scale: float = 6.0, recurrent: bool = False) -> Any:
    """CUBA-LIF memory (64, self-recurrent if ``recurrent``) -> CUBA-LIF hidden
    (32) -> linear read-out; ``*_scale``: slayer's ``weight_scale`` of the two
    spiking layers."""
    import torch

    # slayer draws per-neuron decays uniformly from [min, max]: slow ones only
    # (time constants steps/4 .. steps), or hardly any neuron would remember
    memory = {"threshold": 1.0, "current_decay": [0.98, 1.0],
              "voltage_decay": [1.0 / steps, 4.0 / steps], "shared_param": False,
              "tau_grad": 1.0, "scale_grad": 1.0}
    hidden = {"threshold": 1.0, "current_decay": 1.0, "voltage_decay": 0.5,
              "tau_grad": 1.0, "scale_grad": 1.0}

    class SlayerXor(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            block = slayer.block.cuba.Recurrent if recurrent else slayer.block.cuba.Dense
            self.memory = block(memory, n_in, n_memory, weight_scale=memory_scale)
            self.hidden = slayer.block.cuba.Dense(hidden, n_memory, n_hidden,
                                                  weight_scale=hidden_scale)
            self.readout = torch.nn.Linear(n_hidden, n_out)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            """x (N, C, T) spikes -> logits (N, T, n_out)."""
            spikes = self.hidden(self.memory(x))
            return self.readout(spikes.transpose(1, 2))

    return SlayerXor()


def train(epochs: int = 60, batch_size: int = 50, lr: float = 1e-2, seed: int = 0,
          n_train: int = 2000, n_test: int = 500, progress: bool = True,
          memory_scale: float = 12.0, hidden_scale: float = 6.0, recurrent: bool = False) -> dict:
    """Train the slayer network on the delayed XOR; returns the results dict."""
    import torch
    from lava_vle.datasets import delayed_xor
    from lava_vle.progress import progress_bar

    slayer = import_slayer()
    torch.manual_seed(seed)
    ds = delayed_xor(n_train=n_train, n_test=n_test)
    steps = ds.x_train.shape[1]
    net = build_network(slayer, ds.x_train.shape[-1], steps, memory_scale=memory_scale,
                        hidden_scale=hidden_scale, recurrent=recurrent)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, epochs)
    weight = torch.tensor(ds.loss_weight, dtype=torch.float32)
    readout = torch.tensor(ds.readout_weight, dtype=torch.float32)

    def logits_of(x: np.ndarray) -> torch.Tensor:
        return net(torch.tensor(x, dtype=torch.float32).transpose(1, 2))

    def sequence_loss(logits: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
        """Cross-entropy per step, weighted by the loss window, summed, per sample."""
        target = torch.tensor(labels)[:, None].expand(-1, steps)
        per_step = torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1), reduction="none")
        return (per_step.reshape(len(labels), steps) * weight).sum() / len(labels)

    def accuracy(logits: torch.Tensor, labels: np.ndarray) -> float:
        scores = torch.einsum("t,ntk->nk", readout, logits.detach())
        return float(100.0 * (scores.argmax(-1).numpy() == labels).mean())

    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(ds.x_train))
        start, total, correct = time.perf_counter(), 0.0, 0.0
        batches = range(0, len(order), batch_size)
        for first in progress_bar(batches, desc=f"slayer epoch {epoch + 1}/{epochs}",
                                  leave=False, disable=not progress):
            index = order[first:first + batch_size]
            logits = logits_of(ds.x_train[index])
            loss = sequence_loss(logits, ds.y_train[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * len(index)
            correct += accuracy(logits, ds.y_train[index]) * len(index)
        schedule.step()
        wall = time.perf_counter() - start
        with torch.no_grad():
            logits = logits_of(ds.x_test)
            test_loss = float(sequence_loss(logits, ds.y_test))
        history.append({"epoch": epoch + 1, "train_loss": total / len(order),
                        "train_metric": correct / len(order), "test_loss": test_loss,
                        "test_metric": accuracy(logits, ds.y_test), "train_wall_s": wall,
                        "samples_per_s": len(order) / wall})
    n_params = int(sum(p.numel() for p in net.parameters() if p.requires_grad))
    return {"task": "delayed-xor",
            "config": {"rule": "slayer", "precision": "float", "optimizer": "adam",
                       "lr_schedule": "cosine",
                       "lr": lr, "epochs": epochs, "batch_size": batch_size, "seed": seed},
            "network": {"weight_scales": [memory_scale, hidden_scale], "recurrent": recurrent,
                        "description": "CUBA-LIF 64 (voltage decays 1/T..4/T) -> "
                                       "CUBA-LIF 32 -> linear 2 (lava-dl slayer)",
                        "parameters": n_params},
            "metric": "accuracy_percent", "test_metric": history[-1]["test_metric"],
            "history": history, "train_wall_s": sum(r["train_wall_s"] for r in history)}


def main(argv: Optional[Sequence[str]] = None) -> dict:
    parser = CommandParser(prog="lava-vle bench slayer-xor", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/delayed-xor-slayer", help="output folder")
    parser.add_argument("--epochs", type=at_least(1), default=60, help="training epochs")
    parser.add_argument("--batch-size", type=at_least(1), default=50, help="sequences per batch")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam learning rate")
    parser.add_argument("--n-train", type=at_least(1), default=2000, help="training sequences")
    parser.add_argument("--n-test", type=at_least(1), default=500, help="test sequences")
    parser.add_argument("--memory-scale", type=float, default=12.0,
                        help="weight_scale of the memory layer")
    parser.add_argument("--hidden-scale", type=float, default=6.0,
                        help="weight_scale of the hidden layer")
    parser.add_argument("--recurrent", action="store_true", help="self-recurrent memory layer")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    results = train(args.epochs, args.batch_size, args.lr, n_train=args.n_train,
                    n_test=args.n_test, progress=not args.quiet,
                    memory_scale=args.memory_scale, hidden_scale=args.hidden_scale,
                    recurrent=args.recurrent)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_learning_curves

    plot_learning_curves(results, out / "learning_curves.png")
    best = max(row["test_metric"] for row in results["history"])
    print(f"slayer delayed XOR: test accuracy {results['test_metric']:.2f} % "
          f"(best {best:.2f} %) after {args.epochs} epochs, "
          f"{results['train_wall_s']:.0f} s; wrote {out / 'results.json'}")
    return results


if __name__ == "__main__":
    main()
