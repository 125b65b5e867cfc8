"""Port contracts: what a lava-vle process model accepts on an InPort.

A ``fixed_pt`` port carries integers of the bit width its ``LavaPyType``
declares (``precision``): Q7.16 state values (rates, errors, targets; 1.0 =
2**16) or the 8-bit modulator (1.0 = 64). A ``floating_pt`` port carries
finite real numbers. :func:`received` reads a port and checks its data where
it enters, every step, so a bad value stops the run with a message naming
the process, the port and the units it expects instead of turning into a
silent 0 or NaN.

A model that raises before it has sent its messages of the step leaves its
neighbours waiting for them, and Lava's ``run()`` then never returns. So a
violation is only noted (:func:`port_error`; the model computes the step on
zeros) and raised by :func:`raise_port_error`, which every model calls after
its last send: Lava then reports it from ``run()``, and
:func:`lava_vle.processes.stopping` raises it as itself.
"""
from __future__ import annotations

import typing as ty
import warnings

import numpy as np
from lava.magma.core.process.process import AbstractProcess

from lava_vle import fixed_point as fxp

LABELS = "port_labels"  # proc_params key: how the user knows a port (e.g. "VLENetwork.s_in")
SOURCES = "float_sources"  # proc_params key: non-integer data sources found at compile


def label_port(proc: AbstractProcess, port: str, label: str) -> None:
    """Name ``proc.<port>`` in contract errors as ``label`` (the port of an
    enclosing process that the user connected)."""
    proc.proc_params.overwrite(LABELS, {**proc.proc_params.get(LABELS, {}), port: label})


def note_non_integer_sources(proc: AbstractProcess, port: str, outer_port: ty.Any) -> None:
    """Record the sources connected to ``outer_port`` whose data Vars hold
    non-integer values, for ``proc.<port>``'s fixed_pt contract.

    A stock fixed_pt source such as ``RingBuffer`` casts its data to int32
    itself (0.7 -> 0), so the fixed_pt model cannot see the fractions it
    receives; they are found here, at compile time, and reported at the
    first step if the fixed_pt model runs.
    """
    found = []
    int32 = np.iinfo(np.int32)
    for src in outer_port.get_src_ports():
        for var in src.process.vars:
            init = np.asarray(var.init)
            if init.dtype.kind not in "fiu" or not init.size:
                continue
            fraction = init != np.rint(init) if init.dtype.kind == "f" else np.zeros(init.shape,
                                                                                    bool)
            wraps = (init < int32.min) | (init > int32.max)
            where = f"{type(src.process).__name__} {src.process.name!r} (Var {var.name} holds "
            if np.any(fraction):
                found.append(where + f"{init[fraction].flat[0]:.6g}: a fraction fixed_pt "
                                     "truncates)")
            elif np.any(wraps):
                found.append(where + f"{init[wraps].flat[0]:.6g}: beyond the 32-bit integers a "
                                     "fixed_pt source sends, so it would wrap)")
    proc.proc_params.overwrite(SOURCES, {**proc.proc_params.get(SOURCES, {}), port: found})


def received(model: ty.Any, port: str, range_checked: bool = True) -> np.ndarray:
    """``model.<port>.recv()``, checked against the port's contract; zeros
    (and a noted error) if it breaks it.

    ``range_checked=False`` leaves the range to the model (an input it
    saturates explicitly, such as a neuron's summed ``a_in``).
    """
    data = getattr(model, port).recv()
    lava_type = getattr(type(model), port)
    try:
        if np.issubdtype(np.dtype(lava_type.d_type), np.integer):
            _check_fixed(model, port, data, lava_type.precision if range_checked else None)
        else:
            _check_float(model, port, data, range_checked)
    except ValueError as err:
        port_error(model, err)
        return np.zeros(data.shape, dtype=lava_type.d_type)
    return data


def port_error(model: ty.Any, error: Exception) -> None:
    """Note ``error`` (the first of the step) for :func:`raise_port_error`."""
    model.__dict__.setdefault("_port_error", error)


def raise_port_error(model: ty.Any) -> None:
    """Raise the error noted this step; call it after the model's last send."""
    error = model.__dict__.pop("_port_error", None)
    if error is not None:
        raise error


def port_label(model: ty.Any, port: str) -> str:
    """How contract errors name ``model.<port>`` (see :func:`label_port`)."""
    default = f"{model.implements_process.__name__}.{port}"
    return model.proc_params.get(LABELS, {}).get(port, default)


def _units(bits: int) -> tuple[str, str]:
    """What an integer port of ``bits`` bits holds, and the converter to use."""
    if bits == fxp.MODULATOR_BITS:
        return (f"{bits}-bit integers (1.0 = {1 << fxp.MODULATOR_FRAC_BITS})",
                "lava_vle.fixed_point.modulator_to_fixed")
    return (f"Q7.16 integers ({bits}-bit, 1.0 = {fxp.ONE})", "lava_vle.fixed_point.to_state")


def _check_fixed(model: ty.Any, port: str, data: np.ndarray, bits: ty.Optional[int]) -> None:
    """Integers (in ``bits`` signed bits when given); the compile-time source
    note is reported at the first step."""
    label = port_label(model, port)
    units, converter = _units(bits or fxp.STATE_BITS)
    sources = model.proc_params.get(SOURCES, {}).get(port)
    if sources and model.time_step == 1:
        raise ValueError(f"{label} (fixed_pt) expects {units}, but its source "
                         f"{', '.join(sources)} cannot send that data: use {converter}")
    if data.dtype.kind == "f":
        fraction = ~np.isfinite(data) | (data != np.rint(data))
        if np.any(fraction):
            raise ValueError(f"{label} (fixed_pt) expects {units}, got non-integer values "
                             f"such as {data[fraction].flat[0]:.6g}: use {converter}")
    if bits is not None and data.size:
        lo, hi = fxp.signed_limits(bits)
        if data.min() < lo or data.max() > hi:
            raise fxp.FixedPointRangeError(
                f"{label} (fixed_pt) got values in [{data.min():.6g}, {data.max():.6g}]: "
                f"{units} lie in {lo}..{hi}")


def _check_float(model: ty.Any, port: str, data: np.ndarray, range_checked: bool = True) -> None:
    """Finite; a warning (once per port) for values only Q7.16 integers reach
    (not on a summed input such as a neuron's ``a_in``, where a wide layer
    legitimately reaches them)."""
    label = port_label(model, port)
    if not np.all(np.isfinite(data)):
        raise ValueError(f"{label} (floating_pt) got NaN or inf in "
                         f"{int(np.sum(~np.isfinite(data)))} of {data.size} values: "
                         f"inputs must be finite")
    largest = float(np.abs(data).max(initial=0.0))
    warned = model.__dict__.setdefault("_ports_warned", set())
    if range_checked and largest > fxp.STATE_MAX_REAL and port not in warned:
        warned.add(port)
        warnings.warn(f"{label} (floating_pt) got values up to {largest:.6g}: floating_pt ports "
                      f"take real values (a rate of 1.0 is 1.0); Q7.16 integers "
                      f"(lava_vle.fixed_point.to_state) are for fixed_pt", stacklevel=2)
