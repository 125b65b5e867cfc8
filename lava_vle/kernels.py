"""Compiled loops (numba) for the hottest element-wise updates.

A per-step recipe (Adam on every time step) and the one-process fixed_pt
Lava model spend most of a step outside the matrix products, in
element-wise numpy calls that each make one pass over memory. Each kernel
here fuses such a sequence into one pass and does, element by element, the
same operations in the same order as the numpy form it stands in for
(floats: the same IEEE operations; integers: the same exact integer
operations), so results are equal bit for bit (tested against those forms,
which stay the definition and run on torch tensors, on arrays the kernels
do not take, without numba, or with the environment variable
``LAVA_VLE_KERNELS=0``).

Each float ``*_into`` function returns False (and writes nothing) where its
arrays do not qualify: numpy arrays of one floating dtype, C-contiguous,
of one shape; each integer kernel returns None where its int64 arrays do
not qualify.
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


def _qualify(*arrays: Any, dtypes: tuple = FLOATS) -> bool:
    """Whether the kernels take ``arrays``: numpy arrays of one dtype among
    ``dtypes``, C-contiguous, of one shape (a plain loop: this runs several
    times per time step)."""
    if not ENABLED or type(arrays[0]) is not np.ndarray:
        return False
    dtype, shape = arrays[0].dtype, arrays[0].shape
    if dtype not in dtypes:
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


# --- integer kernels (lava_vle.fixed_point) ---------------------------------------
INT64 = np.dtype(np.int64)


def _qualify_int(*arrays: Any) -> bool:
    """Whether the integer kernels take ``arrays``: int64 (:func:`_qualify`)."""
    return _qualify(*arrays, dtypes=(INT64,))


@_compiled
def _relax_toward(x, target, k_a, k_b, lo, hi, shift, a, b):
    x, target, k_a, k_b, a, b = x.ravel(), target.ravel(), k_a.ravel(), k_b.ravel(), a.ravel(), \
        b.ravel()
    for i in range(x.size):
        x_i = x[i]
        delta = min(max(target[i] - x_i, lo), hi)
        prod = delta * k_a[i]
        a[i] = min(max(x_i + ((prod >> shift) if prod >= 0 else -((-prod) >> shift)), lo), hi)
        prod = delta * k_b[i]
        b[i] = min(max(x_i + ((prod >> shift) if prod >= 0 else -((-prod) >> shift)), lo), hi)


def relax_toward(x: np.ndarray, target: np.ndarray, factors: tuple, lo: int, hi: int,
                 shift: int) -> Any:
    """``clip(x + mul_shift(clip(target - x), k))`` for each of one or two
    factors ``k`` (:func:`lava_vle.fixed_point.relax_toward`), one new array
    per factor; None where the arrays do not qualify."""
    if len(factors) > 2 or not _qualify_int(x, target, *factors):
        return None
    out = (np.empty_like(x), np.empty_like(x))
    _relax_toward(x, target, factors[0], factors[-1], lo, hi, shift, *out)
    return out[:len(factors)]


@_compiled
def _saturate(x, lo, hi, out):
    x, out = x.ravel(), out.ravel()
    for i in range(x.size):
        out[i] = min(max(x[i], lo), hi)


def saturate(x: Any, lo: int, hi: int) -> Any:
    """``minimum(maximum(x, lo), hi)`` of an int64 array as a new array
    (:func:`lava_vle.fixed_point.saturate`); None where ``x`` does not qualify."""
    if not _qualify_int(x):
        return None
    out = np.empty_like(x)
    _saturate(x, lo, hi, out)
    return out


@_compiled
def _keyed_update(acc, prod, shift, key, index, lo, hi, stochastic_bits, out):
    layers = acc.shape[0]
    per_layer = acc.size // layers
    acc, prod, index, out = acc.ravel(), prod.ravel(), index.ravel(), out.ravel()
    mask32 = np.uint64(0xFFFFFFFF)
    for l in range(layers):
        s, k = shift[l], np.uint64(key[l]) & mask32
        up, down = max(-s, 0), max(s - stochastic_bits, 0)
        s = min(max(s, 0), stochastic_bits)
        mask = (np.int64(1) << s) - 1
        for i in range(l * per_layer, (l + 1) * per_layer):
            h = (np.uint64(index[i]) & mask32) ^ k  # mix32, masked after each product
            h ^= h >> np.uint64(16)
            h = (h * np.uint64(0x7FEB352D)) & mask32
            h ^= h >> np.uint64(15)
            h = (h * np.uint64(0x846CA68B)) & mask32
            h ^= h >> np.uint64(16)
            x = (prod[i] << up) >> down
            out[i] = min(max(acc[i] + ((x + (np.int64(h) & mask)) >> s), lo), hi)


def _per_layer(value: Any, like: np.ndarray, dtype: Any) -> Any:
    """``value`` (one for all, or one per entry of ``like``'s first axis,
    shaped ``(L, 1, ..., 1)``) as a ``(L,)`` array of ``dtype``; None if it
    is neither."""
    a = np.asarray(value)
    L = like.shape[0]
    if a.size != 1 and (a.ndim != like.ndim or a.size != L or a.shape[0] != L):
        return None
    return np.ascontiguousarray(np.broadcast_to(a.reshape(-1).astype(dtype), (L,)))


def keyed_update(acc: np.ndarray, prod: np.ndarray, shift: Any, key: Any, index: np.ndarray,
                 lo: int, hi: int, stochastic_bits: int) -> Any:
    """``clip(acc + keyed_shift(prod, shift, key, index))`` of a layer stack
    (:func:`lava_vle.fixed_point.keyed_update`): ``acc``, ``prod`` and
    ``index`` (L, ...), ``shift`` and ``key`` one per layer (scalars for one
    layer); a new array, or None where the arrays do not qualify."""
    if not _qualify_int(acc, prod, index) or acc.ndim == 0:
        return None
    shift, key = _per_layer(shift, acc, np.int64), _per_layer(key, acc, np.uint64)
    if shift is None or key is None:
        return None
    out = np.empty_like(acc)
    _keyed_update(acc, prod, shift, key, index, lo, hi, stochastic_bits, out)
    return out


@_compiled
def _bounded(a, b):
    """Whether ``max|a| max|b| k < 2**62``: every partial sum of ``a @ b``
    fits in int64 (the product taken in float64, far from the bound's
    rounding)."""
    max_a, max_b = 0, 0
    for v in a.ravel():
        max_a = max(max_a, abs(v))
    for s in range(b.shape[0]):
        for k in range(b.shape[1]):
            for j in range(b.shape[2]):
                max_b = max(max_b, abs(b[s, k, j]))
    return float(max_a) * float(max_b) * a.shape[-1] < 2.0 ** 62


@_compiled
def _int_matmul(a, b, out):
    if not _bounded(a, b):
        return False
    for s in range(a.shape[0]):
        for i in range(a.shape[1]):
            for j in range(b.shape[2]):
                out[s, i, j] = 0
            for k in range(a.shape[2]):
                a_ik = a[s, i, k]
                for j in range(b.shape[2]):
                    out[s, i, j] += a_ik * b[s, k, j]
    return True


@_compiled
def _int_matmul_by_rows(a, b, out):
    """``out = a @ b`` for a ``b`` contiguous along the summed axis (a
    transposed matrix: the error path's ``W^T``)."""
    if not _bounded(a, b):
        return False
    for s in range(a.shape[0]):
        for i in range(a.shape[1]):
            for j in range(b.shape[2]):
                total = 0
                for k in range(a.shape[2]):
                    total += a[s, i, k] * b[s, k, j]
                out[s, i, j] = total
    return True


#: the most multiply-adds :func:`int_matmul` takes (above, float64 BLAS is faster)
INT_MATMUL_MAX_MACS = 1 << 18


def int_matmul(a: np.ndarray, b: np.ndarray) -> Any:
    """Exact ``a @ b`` of int64 stacks (same leading dimensions, any strides)
    summed in int64, for products of at most ``INT_MATMUL_MAX_MACS``
    multiply-adds whose every partial sum is bounded below 2**62
    (``max|a| max|b| k``): :func:`lava_vle.fixed_point.int_matmul` in one
    pass. None where the arrays do not qualify or the bound fails."""
    if (not ENABLED or type(a) is not np.ndarray or type(b) is not np.ndarray
            or a.dtype != INT64 or b.dtype != INT64 or a.ndim < 2 or a.ndim != b.ndim
            or a.shape[:-2] != b.shape[:-2] or a.shape[-1] != b.shape[-2]
            or a.size * b.shape[-1] > INT_MATMUL_MAX_MACS or a.size == 0 or b.size == 0):
        return None
    a3 = np.ascontiguousarray(a.reshape((-1,) + a.shape[-2:]))
    b3 = b.reshape((-1,) + b.shape[-2:])
    out = np.empty(a.shape[:-1] + b.shape[-1:], np.int64)
    by_rows = b3.swapaxes(-1, -2).flags.c_contiguous
    done = (_int_matmul_by_rows if by_rows else _int_matmul)(
        a3, b3, out.reshape((-1,) + out.shape[-2:]))
    return out if done else None
