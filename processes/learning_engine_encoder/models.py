"""floating_pt and fixed_pt models of the learning-engine encoder."""
from __future__ import annotations

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import FixedArithmetic, FloatArithmetic
from lava_vle.learning_engine import split
from lava_vle.plasticity import LocalRule
from lava_vle.processes import _validation as checked
from lava_vle.processes._derived import Derived
from lava_vle.processes.learning_engine_encoder.process import EngineEncoder


class AbstractEngineEncoderModel(PyLoihiProcessModel):
    """Shared run_spk: receive v, update the trace, send split payloads and traces."""

    A = FloatArithmetic
    learning_rate: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.coding = proc_params["coding"]
        fixed = self.A is FixedArithmetic
        if self.coding.fixed != fixed:
            raise ValueError(f"EngineEncoder coding={self.coding} does not match the selected "
                             f"{'fixed_pt' if fixed else 'floating_pt'} model; build the network "
                             "for the precision you run")
        self.unit_modulator = self.A.modulator(np.ones(1))
        self.always_on = (self.coding.payload(self.A.to_units(np.ones(1)))
                          if proc_params["bias_channel"] else np.zeros(0))
        steps = proc_params["trace_steps"]
        self.local_rule = Derived(lambda eta: LocalRule(checked.learning_rate(eta[0]), self.A,
                                                        steps))

    def run_spk(self) -> None:
        value = self.value_in.recv()
        modulator = self.m_in.recv() if self.m_in.csp_ports else self.unit_modulator
        rule = self.local_rule(self.learning_rate)
        self.trace[:] = rule.post_trace(self.trace, value[None, :], modulator)[0]
        positive, negative = split(value)
        self.payload_pos.send(np.concatenate([self.coding.payload(positive), self.always_on]))
        self.payload_neg.send(self.coding.payload(negative))
        trace_pos, trace_neg = split(self.trace)
        self.trace_pos.send(self.coding.trace(trace_pos, rule.eta))
        self.trace_neg.send(self.coding.trace(trace_neg, rule.eta))


@implements(proc=EngineEncoder, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyEngineEncoderModelFloat(AbstractEngineEncoderModel):
    """Real payloads and traces."""

    A = FloatArithmetic
    value_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    payload_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    payload_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    trace_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    trace_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    trace: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=EngineEncoder, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyEngineEncoderModelFixed(AbstractEngineEncoderModel):
    """8-bit unsigned payloads, 7-bit unsigned traces (the engine's widths)."""

    A = FixedArithmetic
    value_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MODULATOR_BITS)
    payload_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                        precision=fxp.ENGINE_PAYLOAD_BITS)
    payload_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                        precision=fxp.ENGINE_PAYLOAD_BITS)
    trace_pos: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                      precision=fxp.ENGINE_TRACE_BITS)
    trace_neg: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                      precision=fxp.ENGINE_TRACE_BITS)
    trace: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
