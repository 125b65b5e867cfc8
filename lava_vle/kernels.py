"""Compiled loops (numba) for the numpy trainer's hottest in-place updates.

A per-step recipe (Adam on every time step) spends most of a step outside
the matrix products, in element-wise numpy calls that each make one pass
over memory. Each kernel here fuses such a sequence into one pass and does,
element by element, the same floating-point operations in the same order as
the numpy form it stands in for, so results are equal bit for bit (tested
against those forms, which stay the definition and run on torch tensors,
on arrays the kernels do not take, without numba, or with the environment
variable ``LAVA_VLE_KERNELS=0``).

Each ``*_into`` function returns False (and writes nothing) where its
arrays do not qualify: numpy arrays of one floating dtype, C-contiguous,
of one shape.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

try:
    import numba
except ImportError:  # the numpy forms run
    numba = None

ENABLED = numba is not None and os.environ.get("LAVA_VLE_KERNELS", "1") != "0"


def _compiled(fn: Callable) -> Callable:
    """``fn`` compiled without Python's division checks (so loops vectorise)
    and cached on disk; no fastmath: IEEE operations in source order."""
    return numba.njit(cache=True, nogil=True, error_model="numpy")(fn) if ENABLED else fn


FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _qualify(*arrays: Any) -> bool:
    """Whether the kernels take ``arrays`` (a plain loop: this runs several
    times per time step)."""
    if not ENABLED or type(arrays[0]) is not np.ndarray:
        return False
    dtype, shape = arrays[0].dtype, arrays[0].shape
    if dtype not in FLOATS:
        return False
    for a in arrays:
        if (type(a) is not np.ndarray or a.dtype != dtype or a.shape != shape
                or not a.flags.c_contiguous):
            return False
    return True


@_compiled
def _relax_two(x, target, k_a, k_b, a, b):
    x, target, k_a, k_b = x.ravel(), target.ravel(), k_a.ravel(), k_b.ravel()
    a, b = a.ravel(), b.ravel()
    for i in range(x.size):
        x_i = x[i]
        delta = target[i] - x_i
        a[i] = k_a[i] * delta + x_i
        b[i] = delta * k_b[i] + x_i


def relax_two_into(x: np.ndarray, target: np.ndarray, k_a: np.ndarray, k_b: np.ndarray,
                   a: np.ndarray, b: np.ndarray) -> bool:
    """``a = x + k_a (target - x)``, ``b = x + k_b (target - x)`` (the float
    ``relax_two``); ``a`` and ``b`` may be ``x`` or ``target``."""
    if not _qualify(x, target, k_a, k_b, a, b):
        return False
    _relax_two(x, target, k_a, k_b, a, b)
    return True


@_compiled
def _adam(p, g, m, v, b1, c1, b2, c2, step_size, root_correction, eps):
    p, g, m, v = p.ravel(), g.ravel(), m.ravel(), v.ravel()
    for i in range(p.size):
        g_i = g[i]
        m_i = m[i] * b1 + g_i * c1
        v_i = v[i] * b2 + (g_i * g_i) * c2
        m[i] = m_i
        v[i] = v_i
        p[i] -= (m_i / (np.sqrt(v_i) / root_correction + eps)) * step_size


def adam_into(p: np.ndarray, g: np.ndarray, m: np.ndarray, v: np.ndarray,
              betas: tuple[float, float], step_size: float, root_correction: float,
              eps: float) -> bool:
    """One Adam step in place (:class:`lava_vle.optim.Adam`): ``m = b1 m + (1 -
    b1) g``, ``v = b2 v + (1 - b2) g^2``, ``p -= step_size m / (sqrt(v) /
    root_correction + eps)``; the scalars in the arrays' precision, as numpy
    rounds them."""
    if not _qualify(p, g, m, v):
        return False
    f = p.dtype.type
    b1, b2 = betas
    _adam(p, g, m, v, f(b1), f(1 - b1), f(b2), f(1 - b2), f(step_size), f(root_correction),
          f(eps))
    return True


@_compiled
def _sum_rows(x, out):
    for k in range(x.shape[0]):
        for j in range(x.shape[2]):
            out[k, j] = x[k, 0, j]
        for row in range(1, x.shape[1]):
            for j in range(x.shape[2]):
                out[k, j] += x[k, row, j]


def sum_rows(x: np.ndarray) -> Any:
    """``x.sum(axis=-2)`` as numpy sums it over a non-contiguous axis: the rows
    added in order; None where ``x`` does not qualify (or has no rows)."""
    if x.ndim < 2 or x.shape[-2] == 0 or not _qualify(x):
        return None
    out = np.empty(x.shape[:-2] + x.shape[-1:], x.dtype)
    _sum_rows(x.reshape((-1,) + x.shape[-2:]), out.reshape(-1, x.shape[-1]))
    return out
