"""floating_pt and fixed_pt models of the output error."""
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
from lava_vle.processes._ports import raise_port_error, received
from lava_vle.processes.output_error.process import OutputError


class AbstractOutputErrorModel(PyLoihiProcessModel):
    """Shared run_spk; subclasses choose the arithmetic ``A`` and the Var types."""

    A = FloatArithmetic

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.loss = proc_params["loss"]
        self.scale = self.A.gain(proc_params["beta"], "beta")

    def run_spk(self) -> None:
        self.e_out.send(self.e_target)
        rates, target = self.r_in.recv(), received(self, "target_in")
        self.e_target[:] = self.A.output_error(self.loss, rates, target, self.scale)
        raise_port_error(self)


@implements(proc=OutputError, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyOutputErrorModelFloat(AbstractOutputErrorModel):
    A = FloatArithmetic
    r_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    target_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    e_target: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=OutputError, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyOutputErrorModelFixed(AbstractOutputErrorModel):
    A = FixedArithmetic
    r_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    target_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    e_target: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
