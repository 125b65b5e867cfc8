"""A whole VLE network as ONE leaf Lava process (the fused model of VLENetwork).

The composed :class:`~lava_vle.processes.vle_network.process.VLENetwork`
runs one Lava process per population, error dendrite and synapse (the
structure that maps to a chip); the Lava CPU runtime pays per process and
channel every step. :class:`FusedVLENetwork` runs the same network in one
``PyLoihiProcessModel`` that calls the batched simulator's single step
(:meth:`lava_vle.simulator.Simulator.step`, batch of one; the fixed_pt
model steps a feed-forward chain's layers at once,
:class:`lava_vle.stacked_fixed.FixedChain`), so it equals the composed
fixed_pt network bit for bit. Users get it with
``VLENetwork(..., fused=True)``, which wraps this process.

Its Vars are flat: every projection's matrix row-major, one after the
other in ``spec.projections`` order, and every population's values one
after the other; :meth:`FusedVarReader.read` splits them.
"""
from __future__ import annotations

import typing as ty

import numpy as np
from lava.magma.core.process.process import LogConfig

from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, both_precisions, network)

# Var name -> what its flat values are laid out over
PER_PROJECTION = ("weights", "weight_acc", "eligibility")
PER_POPULATION_AND_INPUT = ("rates", "pre_trace")
PER_POPULATION = ("bias", "bias_acc", "u", "v", "u_breve", "e_breve", "spike_acc",
                  "post_trace")
STATE = ("u", "v", "u_breve", "e_breve", "spike_acc", "post_trace", "rates", "pre_trace",
         "e_target", "eligibility")
FUSED_VARS = PER_PROJECTION + PER_POPULATION + PER_POPULATION_AND_INPUT + (
    "e_target", "learning_rate")


def _shapes(spec: NetworkSpec, name: str) -> list[tuple[int, ...]]:
    """Shapes of the pieces of Var ``name``, in the order they lie in the flat Var."""
    sizes = spec.sizes
    if name in PER_PROJECTION:
        return [(sizes[p.post], sizes[p.pre]) for p in spec.projections]
    if name in PER_POPULATION_AND_INPUT:
        return [(n,) for n in sizes]
    if name in PER_POPULATION:
        return [(n,) for n in sizes[1:]]
    if name == "e_target":
        return [(spec.n_out,)]
    if name == "learning_rate":
        return [(1,)]
    raise ValueError(f"name={name!r} is not a Var of a fused VLE network: one of {FUSED_VARS}")


def unpack(spec: NetworkSpec, name: str, flat: np.ndarray) -> list[np.ndarray]:
    """Split the flat values of Var ``name`` into its pieces: per projection
    ``(n_post, n_pre)`` matrices, per population ``(n,)`` vectors (``rates``
    and ``pre_trace`` start with the input population 0). Views if ``flat``
    is contiguous."""
    pieces, start = [], 0
    for shape in _shapes(spec, name):
        stop = start + int(np.prod(shape))
        pieces.append(flat[start:stop].reshape(shape))
        start = stop
    if start != np.size(flat):
        raise ValueError(f"{name} must hold {start} values for this spec, got {np.size(flat)}")
    return pieces


def fused_var_values(spec: NetworkSpec, params: ty.Union[FloatParams, FixedParams],
                     learning_rate: float, headroom: float = 2.0) -> dict[str, np.ndarray]:
    """Initial flat values of every Var of a fused network.

    ``weights``/``bias``: the real parameters; ``weight_acc``/``bias_acc``:
    their 16-bit accumulators as :meth:`FixedParams.from_float` quantises
    them, or as given (:func:`both_precisions`; the composed network's
    synapses hold the same); state at rest.
    """
    params, fixed = both_precisions(spec, params, headroom)
    values = {"weights": np.concatenate([w.ravel() for w in params.weights]),
              "weight_acc": np.concatenate([a.ravel() for a in fixed.weight_acc]),
              "bias": np.concatenate(params.biases),
              "bias_acc": np.concatenate(fixed.bias_acc),
              "learning_rate": np.array([float(learning_rate)])}
    for name in STATE:
        values[name] = np.zeros(sum(int(np.prod(s)) for s in _shapes(spec, name)))
    return values


class FusedVarReader:
    """``read(name)``: a fused network's Var, split per projection or population."""

    def read(self, name: str) -> list[np.ndarray]:
        """The current values of Var ``name`` (after a run: what the model
        holds), split by :func:`unpack`; e.g. ``read("weight_acc")[k]`` is
        projection ``k``'s accumulator matrix."""
        spec = self.proc_params["spec"]
        _shapes(spec, name)  # raises for unknown names
        if name not in self.vars.member_names:
            raise ValueError(f"{self.name} has no Var {name!r}: only the fused model "
                             "(VLENetwork(..., fused=True)) has flat Vars; the composed one "
                             "keeps them in its children (net.procs.synapse0.weight_acc, "
                             "net.procs.neuron1.u, ...)")
        return unpack(spec, name, np.asarray(getattr(self, name).get()))


def declare_fused_vars(proc, values: dict[str, np.ndarray]) -> None:
    """Give ``proc`` one Var per entry of ``values`` (from :func:`fused_var_values`)."""
    for name, value in values.items():
        setattr(proc, name, CheckedVar(shape=value.shape, init=value))


class FusedVLENetwork(FusedVarReader, ValidatedProcess):
    """A whole VLE network in one process: the fused model of :class:`VLENetwork`.

    Every time step its model receives the input, target and modulator,
    advances the network by :meth:`lava_vle.simulator.Simulator.step` (the
    same one-step synaptic delays as the composed processes; fixed_pt
    chains: :class:`lava_vle.stacked_fixed.FixedChain`, all layers at once)
    and sends the output rates. Use it through ``VLENetwork(..., fused=True)``; the
    parameters are VLENetwork's.

    Ports
    -----
    s_in : InPort (n_in,)       input rates (fixed_pt: Q7.16 integers).
    target_in : InPort (n_out,) targets (fixed_pt: Q7.16 integers).
    m_in : InPort (1,)          neuromodulator, if ``external_modulator``
        (fixed_pt: 8-bit, 64 = 1.0).
    s_out : OutPort (n_out,)    output rates.

    Vars
    ----
    Flat; :meth:`read` splits them per projection or population.
    weights : real weights of every projection; floating_pt state, fixed_pt
        the real value of the 8-bit mantissas (refreshed after each update).
    weight_acc : fixed_pt state: the 16-bit accumulators (floating_pt leaves
        them at the initial quantisation, as PlasticSynapse does).
    bias, bias_acc : the same for the bias of every population.
    u, v, u_breve, e_breve, spike_acc : neuron and error-dendrite state per
        population (real / Q7.16).
    rates : what each population sent last, input first (its input
        projections' delay buffer).
    eligibility : per projection, e-prop's eps (``recurrent_error="eprop"``:
        the recurrent projections' per-synapse trace; zeros elsewhere).
    e_target : the output error sent back at the next step.
    pre_trace, post_trace : learning traces x (populations 0..L) and y (1..L).
    learning_rate : (1,) eta, read every step (``set`` it between runs).

    The model reads and writes these Vars every step, so ``set`` between
    runs takes effect (phi' of ``u_breve`` is recomputed every step, as
    each composed neuron does). Time constants, gamma, feedback matrices and
    exponents are fixed by ``spec`` and ``params``.
    """

    def __init__(self, *, spec: NetworkSpec,
                 params: ty.Union[FloatParams, FixedParams, None] = None,
                 learning_rate: float = 0.0, seed: int = 0, modulator: float = 1.0,
                 external_modulator: bool = False, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        params = network(spec, params, learning_rate, seed, modulator)
        super().__init__(spec=spec, params=params, seed=int(seed), modulator=float(modulator),
                         external_modulator=bool(external_modulator), name=name,
                         log_config=log_config)
        self.s_in = CheckedInPort(shape=(spec.n_in,))
        self.target_in = CheckedInPort(shape=(spec.n_out,))
        self.m_in = CheckedInPort(shape=(1,))
        self.s_out = CheckedOutPort(shape=(spec.n_out,))
        declare_fused_vars(self, fused_var_values(spec, params, learning_rate))
