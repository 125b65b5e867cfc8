"""The networks the benchmarks train, chosen by dataset name.

``default_network(dataset, ...)`` is what ``lava-vle train --task T`` trains:
the GLE reference's MNIST-1D network, a spiking memory bank for delayed XOR,
a memory layer for the (Fashion-)MNIST sequences and pattern generation,
and one feed-forward layer for small tasks such as digits.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import numpy as np

from lava_vle.datasets import SequenceDataset
from lava_vle.spec import LayerSpec, NetworkSpec


def mnist1d_reference_layer(dt: float, activation: str, width: int = 53) -> LayerSpec:
    """The GLE reference's hidden layer. 53 units: 17 LE (tau_m = tau_r = 1.2),
    18 LI (tau_m 0.6, tau_r = dt), 18 LI (1.2, dt); other widths keep the
    proportions (LE = round(width / 3.1), half the LI units at tau_m 0.6)."""
    fast = round(width / 3.1)
    slow = width - fast
    tau_m = np.array([1.2] * fast + [0.6] * (slow // 2) + [1.2] * (slow - slow // 2))
    tau_r = np.array([1.2] * fast + [dt] * slow)
    return LayerSpec(width, tau_m, tau_r, activation)


def memory_layer(size: int, dt: float, tau_max: float, activation: str,
                 recurrent: bool = True, max_gain: float = 8.0,
                 tau_min: Optional[float] = None) -> LayerSpec:
    """A bank of low-pass memories: tau_m log-spaced from ``tau_min`` (default
    2 dt) to ``tau_max``, ``tau_r = max(dt, tau_m / max_gain)``.

    Mostly-LI units remember their input over tau_m. ``tau_r`` is not
    simply ``dt``: the error dendrite amplifies by ``tau_m / tau_r`` (noise
    grows with it, and fixed point allows < 16).
    """
    tau_m = np.geomspace(2 * dt if tau_min is None else tau_min, tau_max, size)
    return LayerSpec(size, tau_m=tau_m, tau_r=np.maximum(dt, tau_m / max_gain),
                     activation=activation, recurrent=recurrent)


def default_network(dataset: SequenceDataset, precision: str = "float",
                    feedback: str = "mirrored", activation: Optional[str] = None,
                    sigma_delta: float = 0.0, error_sigma_delta: float = 0.0,
                    width: Optional[int] = None) -> NetworkSpec:
    """The network each benchmark trains (hidden ``activation``; default tanh,
    hard_tanh in fixed point; sigma-delta thresholds for the rates and the
    errors of non-spiking hidden layers; ``width``: hidden layer width of the
    MNIST-1D network, default 53).

    Time constants are set in input units (``dataset.dt * dataset.hold``), so
    holding the inputs (:func:`~lava_vle.datasets.with_time_resolution`)
    trains the same network at a finer step.

    Recurrent layers use ``recurrent_error="none"``: the GLE error loop
    through ``W_rec^T`` is unstable for LI units (``tau_m/tau_r`` gain, see
    README) and did not train in our tests.
    """
    act = activation or ("hard_tanh" if precision == "fixed" else "tanh")
    n_in, n_out, dt = dataset.x_train.shape[-1], dataset.n_out, dataset.dt
    input_dt = dt * dataset.hold  # an input's duration
    duration = dataset.steps * dt
    loss = "ce" if dataset.task == "classification" else "mse"
    out = LayerSpec(n_out, tau_m=dt, tau_r=dt, activation="linear")
    name = dataset.name
    if name == "mnist1d":  # first layer linear, as the GLE reference's input layer
        width = 53 if width is None else width
        layers = (mnist1d_reference_layer(dt, "linear", width),) + tuple(
            mnist1d_reference_layer(dt, act, width) for _ in range(5))
        out = LayerSpec(n_out, tau_m=1.2, tau_r=1.2, activation="linear")
    elif name == "delayed-xor":
        # spiking memory bank (no recurrence: its local update destabilised the
        # memory) and a spiking LE layer; sparse input spikes need init gains
        memory = memory_layer(64, dt, duration, act, recurrent=False, tau_min=2 * input_dt)
        layers = (replace(memory, spiking=True, init_gain=30.0),
                  LayerSpec(32, tau_m=dt, tau_r=dt, activation=act, spiking=True, init_gain=3.0))
    elif name in ("smnist", "psmnist", "fashion-smnist", "smnist-row", "fashion-smnist-row",
                  "pattern"):
        memory = memory_layer(128 if "smnist" in name else 64, dt, duration, act,
                              tau_min=2 * input_dt)
        layers = (memory, LayerSpec(32, tau_m=dt, tau_r=dt, activation=act))
    elif name == "digits":  # a bank of memories spanning the 8 rows, no recurrence
        layers = (memory_layer(32, dt, duration, act, recurrent=False, tau_min=input_dt),)
    else:  # other small smoke tasks: one feed-forward layer
        layers = (LayerSpec(32, tau_m=dt, tau_r=dt, activation=act),)
    if width is not None and name != "mnist1d":
        raise ValueError(f"width applies to the mnist1d network only, not {name!r}")
    layers = tuple(layer if layer.spiking else
                   replace(layer, sigma_delta=sigma_delta, error_sigma_delta=error_sigma_delta)
                   for layer in layers)
    return NetworkSpec(n_in=n_in, layers=layers + (out,), dt=dt, loss=loss, feedback=feedback,
                       recurrent_error="none")
