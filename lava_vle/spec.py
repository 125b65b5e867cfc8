"""Network specification: layers, time constants, projections, loss.

A VLE network is a stack of populations ``1..L`` fed by an input ``0``. Each
population ``l`` receives a forward projection from ``l-1`` and, if
``recurrent``, one from itself. Every projection delays by one time step
(like Lava's Dense), in the forward and in the error path. Population ``L``
is the output; its error dendrite receives the target error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.activations import ACTIVATIONS
from lava_vle.validation import (check_bool, check_choice, check_dt, check_finite, check_gain,
                                 check_int, check_learning_epoch, check_real,
                                 check_spiking_or_sigma_delta,
                                 check_threshold, check_time_constants)

FloatOrArray = Union[float, Sequence[float], np.ndarray]

LOSSES = ("mse", "ce")
FEEDBACK_MODES = ("mirrored", "random")
RECURRENT_ERROR_MODES = ("loop", "none", "stable", "eprop", "eprop-all")
BIAS_INITS = ("zero", "uniform")  # init_params' bias_init
MAX_PARAMETER_BYTES = 8 * 2**30  # init_params refuses a network larger than this


@dataclass(frozen=True)
class LayerSpec:
    """One population of VLE neurons.

    Attributes:
        size: number of neurons.
        tau_m: membrane time constant (same unit as dt), scalar or per neuron.
        tau_r: prospective time constant, scalar or per neuron; dt <= tau_r.
        activation: name of phi (see ``lava_vle.activations``).
        recurrent: add an all-to-all projection from the layer to itself.
        spiking: send signed binary spikes from an integrate-and-fire encoder
            of the rate (``acc += r``; a spike of +-1 when ``|acc| >= 1``,
            subtracted from ``acc``) instead of the graded rate; at most one
            spike per step, so the spike count over a window approximates the
            sum of ``r`` for ``|r| <= 1``. Errors stay graded.
        sigma_delta: threshold (rate units) of sigma-delta communication:
            the population sends its rate only when it moved by more than
            this since the last value sent (receivers hold the last value);
            0 sends every change (graded).
        error_sigma_delta: the same for the prospective errors its error
            dendrites send (errors are much smaller than rates).
        init_gain: scale ``g`` of the initial weights of every projection
            into this population, ``U(-g/sqrt(fan_in), g/sqrt(fan_in))``
            (see :func:`init_params`); > 1 drives sparse spike inputs into
            the neurons' nonlinear range.
    """

    size: int
    tau_m: FloatOrArray = 1.0
    tau_r: FloatOrArray = 1.0
    activation: str = "hard_tanh"
    recurrent: bool = False
    spiking: bool = False
    sigma_delta: float = 0.0
    error_sigma_delta: float = 0.0
    init_gain: float = 1.0

    def __post_init__(self) -> None:
        """Check every field (the dt-dependent bound waits for the NetworkSpec)."""
        object.__setattr__(self, "size", check_int("size", self.size, 1))
        check_time_constants(self.size, self.tau_m, self.tau_r)
        check_choice("activation", self.activation, sorted(ACTIVATIONS))
        check_bool("recurrent", self.recurrent)
        check_bool("spiking", self.spiking)
        for name in ("sigma_delta", "error_sigma_delta"):
            object.__setattr__(self, name, check_threshold(getattr(self, name), name))
        check_spiking_or_sigma_delta(self.spiking, self.sigma_delta)
        object.__setattr__(self, "init_gain",
                           check_real("init_gain", self.init_gain, 0.0, lo_open=True))

    def time_constants(self, dt: Optional[float] = None) -> tuple[np.ndarray, np.ndarray]:
        """(tau_m, tau_r) broadcast to ``(size,)`` float64 arrays (checked >= dt)."""
        return check_time_constants(self.size, self.tau_m, self.tau_r, dt)


@dataclass(frozen=True)
class Projection:
    """A weight matrix from population ``pre`` to population ``post``."""

    pre: int
    post: int

    @property
    def name(self) -> str:
        return f"W{self.post}_{self.pre}"


# the one default of NetworkSpec, TrainConfig and `lava-vle train`: errors
# reach recurrent layers only from above ("loop" can diverge)
DEFAULT_RECURRENT_ERROR = "none"


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that defines a VLE network but its weights.

    Attributes:
        n_in: input dimension (population 0).
        layers: hidden populations followed by the output population.
        dt: Euler time step.
        loss: ``"mse"`` (e = beta (y - r)) or ``"ce"`` (e = beta (y - softmax r)).
        beta: output error scale.
        gamma: nudging strength of the error on the membrane (0: no nudging).
        feedback: ``"mirrored"`` (error path uses W^T, kept equal by the same
            local rule) or ``"random"`` (fixed random feedback matrices).
        recurrent_error: how errors and learning treat recurrent projections.
            Default ``"none"`` (as ``TrainConfig`` and the CLI).
            ``"loop"``: the projection also carries errors back
            (``W_rec^T e_breve(t-1)``, the GLE form; unstable for lead gains
            ``tau_m/tau_r > 1`` in the loop). ``"none"``: recurrent layers get
            errors only from the layers above (truncated, local in time; the
            recurrent weights still learn by the local rule). ``"stable"``:
            the projection carries ``c W_rec^T v(t-1)``, the low-passed error
            (gain <= 1 at every frequency) scaled so that ``c ||W_rec||_F <=
            LOOP_GAIN < 1``: the error loop contracts (see
            :func:`lava_vle.dynamics.recurrent_loop_gain`). ``"eprop"``: no error
            through the recurrence; recurrent weights learn from per-synapse
            eligibility traces times the error arriving at the neuron (e-prop,
            :func:`lava_vle.plasticity.eligibility_step`; the simulator in
            float and fixed point, the fused trainer, the fused Lava model).
            ``"eprop-all"``: the same for every weight and bias (forward
            projections too): a synapse into a slow unit keeps the history of
            its input, so an error that arrives late still meets it (the fused
            trainer only).
        learning_epoch: steps per learning epoch ``N``: synapses keep pre and
            post traces and change their weights once per epoch, as the
            Loihi 2 learning engine does (see :mod:`lava_vle.plasticity`);
            1 learns every step. 1..4096.
    """

    n_in: int
    layers: tuple[LayerSpec, ...]
    dt: float = 0.1
    loss: str = "mse"
    beta: float = 1.0
    gamma: float = 0.0
    feedback: str = "mirrored"
    recurrent_error: str = DEFAULT_RECURRENT_ERROR
    learning_epoch: int = 1
    projections: tuple[Projection, ...] = field(init=False)

    def __post_init__(self) -> None:
        if isinstance(self.layers, (str, bytes)) or not isinstance(self.layers, Sequence):
            raise TypeError(f"layers={self.layers!r} must be a sequence of LayerSpec")
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "n_in", check_int("n_in", self.n_in, 1))
        if not self.layers:
            raise ValueError("layers=() must name at least the output layer")
        for idx, layer in enumerate(self.layers):
            if not isinstance(layer, LayerSpec):
                raise TypeError(f"layers[{idx}]={layer!r} must be a LayerSpec")
        object.__setattr__(self, "dt", check_dt(self.dt))
        object.__setattr__(self, "learning_epoch", check_learning_epoch(self.learning_epoch))
        check_choice("loss", self.loss, LOSSES)
        if self.loss == "ce" and self.layers[-1].size < 2:
            raise ValueError(f"loss='ce' needs an output layer of >= 2 units, got "
                             f"{self.layers[-1].size}: the softmax of one output is always 1, "
                             "so its error and every update are 0 (use loss='mse')")
        object.__setattr__(self, "beta", check_gain("beta", self.beta))
        object.__setattr__(self, "gamma", check_gain("gamma", self.gamma))
        check_choice("feedback", self.feedback, FEEDBACK_MODES)
        check_choice("recurrent_error", self.recurrent_error, RECURRENT_ERROR_MODES)
        for idx, layer in enumerate(self.layers):
            check_time_constants(layer.size, layer.tau_m, layer.tau_r, self.dt, f"layers[{idx}].")
        projections = []
        for post, layer in enumerate(self.layers, start=1):
            projections.append(Projection(post - 1, post))
            if layer.recurrent:
                projections.append(Projection(post, post))
        object.__setattr__(self, "projections", tuple(projections))

    def carries_error(self, proj: Projection) -> bool:
        """Whether a projection sends errors back to its presynaptic population."""
        if proj.pre == 0:
            return False
        return proj.pre != proj.post or self.recurrent_error in ("loop", "stable")

    def bias_carriers(self) -> list[int]:
        """Index of the projection that carries each population's bias (the first into it)."""
        return [next(k for k, p in enumerate(self.projections) if p.post == post)
                for post in range(1, self.n_layers + 1)]

    @property
    def sizes(self) -> tuple[int, ...]:
        """Population sizes, input first."""
        return (int(self.n_in),) + tuple(int(layer.size) for layer in self.layers)

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_out(self) -> int:
        return self.sizes[-1]

    def n_parameters(self) -> int:
        """Number of trainable weights and biases."""
        sizes = self.sizes
        return sum(sizes[p.post] * sizes[p.pre] for p in self.projections) + sum(sizes[1:])


@dataclass
class FloatParams:
    """Real-valued weights, biases and (random mode) feedback matrices.

    ``weights[k]`` belongs to ``spec.projections[k]`` and has shape
    ``(n_post, n_pre)``; ``biases[l-1]`` to population ``l``;
    ``feedback[k]`` is None for mirrored feedback and for input projections.
    """

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    feedback: list[Optional[np.ndarray]]

    def plastic_arrays(self) -> tuple[list, list, list]:
        """What the local rule changes: weights, biases and their exponents (None)."""
        return self.weights, self.biases, [None] * len(self.weights)

    def copy(self) -> "FloatParams":
        return FloatParams([w.copy() for w in self.weights],
                           [b.copy() for b in self.biases],
                           [None if f is None else f.copy() for f in self.feedback])


def check_params(spec: NetworkSpec, params: Union["FloatParams", "FixedParams"]) -> None:
    """Raise ValueError unless ``params`` hold one finite matrix of shape
    ``(n_post, n_pre)`` per projection of ``spec`` (``W{post}_{pre}``), one
    bias per population (``b{l}``) and, where given, a feedback matrix of the
    weights' shape (``B{post}_{pre}``)."""
    if not isinstance(params, (FloatParams, FixedParams)):
        raise TypeError(f"params must be FloatParams or FixedParams, got {type(params).__name__}")
    sizes = spec.sizes
    weights, biases, _ = params.plastic_arrays()
    feedback = params.feedback if isinstance(params, FloatParams) else params.feedback_mant
    for what, arrays, count in (("weight matrices", weights, len(spec.projections)),
                                ("biases", biases, spec.n_layers),
                                ("feedback matrices", feedback, len(spec.projections))):
        if len(arrays) != count:
            raise ValueError(f"params hold {len(arrays)} {what}, the spec needs {count}")
    for w, f, proj in zip(weights, feedback, spec.projections):
        shape = (sizes[proj.post], sizes[proj.pre])
        for name, matrix in ((proj.name, w), ("B" + proj.name[1:], f)):
            if matrix is not None and np.shape(matrix) != shape:
                raise ValueError(f"{name} must have shape {shape}, got {np.shape(matrix)}")
            if matrix is not None:
                check_finite(name, matrix)
    for l, b in enumerate(biases, start=1):
        if np.shape(b) != (sizes[l],):
            raise ValueError(f"b{l} must have shape ({sizes[l]},), got {np.shape(b)}")
        check_finite(f"b{l}", b)


def init_params(spec: NetworkSpec, seed: int = 0, gain: float = 1.0,
                dtype: np.dtype = np.float64, bias_init: str = "zero") -> FloatParams:
    """Uniform init ``U(-g/sqrt(fan_in), g/sqrt(fan_in))`` of the weights.

    ``g = gain * init_gain`` of the postsynaptic layer. The fan-in of a
    population counts all of its incoming projections.
    Random feedback matrices (if any) are drawn the same way, transposed.
    ``bias_init``: ``"zero"``, or ``"uniform"``, each population's biases from
    the same ``U(-g/sqrt(fan_in), g/sqrt(fan_in))`` (torch's ``nn.Linear``
    and the GLE reference's init), drawn after the weights from a generator
    of their own, so the weights of a seed do not change.
    """
    if not isinstance(spec, NetworkSpec):
        raise TypeError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
    check_int("seed", seed, 0)
    check_real("gain", gain, 0.0, lo_open=True)
    check_choice("bias_init", bias_init, BIAS_INITS)
    needed = spec.n_parameters() * np.dtype(dtype).itemsize
    if needed > MAX_PARAMETER_BYTES:
        largest = max(spec.projections, key=lambda p: spec.sizes[p.post] * spec.sizes[p.pre])
        raise ValueError(f"the network's {spec.n_parameters():,} parameters need "
                         f"{needed / 2**30:.0f} GiB (the largest projection, population "
                         f"{largest.pre} -> {largest.post}, "
                         f"{spec.sizes[largest.post]:,} x {spec.sizes[largest.pre]:,}); "
                         f"at most {MAX_PARAMETER_BYTES / 2**30:.0f} GiB: make the layers smaller")
    rng = np.random.default_rng(seed)
    feedback_rng = np.random.default_rng([seed, 1])  # mode-independent forward draws
    sizes = spec.sizes
    fan_in = np.zeros(len(sizes), dtype=np.int64)
    for proj in spec.projections:
        fan_in[proj.post] += sizes[proj.pre]
    weights, feedback = [], []
    for proj in spec.projections:
        bound = gain * spec.layers[proj.post - 1].init_gain / np.sqrt(fan_in[proj.post])
        if not np.isfinite(2 * bound):
            raise ValueError(f"init_gain={spec.layers[proj.post - 1].init_gain!r} of "
                             f"layers[{proj.post - 1}] (with gain={gain!r}) bounds the initial "
                             f"weights by {bound:.3g}: too large to draw in float64")
        shape = (sizes[proj.post], sizes[proj.pre])
        weights.append(rng.uniform(-bound, bound, size=shape).astype(dtype))
        if spec.feedback == "random" and proj.pre > 0:
            feedback.append(feedback_rng.uniform(-bound, bound, size=shape).astype(dtype))
        else:
            feedback.append(None)
    biases = [np.zeros(n, dtype=dtype) for n in sizes[1:]]
    if bias_init == "uniform":
        bias_rng = np.random.default_rng([seed, 2])
        for l, layer in enumerate(spec.layers):
            bound = gain * layer.init_gain / np.sqrt(fan_in[l + 1])
            biases[l] = bias_rng.uniform(-bound, bound, size=layer.size).astype(dtype)
    return FloatParams(weights, biases, feedback)


@dataclass
class FixedParams:
    """Integer synapses as a fixed_pt model holds them.

    ``weight_acc[k]``: 16-bit accumulators (8-bit mantissa plus
    ``ACC_FRAC_BITS`` of fraction), real weight ``acc * 2**(exp - 8)``.
    ``bias_acc[l-1]``: the same for the bias of population ``l``, a weight
    from an always-on rate of 1.0 with exponent ``bias_exp[l-1]``.
    ``feedback_mant[k]``: fixed 8-bit random feedback (random mode only).
    """

    weight_acc: list[np.ndarray]
    weight_exp: list[int]
    bias_acc: list[np.ndarray]
    bias_exp: list[int]
    feedback_mant: list[Optional[np.ndarray]]
    feedback_exp: list[Optional[int]]

    @classmethod
    def from_float(cls, spec: NetworkSpec, params: FloatParams,
                   headroom: float = 2.0) -> "FixedParams":
        """Quantise real parameters; exponents leave ``headroom`` for learning.

        Each projection's exponent is the smallest one holding
        ``headroom * max|W|`` in 8 bits; a bias uses the exponent of the
        first projection into its population.
        """
        check_params(spec, params)
        headroom = check_real("headroom", headroom, 1.0)
        names = [proj.name for proj in spec.projections]
        weight_exp = [fxp.choose_weight_exp(np.abs(w).max(initial=0.0), headroom, name)
                      for w, name in zip(params.weights, names)]
        weight_acc = [fxp.quantize_weights(w, e, fxp.ACC_FRAC_BITS, name)
                      for w, e, name in zip(params.weights, weight_exp, names)]
        bias_exp = [weight_exp[k] for k in spec.bias_carriers()]
        bias_acc = [fxp.quantize_weights(b, e, fxp.ACC_FRAC_BITS, f"b{l}")
                    for l, (b, e) in enumerate(zip(params.biases, bias_exp), start=1)]
        feedback_exp = [None if f is None else fxp.choose_weight_exp(np.abs(f).max())
                        for f in params.feedback]
        feedback_mant = [None if f is None else fxp.quantize_weights(f, e, name="B" + name[1:])
                         for f, e, name in zip(params.feedback, feedback_exp, names)]
        return cls(weight_acc, weight_exp, bias_acc, bias_exp, feedback_mant, feedback_exp)

    def plastic_arrays(self) -> tuple[list, list, list]:
        """What the local rule changes: the 16-bit accumulators and weight exponents."""
        return self.weight_acc, self.bias_acc, self.weight_exp

    def weight_mant(self) -> list[np.ndarray]:
        """8-bit mantissas the forward and mirrored error paths use."""
        return [fxp.accumulator_to_mantissa(a) for a in self.weight_acc]

    def bias_mant(self) -> list[np.ndarray]:
        return [fxp.accumulator_to_mantissa(a) for a in self.bias_acc]

    def to_float(self) -> FloatParams:
        """Real values of the effective (8-bit mantissa) parameters."""
        weights = [fxp.dequantize_weights(m, e) for m, e in zip(self.weight_mant(), self.weight_exp)]
        biases = [fxp.dequantize_weights(m, e) for m, e in zip(self.bias_mant(), self.bias_exp)]
        feedback = [None if m is None else fxp.dequantize_weights(m, e)
                    for m, e in zip(self.feedback_mant, self.feedback_exp)]
        return FloatParams(weights, biases, feedback)

    def copy(self) -> "FixedParams":
        return FixedParams([a.copy() for a in self.weight_acc], list(self.weight_exp),
                           [a.copy() for a in self.bias_acc], list(self.bias_exp),
                           [None if m is None else m.copy() for m in self.feedback_mant],
                           list(self.feedback_exp))
