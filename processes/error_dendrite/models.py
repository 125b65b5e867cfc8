"""floating_pt and fixed_pt models of the error dendrite."""
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
from lava_vle.dynamics import error_dendrite, sent_error, sigma_delta_threshold
from lava_vle.processes import _validation as checked
from lava_vle.processes._derived import Derived
from lava_vle.processes.error_dendrite.process import ErrorDendrite


class AbstractErrorDendriteModel(PyLoihiProcessModel):
    """Shared run_spk; subclasses choose the arithmetic ``A`` and the Var types."""

    A = FloatArithmetic

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        A, dt = self.A, proc_params["dt"]
        self.threshold = sigma_delta_threshold(A, proc_params["sigma_delta"])
        # read from the Vars every step, converted again only when they change
        # checked as the constructor checks them, so Var.set is validated too
        self.euler_factors = Derived(lambda tau_m, tau_r: A.neuron_constants(
            dt, *checked.time_constants(tau_m.shape, tau_m, tau_r, dt)))

    def run_spk(self) -> None:
        A = self.A
        e_in = A.total([self.e_in.recv()])
        phi_prime = self.phi_prime_in.recv()
        v, e_breve = error_dendrite(A, self.euler_factors(self.tau_m, self.tau_r), self.v,
                                    e_in, phi_prime)
        self.v[:] = v
        self.e_breve[:] = sent_error(A, e_breve, self.e_breve, self.threshold)
        self.e_out.send(self.e_breve)
        if self.v_out.csp_ports:
            self.v_out.send(self.v)
        if self.e_total_out.csp_ports:
            self.e_total_out.send(e_in)


@implements(proc=ErrorDendrite, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyErrorDendriteModelFloat(AbstractErrorDendriteModel):
    """Real-valued error dendrite."""

    A = FloatArithmetic
    e_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    phi_prime_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    e_total_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    e_breve: np.ndarray = LavaPyType(np.ndarray, float)
    tau_m: np.ndarray = LavaPyType(np.ndarray, float)
    tau_r: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=ErrorDendrite, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyErrorDendriteModelFixed(AbstractErrorDendriteModel):
    """Loihi-2 fixed-point error dendrite (24-bit state)."""

    A = FixedArithmetic
    e_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    phi_prime_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32,
                                        precision=fxp.DECAY_BITS + 1)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    v_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    e_total_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    v: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    e_breve: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    tau_m: np.ndarray = LavaPyType(np.ndarray, float)
    tau_r: np.ndarray = LavaPyType(np.ndarray, float)
