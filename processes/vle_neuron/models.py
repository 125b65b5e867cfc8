"""floating_pt and fixed_pt models of the VLE neuron: one run_spk, two arithmetics."""
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
from lava_vle.dynamics import (neuron_input, representation_neuron, sent_rate,
                               sigma_delta_threshold)
from lava_vle.processes import _validation as checked
from lava_vle.range_watch import RangeWatch
from lava_vle.processes._derived import Derived
from lava_vle.processes._ports import raise_port_error, received
from lava_vle.processes.vle_neuron.process import VLENeuron


class AbstractVLENeuronModel(PyLoihiProcessModel):
    """Shared run_spk; subclasses choose the arithmetic ``A`` and the Var types."""

    A = FloatArithmetic

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        A, dt = self.A, proc_params["dt"]
        self.activation = A.activation(proc_params["activation"])
        self.spiking = True if proc_params["spiking"] else None
        self.threshold = sigma_delta_threshold(A, proc_params["sigma_delta"])
        # read from the Vars every step, converted again only when they change
        # checked as the constructor checks them, so Var.set is validated too
        self.euler_factors = Derived(lambda tau_m, tau_r: A.neuron_constants(
            dt, *checked.time_constants(tau_m.shape, tau_m, tau_r, dt)))
        self.range_watch = RangeWatch("VLENeuron", A.from_units(1), single=True)
        self.nudge_gain = Derived(lambda gamma: A.gain(checked.gain(float(gamma[0]), "gamma"),
                                                       "gamma"))

    def run_spk(self) -> None:
        A, act = self.A, self.activation
        self.phi_prime_out.send(A.phi_prime(act, self.u_breve, A.phi(act, self.u_breve)))
        drive = neuron_input(A, [received(self, "a_in", range_checked=False)],
                             self.nudge_in.recv(),
                             self.nudge_gain(self.gamma))
        u, u_breve, rate = representation_neuron(
            A, self.euler_factors(self.tau_m, self.tau_r), act, self.u, drive)
        if self.phi_prime_now_out.csp_ports:
            self.phi_prime_now_out.send(A.phi_prime(act, u_breve, rate))
        self.spike_acc[:], rate = sent_rate(A, rate, self.r, self.spike_acc, self.spiking,
                                            self.threshold)
        self.u[:], self.u_breve[:], self.r[:] = u, u_breve, rate
        self.range_watch.check(self.time_step, (u,))
        self.s_out.send(self.r)
        raise_port_error(self)


@implements(proc=VLENeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyVLENeuronModelFloat(AbstractVLENeuronModel):
    """Real-valued VLE neuron."""

    A = FloatArithmetic
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    nudge_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    phi_prime_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    phi_prime_now_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    u_breve: np.ndarray = LavaPyType(np.ndarray, float)
    r: np.ndarray = LavaPyType(np.ndarray, float)
    spike_acc: np.ndarray = LavaPyType(np.ndarray, float)
    tau_m: np.ndarray = LavaPyType(np.ndarray, float)
    tau_r: np.ndarray = LavaPyType(np.ndarray, float)
    gamma: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=VLENeuron, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyVLENeuronModelFixed(AbstractVLENeuronModel):
    """Loihi-2 fixed-point VLE neuron (24-bit state, 12-bit decays)."""

    A = FixedArithmetic
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    nudge_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    phi_prime_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                          precision=fxp.DECAY_BITS + 1)
    phi_prime_now_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32,
                                              precision=fxp.DECAY_BITS + 1)
    u: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    u_breve: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    r: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    spike_acc: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    tau_m: np.ndarray = LavaPyType(np.ndarray, float)
    tau_r: np.ndarray = LavaPyType(np.ndarray, float)
    gamma: np.ndarray = LavaPyType(np.ndarray, float)
