"""Build a VLE network whose synapses are stock Lava ``LearningDense`` processes.

The neurons, error dendrites and output error are lava-vle's; every synapse is
a stock ``lava.proc.dense.process.LearningDense`` with a
``Loihi3FLearningRule`` (see :mod:`lava_vle.learning_engine` for the mapping
of the local rule onto the engine and for what it cannot express). Per
population an :class:`EngineEncoder` splits the rate (and the error) into
non-negative payloads and sends the learning traces to the synapses' post
trace ports:

    neuron_l.s_out     -> rate encoder  -> payload_pos / payload_neg -> pair of W -> neuron_l+1
    dendrite_l+1.e_out -> error encoder -> trace_pos / trace_neg -> s_in_y1 / s_in_y2 of the pair

The error path (``error_path``):

- ``"fixed"``: a stock ``Dense`` from ``dendrite_l+1.e_out`` (signed graded
  errors, no trace involved) to ``dendrite_l.e_in`` holding the spec's
  random feedback matrix, or for mirrored specs the INITIAL ``W^T``, frozen.
- ``"learned"``: mirrored weight transport on the engine: a second pair of
  LearningDense fed the error encoder's ``e+`` / ``e-`` payloads, learning
  the transposed rule from the rate encoder's traces ``eta m r``. Each half
  sees only its sign of ``e``: the ``e+`` half integrates ``r e`` over
  ``e > 0`` only, the ``e-`` half over ``e < 0``, so wherever ``r`` keeps its
  sign the halves drift apart linearly in time although ``sum r e`` cancels
  (measured in ``lava_vle.experiments.benchmarks.learning_engine``).

The input population's rate encoder takes the network input on ``value_in``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

import numpy as np
from lava.magma.core.learning.constants import GradedSpikeCfg
from lava.proc.dense.process import Dense, LearningDense

from lava_vle import fixed_point as fxp
from lava_vle.learning_engine import (EngineWeights, SignalCoding, check_precision,
                                      engine_weights, learning_rule)

ERROR_PATHS = ("fixed", "learned")
POST_TRACES = ("sampled", "filtered")
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.processes.learning_engine_encoder.process import EngineEncoder
from lava_vle.processes.error_dendrite.process import ErrorDendrite
from lava_vle.processes.network_builder import build_output_error, build_populations
from lava_vle.processes.neuromodulator.process import Neuromodulator
from lava_vle.processes.output_error.process import OutputError
from lava_vle.processes.vle_neuron.process import VLENeuron


@dataclass
class EngineSynapses:
    """One path of a projection on the engine: the synapse set fed ``v+``
    (``positive``) and the one fed ``v-`` (``negative``), whose sum is ``W v``."""

    positive: LearningDense
    negative: LearningDense
    units: EngineWeights

    def real(self) -> tuple[np.ndarray, np.ndarray]:
        """The real weights a positive and a negative input meet: ``(W+, -W-)``
        (the positive set's last column is the bias when it carries one)."""
        return (self.units.real(self.positive.weights.get()),
                -self.units.real(self.negative.weights.get()))


@dataclass
class FixedErrorPath:
    """A stock Dense carrying signed graded errors through a frozen matrix."""

    dense: Dense
    units: EngineWeights

    def real(self) -> np.ndarray:
        return self.units.real(self.dense.weights.get())


@dataclass
class EngineNetworkProcesses:
    """The processes of a VLE network on the learning engine.

    ``rate_encoders[p]``: encoder of population ``p`` (0: the input, whose
    ``value_in`` takes the network input); ``error_encoders[l-1]``: encoder
    of layer ``l``'s errors; ``forward[k]``: the synapse pair of projection
    ``k``; ``backward[k]``: its error path (a learned pair or a fixed Dense;
    None where no error flows back); ``output_error.target_in`` takes the
    target; ``modulator``: the broadcast (``m_in`` if external).
    """

    neurons: list[VLENeuron]
    dendrites: list[ErrorDendrite]
    rate_encoders: list[EngineEncoder]
    error_encoders: list[EngineEncoder]
    forward: list[EngineSynapses]
    backward: list[Union[EngineSynapses, FixedErrorPath, None]]
    output_error: OutputError
    modulator: Neuromodulator

    @property
    def input(self) -> EngineEncoder:
        return self.rate_encoders[0]

    @property
    def output(self) -> VLENeuron:
        return self.neurons[-1]

    def weights(self) -> list[dict]:
        """Real weights of every projection: ``positive`` / ``negative`` (what a
        positive / negative presynaptic rate meets), ``bias`` (on the positive
        set); the error path's ``W`` as forward-shaped matrices: ``backward``
        (fixed) or ``backward_positive`` / ``backward_negative`` (learned, what
        a positive / negative error meets)."""
        result = []
        for fwd, bwd in zip(self.forward, self.backward):
            positive, negative = fwd.real()
            entry = {"positive": positive[:, :-1], "negative": negative, "bias": positive[:, -1]}
            if isinstance(bwd, FixedErrorPath):
                entry["backward"] = bwd.real().T
            elif bwd is not None:
                back_pos, back_neg = bwd.real()
                entry.update(backward_positive=back_pos.T, backward_negative=back_neg.T)
            result.append(entry)
        return result


def check_engine_spec(spec: NetworkSpec, error_path: str, post_trace: str) -> None:
    """Raise ValueError for what this builder does not put on the engine."""
    if error_path not in ERROR_PATHS:
        raise ValueError(f"error_path={error_path!r} must be one of {ERROR_PATHS}")
    if post_trace not in POST_TRACES:
        raise ValueError(f"post_trace={post_trace!r} must be one of {POST_TRACES}")
    for proj in spec.projections:
        if proj.pre == proj.post:
            raise ValueError(f"projection {proj.name} is recurrent: the learning-engine "
                             "builder supports feed-forward networks only")
    if error_path == "learned" and spec.feedback != "mirrored":
        raise ValueError(f"error_path='learned' mirrors W; spec.feedback={spec.feedback!r} "
                         "needs error_path='fixed'")
    for idx, layer in enumerate(spec.layers):
        if layer.sigma_delta or layer.error_sigma_delta:
            raise ValueError(f"layers[{idx}]: sigma-delta links are not built on the "
                             "learning engine (a held payload is no spike for its traces)")


def _synapse_pair(weights: np.ndarray, weight_exp: int, pre: SignalCoding,
                  post: SignalCoding, pre_encoder: EngineEncoder, post_encoder: EngineEncoder,
                  learning_epoch: int, seed: int) -> EngineSynapses:
    """The ``v+`` and ``v-`` LearningDense of one path, wired to their encoders.

    ``weights`` (n_post, n_pre) or (n_post, n_pre + 1) with the bias column
    that only the positive set receives (its always-on input is positive).
    """
    units = engine_weights(weights, weight_exp, pre)
    n_pre = pre_encoder.payload_neg.shape[0]

    def synapse(init: np.ndarray, stream: int) -> LearningDense:
        rule = learning_rule(learning_epoch, pre, post, units.exp,
                             fxp.stream_seed(seed, stream))
        return LearningDense(weights=init, learning_rule=rule,
                             graded_spike_cfg=GradedSpikeCfg.OVERWRITE,
                             num_message_bits=fxp.ENGINE_PAYLOAD_BITS,
                             weight_exp=units.dense_exp)

    positive = synapse(units.weights.copy(), 0)
    negative = synapse(-units.weights[:, :n_pre], 1)
    pre_encoder.payload_pos.connect(positive.s_in)
    pre_encoder.payload_neg.connect(negative.s_in)
    for syn in (positive, negative):
        post_encoder.trace_pos.connect(syn.s_in_y1)
        post_encoder.trace_neg.connect(syn.s_in_y2)
    return EngineSynapses(positive, negative, units)


def _fixed_error_path(matrix: np.ndarray, weight_exp: int, fixed: bool,
                      post_dendrite: ErrorDendrite, pre_dendrite: ErrorDendrite) -> FixedErrorPath:
    """A stock Dense ``matrix^T e`` from one dendrite to the one below (signed
    graded errors in state units, one-step delay like the plastic synapse)."""
    units = engine_weights(np.asarray(matrix).T, weight_exp,
                           SignalCoding(fixed, fxp.STATE_FRAC_BITS if fixed else 0))
    dense = Dense(weights=units.weights, num_message_bits=fxp.STATE_BITS,
                  weight_exp=units.dense_exp)
    post_dendrite.e_out.connect(dense.s_in)
    dense.a_out.connect(pre_dendrite.e_in)
    return FixedErrorPath(dense, units)


def build_engine_network(spec: NetworkSpec, params: FloatParams, learning_rate: float,
                         precision: str, seed: int = 0, modulator: float = 1.0,
                         external_modulator: bool = False, error_path: str = "fixed",
                         post_trace: str = "sampled",
                         rate_range: float = 1.0, error_range: float = 1.0,
                         headroom: float = 2.0) -> EngineNetworkProcesses:
    """Create and connect a feed-forward VLE network on Lava's learning engine.

    Args:
        spec: feed-forward; ``spec.learning_epoch`` is the synapses' ``t_epoch``.
        params: real initial parameters; fixed_pt starts from the same 8-bit
            mantissas as ``Simulator(precision="fixed")``.
        learning_rate: eta > 0 of the local rule (fixed_pt fits the 7-bit
            traces to it; freeze learning with ``modulator = 0``).
        precision: ``"float"`` or ``"fixed"``, the model tag the run will
            select (LearningDense takes real or integer weights accordingly).
        rate_range, error_range: the largest |rate| and |error| the fixed_pt
            8-bit payloads and 7-bit traces hold (they saturate beyond).
        error_path: ``"fixed"`` (stock Dense, the random feedback or the
            initial W^T) or ``"learned"`` (mirrored pair on the engine).
        post_trace: ``"sampled"``: the encoders send ``y = eta m v(t)``, so
            the engine pairs the last step's ``y`` with the last payload, two
            samples at the epoch's end; ``"filtered"``: our learning-epoch trace
            ``y += (eta m v - y) / N``, which lags the sampled ``x1`` by about
            ``N`` steps.
        headroom: weight-exponent headroom (as ``FixedParams.from_float``).
    """
    check_engine_spec(spec, error_path, post_trace)
    fixed = check_precision(precision) == "fixed"
    if not learning_rate > 0:
        raise ValueError(f"learning_rate={learning_rate!r} must be > 0 (freeze with modulator=0)")
    rates = SignalCoding.fitting(precision, rate_range, learning_rate)
    errors = SignalCoding.fitting(precision, error_range, learning_rate)
    if fixed:
        quantized = FixedParams.from_float(spec, params, headroom)
        weights, biases, exps = quantized.weight_mant(), quantized.bias_mant(), quantized.weight_exp
        feedback, feedback_exps = quantized.feedback_mant, quantized.feedback_exp
    else:
        weights, biases, exps = params.weights, params.biases, [0] * len(params.weights)
        feedback, feedback_exps = params.feedback, exps
    neurons, dendrites = build_populations(spec)
    epoch = spec.learning_epoch
    steps = 1 if post_trace == "sampled" else epoch
    rate_encoders = [EngineEncoder(shape=(spec.sizes[p],), coding=rates,
                                   learning_rate=learning_rate, trace_steps=steps,
                                   bias_channel=True) for p in range(spec.n_layers)]
    error_encoders = [EngineEncoder(shape=(layer.size,), coding=errors,
                                    learning_rate=learning_rate, trace_steps=steps)
                      for layer in spec.layers]
    broadcast = Neuromodulator(value=modulator, external=external_modulator)
    for encoder in rate_encoders + error_encoders:
        broadcast.m_out.connect(encoder.m_in)
    for neuron, encoder in zip(neurons[:-1], rate_encoders[1:]):
        neuron.s_out.connect(encoder.value_in)
    for dendrite, encoder in zip(dendrites, error_encoders):
        dendrite.e_out.connect(encoder.value_in)
    forward, backward = [], []
    for k, proj in enumerate(spec.projections):
        pre_rates, post_errors = rate_encoders[proj.pre], error_encoders[proj.post - 1]
        with_bias = np.column_stack([weights[k], biases[proj.post - 1]])
        fwd = _synapse_pair(with_bias, exps[k], rates, errors, pre_rates, post_errors,
                            epoch, fxp.stream_seed(seed, 2 * k))
        for syn in (fwd.positive, fwd.negative):
            syn.a_out.connect(neurons[proj.post - 1].a_in)
        forward.append(fwd)
        bwd = None
        if spec.carries_error(proj) and error_path == "learned":
            bwd = _synapse_pair(np.asarray(weights[k]).T, exps[k], errors, rates, post_errors,
                                pre_rates, epoch, fxp.stream_seed(seed, 2 * k + 1))
            for syn in (bwd.positive, bwd.negative):
                syn.a_out.connect(dendrites[proj.pre - 1].e_in)
        elif spec.carries_error(proj):
            random = feedback[k] is not None
            bwd = _fixed_error_path(feedback[k] if random else weights[k],
                                    feedback_exps[k] if random else exps[k], fixed,
                                    dendrites[proj.post - 1], dendrites[proj.pre - 1])
        backward.append(bwd)
    output_error = build_output_error(spec, neurons[-1], dendrites[-1])
    return EngineNetworkProcesses(neurons, dendrites, rate_encoders, error_encoders, forward,
                                  backward, output_error, broadcast)
