"""What the per-step recipe's matrix products allow on one core: a ceiling.

Each time step of the MNIST-1D per-step recipe (1 -> 6 x 53 -> 10, batch
100, Adam on every step) does three products of the stacked arrays, the
library's own functions on ``(L, B, n)`` stacks:

    forward drive   W r        FloatArithmetic.forward
    error path      W^T e      FloatArithmetic.backward
    update          e^T r      weight_delta (summed over the batch)

and elementwise work besides. :func:`products_seconds` times the three
products alone in a tight loop (the best a step made of them could do, on
the threads the caller pinned), so

    ceiling samples/s = B / (T t_products)

is what the recipe cannot pass while it runs these products as it does;
``train_speed --gle-code`` times it in turn with the recipe and the GLE
reference code.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

PEAK_SIZE = 1024  # the large product that measures the core's BLAS peak


def multiply_adds(layers: int, width: int, batch: int) -> int:
    """Multiply-adds per time step of the three products as the stacks run
    them: ``layers`` projections, each padded to ``width`` x ``width``."""
    return 3 * layers * width * width * batch


def best_seconds(call: Callable[[], object], repeats: int, rounds: int = 5) -> float:
    """The fastest of ``rounds`` timings of ``repeats`` calls, per call."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        times.append((time.perf_counter() - start) / repeats)
    return min(times)


def products_seconds(layers: int, width: int, batch: int, dtype=np.float32) -> float:
    """Seconds per step of the three stacked products, alone, tight loop."""
    from lava_vle.arithmetic import FloatArithmetic as F, weight_delta

    rng = np.random.default_rng(0)
    W = rng.standard_normal((layers, width, width)).astype(dtype)
    r, e = (rng.standard_normal((layers, batch, width)).astype(dtype) for _ in range(2))
    drive, back = np.empty_like(r), np.empty_like(e)

    def step() -> None:
        F.forward(W, None, r, out=drive)
        F.backward(W, None, e, out=back)
        weight_delta(e, r)

    return best_seconds(step, 200)


def peak_gflops(size: int = PEAK_SIZE) -> float:
    """float32 GFLOP/s of one large square matrix product (the BLAS peak)."""
    a = np.random.default_rng(1).standard_normal((size, size)).astype(np.float32)
    return 2 * size ** 3 / best_seconds(lambda: a @ a, 3) / 1e9
