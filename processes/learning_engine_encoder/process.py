"""Neuron-side interface of a VLE population to Lava's learning engine, as a Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.process import LogConfig

from lava_vle import fixed_point as fxp
from lava_vle.learning_engine import SignalCoding
from lava_vle.processes._validation import (CheckedInPort, CheckedOutPort, CheckedVar,
                                            ValidatedProcess, shape_of)
from lava_vle.validation import check_learning_epoch


class EngineEncoder(ValidatedProcess):
    """Feeds a population's signed value to stock ``LearningDense`` synapses.

    What a Loihi 2 neuron's program would add to a VLE rate neuron or error
    dendrite so that stock synapses with a ``Loihi3FLearningRule`` can carry
    and learn from its value ``v`` (rate ``r`` or prospective error
    ``e_breve``). Each step it receives ``v`` and, in the same step, sends::

        payload_pos = P(max(v, 0)) [, P(1) always on]   graded spikes into s_in (x1)
        payload_neg = P(max(-v, 0))
        y          += (eta m v - y) / N                  N = trace_steps; N = 1: y = eta m v
        trace_pos   = Y(max(y, 0)),  trace_neg = Y(max(-y, 0))   into s_in_y1 / s_in_y2

    ``P`` and ``Y`` are the ``coding`` (:class:`lava_vle.learning_engine.SignalCoding`;
    fixed_pt: 8-bit unsigned payloads, 7-bit unsigned traces; floating_pt:
    the real values); ``y`` is :class:`lava_vle.plasticity.LocalRule`'s
    post trace with ``learning_epoch = trace_steps``. The engine keeps the
    last ``y`` it received and the last payload (``x1``) of an epoch, so
    ``trace_steps = 1`` pairs the two factors at the same step.
    ``bias_channel`` appends an always-on unit (value 1.0) to
    ``payload_pos``: the bias is its weight.

    Ports
    -----
    value_in : InPort (n,)     the population's rate or error (fixed_pt: Q7.16).
    m_in : InPort (1,)         neuromodulator ``m(t)``; if unconnected, m = 1.
    payload_pos : OutPort (n,) or (n + 1,) with the bias channel.
    payload_neg : OutPort (n,)
    trace_pos, trace_neg : OutPort (n,)

    Vars
    ----
    trace : (n,) the learning trace y (real / Q7.16 times ``2**eta_shift``).
    learning_rate : (1,) eta, real in both models, read every step.

    Parameters
    ----------
    shape : (n,)
    coding : the SignalCoding of this signal (its precision must match the
        model the run selects).
    learning_rate : eta >= 0 of the traces (fixed_pt: 8-bit mantissa, 5-bit shift).
    trace_steps : N of the trace relaxation, 1..4096 (1: no filter).
    bias_channel : append an always-on unit to ``payload_pos``.
    """

    def __init__(self, *, shape: ty.Union[int, ty.Tuple[int]], coding: SignalCoding,
                 learning_rate: float = 0.0, trace_steps: int = 1,
                 bias_channel: bool = False, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        shape = shape_of(shape)
        fxp.learning_rate_to_fixed(learning_rate)  # raises if not representable
        super().__init__(shape=shape, coding=coding,
                         trace_steps=check_learning_epoch(trace_steps),
                         bias_channel=bool(bias_channel), name=name, log_config=log_config)
        n = shape[0]
        self.value_in = CheckedInPort(shape=shape)
        self.m_in = CheckedInPort(shape=(1,))
        self.payload_pos = CheckedOutPort(shape=(n + int(bias_channel),))
        self.payload_neg = CheckedOutPort(shape=shape)
        self.trace_pos = CheckedOutPort(shape=shape)
        self.trace_neg = CheckedOutPort(shape=shape)
        self.trace = CheckedVar(shape=shape, init=0)
        self.learning_rate = CheckedVar(shape=(1,), init=float(learning_rate))
