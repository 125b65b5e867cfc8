"""Parameter checks shared by the lava-vle processes (run at construction).

Every process validates its physical parameters for both precisions, so a
``fixed_pt`` run never fails late inside the runtime.
"""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.ports.ports import AbstractPort, InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.process.variable import Var

from lava_vle import fixed_point as fxp
from lava_vle.activations import ACTIVATIONS
from lava_vle.arithmetic import FixedArithmetic
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec, check_params, init_params
from lava_vle.validation import (check_bool, check_choice, check_dt, check_int, check_real,
                                 check_spiking_or_sigma_delta, check_threshold,
                                 check_time_constants)


def shape_of(shape: ty.Union[int, ty.Tuple[int, ...]]) -> ty.Tuple[int]:
    """A 1-D population shape ``(n,)``; lava-vle populations are flat."""
    dims = (shape,) if np.isscalar(shape) else tuple(np.atleast_1d(shape))
    if len(dims) != 1:
        raise ValueError(f"shape={shape} must be (n,) with n >= 1")
    return (check_int("shape", dims[0], 1),)


def time_constants(shape: ty.Tuple[int], tau_m: ty.Any, tau_r: ty.Any,
                   dt: float) -> ty.Tuple[np.ndarray, np.ndarray]:
    """Broadcast and check ``tau_m``, ``tau_r`` (>= dt, representable on Loihi 2)."""
    tau_m, tau_r = check_time_constants(shape[0], tau_m, tau_r, check_dt(dt))
    FixedArithmetic.neuron_constants(dt, tau_m, tau_r)  # raises FixedPointRangeError
    return tau_m, tau_r


def learning_rate(value: float) -> float:
    """A learning rate eta: finite, >= 0, representable as Loihi 2's 8-bit
    mantissa and shift."""
    fxp.learning_rate_to_fixed(check_real("learning_rate", value, 0.0), "learning_rate")
    return float(value)


def activation_name(name: str) -> str:
    """An activation both models can compute (piecewise linear): a process is
    built before its precision is chosen, so floating_pt takes only these too."""
    if not ACTIVATIONS[check_choice("activation", name, sorted(ACTIVATIONS))].fixed_point_capable:
        capable = sorted(k for k, a in ACTIVATIONS.items() if a.fixed_point_capable)
        raise ValueError(f"activation={name!r} has no fixed-point form (Loihi microcode has "
                         f"no {name}): the Lava processes take {capable} in either precision "
                         "(a process is built before its precision is chosen); run this "
                         "network in the Simulator, or train with --activation hard_tanh")
    return name


def gain(value: float, name: str) -> float:
    """A non-negative gain representable as a 16-bit factor."""
    fxp.scale_to_fixed(check_real(name, value), name)
    return float(value)


def threshold(value: float, spiking: bool = False) -> float:
    """A sigma-delta threshold: finite, >= 0, representable as a 24-bit state value."""
    value = check_threshold(value)
    check_spiking_or_sigma_delta(spiking, value)
    return value


def lava_recurrent_error(spec: NetworkSpec) -> None:
    """The Lava processes (composed and fused) run ``recurrent_error`` 'loop',
    'none', 'stable' and 'eprop'; 'eprop-all' exists in the fused float
    trainer only."""
    allowed = ("loop", "none", "stable", "eprop")
    if spec.recurrent_error not in allowed:
        raise ValueError(
            f"recurrent_error={spec.recurrent_error!r} is not available in the Lava processes: "
            "'eprop-all' is defined by the fused float trainer only (lava_vle.learners.VLELocal), "
            "where the forward weights' and biases' e-prop updates go through its optimiser; "
            "neither precision has a per-step rule for it (the simulator refuses to learn it "
            f"too), so no process could equal a reference; use one of {list(allowed)}")


def network(spec: NetworkSpec, params: ty.Union[FloatParams, FixedParams, None],
            learning_rate: float, seed: int, modulator: float,
            external_modulator: bool = False) -> ty.Union[FloatParams, FixedParams]:
    """Check a whole network's arguments for both precisions, each error
    naming its parameter; returns the parameters (``init_params(spec, seed)``
    when ``params`` is None; fixed point's integers, e.g. a fixed-point run's
    ``load_run(...).fixed_params``, are kept as they are)."""
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a lava_vle.spec.NetworkSpec, got {type(spec)}")
    for layer in spec.layers:
        activation_name(layer.activation)
    lava_recurrent_error(spec)
    check_int("seed", seed, 0, 2**32 - 1, "32-bit unsigned")
    params = init_params(spec, seed) if params is None else params
    if not isinstance(params, (FloatParams, FixedParams)):
        raise TypeError(f"params must be FloatParams (lava_vle.spec.init_params) or "
                        f"FixedParams, got {type(params).__name__}")
    check_params(spec, params)
    both_precisions(spec, params)  # raises unless representable in fixed_pt
    fxp.learning_rate_to_fixed(learning_rate, "learning_rate")
    fxp.modulator_to_fixed(check_real("modulator", modulator), "modulator")
    check_bool("external_modulator", external_modulator)
    return params


def both_precisions(spec: NetworkSpec, params: ty.Union[FloatParams, FixedParams],
                    headroom: float = 2.0) -> ty.Tuple[FloatParams, FixedParams]:
    """The real parameters and fixed point's integers of ``params``: real ones
    quantised with ``headroom`` (:meth:`FixedParams.from_float`), integers
    kept exactly (their real values are exact in float64, so quantising them
    again with their own exponents gives them back)."""
    if isinstance(params, FixedParams):
        return params.to_float(), params
    return params, FixedParams.from_float(spec, params, headroom)


class CheckedVar(Var):
    """A Lava ``Var`` whose ``set`` refuses, naming the Var, a value of another
    shape (Lava would write it into the first elements and keep the rest) and
    NaN or inf in real numbers (the network's state would turn NaN), and
    whose ``get`` after the run stopped says so (Lava: "Runtime has not
    started")."""

    def set(self, value: ty.Any, idx: ty.Optional[np.ndarray] = None) -> None:
        if not isinstance(value, str):
            array = np.asarray(value)
            what = f"{type(self.process).__name__}.{self.name}.set"
            if idx is None and array.shape != tuple(self.shape):
                raise ValueError(f"{what}: a value of shape {array.shape}; the Var has shape "
                                 f"{tuple(self.shape)}")
            if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
                raise ValueError(f"{what}: NaN or inf in {int(np.sum(~np.isfinite(array)))} "
                                 f"of {array.size} values; set finite values")
        super().set(value, idx)

    def get(self, idx: ty.Optional[np.ndarray] = None) -> ty.Any:
        runtime = self.process.runtime if self.aliased_var is None else None
        if runtime is not None and not runtime._is_started and runtime.num_steps > 0:
            raise RuntimeError(f"{type(self.process).__name__}.{self.name}.get: the run has "
                               "stopped and its values are gone; read Vars before the end "
                               "of `with stopping(net):` (or before net.stop())")
        return super().get(idx)


def validate_naming_shapes(port: AbstractPort, ports: list, port_type: type,
                           assert_same_shape: bool = True,
                           assert_same_type: bool = False) -> None:
    """Lava's ``AbstractPort._validate_ports``, except that ports of different
    shapes raise a ValueError naming both ports and their shapes (Lava:
    ``AssertionError: Shapes (3,) and (2,) are incompatible``)."""
    for other in ports if assert_same_shape else ():
        if isinstance(other, AbstractPort) and tuple(other.shape) != tuple(port.shape):
            raise ValueError(
                f"cannot connect {port_name(port)} (shape {tuple(port.shape)}) with "
                f"{port_name(other)} (shape {tuple(other.shape)}): connected ports have one "
                "shape (a Dense from graded_dense(weights) takes s_in of weights.shape[1] "
                "values and sends a_out of weights.shape[0])")
    AbstractPort._validate_ports(port, ports, port_type, assert_same_shape, assert_same_type)


def port_name(port: AbstractPort) -> str:
    """``"VLENetwork.s_in"``: the port's process class and the port."""
    return f"{type(port.process).__name__ if port.process else 'a process'}.{port.name}"


class CheckedInPort(InPort):
    """An ``InPort`` that names both ports when a connection's shapes differ."""

    _validate_ports = validate_naming_shapes


class CheckedOutPort(OutPort):
    """An ``OutPort`` that names both ports when a connection's shapes differ."""

    _validate_ports = validate_naming_shapes


class ValidatedProcess(AbstractProcess):
    """An AbstractProcess that checks its parameters before building itself.

    A constructor that raises before ``AbstractProcess.__init__`` leaves an
    object without a runtime; Lava's ``__del__`` would then raise again
    during garbage collection. This one only stops what was built.
    """

    def __del__(self) -> None:
        if "_runtime" in self.__dict__:
            super().__del__()

    def run(self, condition: ty.Any = None, run_cfg: ty.Any = None,
            compile_config: ty.Any = None) -> None:
        """``AbstractProcess.run``, refused with an error naming the cause where
        lava-nc 0.10 would hang, crash or silently do something else: a
        ``RunSteps`` of fewer than one step (it never returns), a runtime that
        ran and was stopped (it would restart its stopped workers and end in a
        segmentation fault), and a ``run_cfg`` selecting other models than the
        first run compiled (it would run the first run's models again)."""
        what = f"{type(self).__name__} {self.name!r}"
        steps = getattr(condition, "num_steps", None)
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or steps < 1):
            raise ValueError(f"{what}: RunSteps(num_steps={steps!r}): num_steps must be an "
                             "integer >= 1")
        runtime = self.__dict__.get("_runtime")
        if runtime is not None and not runtime._is_started and runtime.num_steps > 0:
            raise RuntimeError(f"{what}: run() after stop(): its runtime's workers and shared "
                               "memory are gone; build the processes again (or keep running "
                               "before stop())")
        tag = getattr(run_cfg, "select_tag", None)
        compiled = self.__dict__.get("_compiled_select_tag")
        if runtime is not None and run_cfg is not None and tag != compiled:
            raise ValueError(f"{what}: run_cfg selects {tag!r} models, but the network was "
                             f"compiled by its first run() for {compiled!r} and Lava would run "
                             "those again; build the processes again for the other models")
        super().run(condition, run_cfg, compile_config)
        if runtime is None:
            self.__dict__["_compiled_select_tag"] = tag
