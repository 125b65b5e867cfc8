"""floating_pt and fixed_pt models of the neuromodulatory broadcast."""
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
from lava_vle.processes._ports import port_error, port_label, raise_port_error, received
from lava_vle.processes.neuromodulator.process import Neuromodulator


class AbstractNeuromodulatorModel(PyLoihiProcessModel):
    """Shared run_spk; ``constant`` is the value in the arithmetic's units."""

    A = FloatArithmetic

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.constant = self.A.modulator(np.array([proc_params["value"]]))

    def run_spk(self) -> None:
        external = self.proc_params["external"]
        if external and not self.m_in.csp_ports:
            port_error(self, ValueError(
                f"{port_label(self, 'm_in')} is not connected, but the modulator is external: "
                "connect a source of m(t) (fixed_pt: 8-bit, 64 = 1.0) or use a constant one"))
        received_m = received(self, "m_in") if external else self.m_in.recv()
        self.m[:] = received_m if external else self.constant
        self.m_out.send(self.m)
        raise_port_error(self)


@implements(proc=Neuromodulator, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyNeuromodulatorModelFloat(AbstractNeuromodulatorModel):
    A = FloatArithmetic
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    m_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    m: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=Neuromodulator, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyNeuromodulatorModelFixed(AbstractNeuromodulatorModel):
    A = FixedArithmetic
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MODULATOR_BITS)
    m_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.MODULATOR_BITS)
    m: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.MODULATOR_BITS)
