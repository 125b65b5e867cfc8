"""floating_pt and fixed_pt models of the plastic VLE synapse."""
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
from lava_vle.dynamics import recurrent_loop_gain, stable_recurrent_error, synaptic_drive
from lava_vle.plasticity import LocalRule, eligibility_step
from lava_vle.synops import effective_synops
from lava_vle.processes import _validation as checked
from lava_vle.processes._derived import Derived
from lava_vle.processes._ports import raise_port_error, received
from lava_vle.processes.plastic_synapse.process import PlasticSynapse


class AbstractPlasticSynapseModel(PyLoihiProcessModel):
    """Shared run_spk: send (delayed) forward and error messages, then learn.

    Subclasses say where the plastic state lives (``_plastic``) and how the
    paths read it (``_paths``); everything else is common.
    """

    A = FloatArithmetic
    # Vars typed alike in both models: real weights (kept equal to the
    # effective ones), 16-bit accumulators, exponents, random feedback
    weights: np.ndarray = LavaPyType(np.ndarray, float)
    weight_acc: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.ACC_BITS)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    bias_acc: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.ACC_BITS)
    weight_exp: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=5)
    feedback: np.ndarray = LavaPyType(np.ndarray, float)
    feedback_exp: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=5)
    synops: np.ndarray = LavaPyType(np.ndarray, np.int64)
    learning_rate: np.ndarray = LavaPyType(np.ndarray, float)
    tau_m: np.ndarray = LavaPyType(np.ndarray, float)
    tau_r: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.has_bias = proc_params["has_bias"]
        self.has_feedback = proc_params["has_feedback"]
        self.seed = proc_params["seed"]
        self.unit_modulator = self.A.modulator(np.ones(1))
        # read from the Var every step, converted again only when it changes
        epoch = proc_params["learning_epoch"]
        self.local_rule = Derived(lambda eta: LocalRule(checked.learning_rate(eta[0]), self.A,
                                                        epoch))
        dt = proc_params["dt"]
        self.post_constants = Derived(lambda tau_m, tau_r: self.A.neuron_constants(
            dt, *checked.time_constants(tau_m.shape, tau_m, tau_r, dt)))

    @property
    def exp(self) -> int:
        """The weight exponent, read from its Var (float weights ignore it)."""
        return fxp.check_weight_exp(self.weight_exp)

    def run_spk(self) -> None:
        A = self.A
        forward, bias, backward = self._paths()
        self.a_out.send(synaptic_drive(A, forward, self.exp, bias if self.has_bias else None,
                                       self.r_pre))
        self.e_out.send(self._error(A, backward))
        r_pre, e_post = received(self, "s_in"), self.e_in.recv()
        if self.proc_params["stable_error"]:
            if not self.v_in.csp_ports:
                raise ValueError(f"{self.proc_params.get('name', 'PlasticSynapse')}: "
                                 "stable_error=True needs v_in connected to the post "
                                 "error dendrites' v_out")
            self.v_post[:] = self.v_in.recv()
        modulator = self.m_in.recv() if self.m_in.csp_ports else self.unit_modulator
        rule = self.local_rule(self.learning_rate)
        if self.proc_params["eprop"]:
            self._eprop(rule, modulator)
        learns = self.learning_rate[0] > 0 and self._update_traces(rule, e_post, modulator)
        self._count_synops(rule if learns else None)
        if learns and not self.proc_params["eprop"]:
            weights, bias = self._plastic()
            new_w, new_b = rule.apply(weights, bias if self.has_bias else None,
                                      self.post_trace[None, :], self.pre_trace[None, :],
                                      self.exp, self.seed, self.time_step)
            weights[:] = new_w
            if self.has_bias:
                bias[:] = new_b
            self._after_update()
        self.r_pre_before[:], self.e_post_before[:] = self.r_pre, self.e_post
        self.r_pre[:], self.e_post[:] = r_pre, e_post
        raise_port_error(self)

    def _error(self, A, backward: np.ndarray) -> np.ndarray:
        """``B^T e_post(t-1)``, or ``c B^T v_post(t-1)`` for a stable recurrent path."""
        exp = fxp.check_weight_exp(self.feedback_exp) if self.has_feedback else self.exp
        if not self.proc_params["stable_error"]:
            return A.backward(backward, exp, self.e_post)
        gain = recurrent_loop_gain(A, self._real(backward, exp))
        return stable_recurrent_error(A, backward, exp, self.v_post, gain)

    def _eprop(self, rule: LocalRule, modulator: np.ndarray) -> None:
        """e-prop's step: the eligibility from ``r_pre(t-1)`` (the buffer, not yet
        shifted) and the post neurons' ``phi'(t)``, then (when learning)
        ``W += eta m(t) e_total(t) elig`` with the local rule's rounding."""
        if not (self.phi_prime_in.csp_ports and self.e_total_in.csp_ports):
            raise ValueError(f"{self.proc_params.get('name', 'PlasticSynapse')}: eprop=True "
                             "needs phi_prime_in connected to the post neurons' "
                             "phi_prime_now_out and e_total_in to their dendrites' e_total_out")
        phi_prime, e_total = self.phi_prime_in.recv(), self.e_total_in.recv()
        c = self.post_constants(self.tau_m, self.tau_r)
        eps, elig = eligibility_step(self.eligibility[None], self.r_pre[None], phi_prime[None],
                                     c["k_m"], c["k_r"], self.A)
        self.eligibility[:] = eps[0]
        if self.learning_rate[0] > 0:
            weights, _ = self._plastic()
            weights[:] = self.A.eligibility_update(weights, rule.trace(e_total[None], modulator),
                                                   elig, self.exp, rule.eta, self.seed,
                                                   self.time_step)
            self._after_update()

    def _update_traces(self, rule: LocalRule, e_post: np.ndarray, modulator: np.ndarray) -> bool:
        """Post trace of ``eta m e_post(t)``, pre trace of ``r_pre(t-1)``; whether
        this step ends a learning epoch."""
        self.post_trace[:] = rule.post_trace(self.post_trace, e_post[None, :], modulator)[0]
        self.pre_trace[:] = rule.filtered(self.pre_trace, self.r_pre)
        return rule.learns_at(self.time_step)

    def _count_synops(self, rule) -> None:
        """Add this step's effective operations; updates only when ``rule`` learns now."""
        counts = effective_synops(
            self.r_pre[None, :], self.e_post[None, :],
            None if rule is None else rule.epoch_factor(self.post_trace)[None, :],
            bool(self.e_out.csp_ports), self.has_bias,
            self.r_pre_before[None, :] if self.proc_params["sigma_delta_pre"] else None,
            self.e_post_before[None, :] if self.proc_params["sigma_delta_post"] else None,
            self.pre_trace[None, :])
        self.synops[:] += [counts["forward"], counts["error_path"], counts["weight_updates"]]

    def _plastic(self):
        return self.weights, self.bias

    @staticmethod
    def _real(matrix: np.ndarray, exp: int) -> np.ndarray:
        """The real values of a path's matrix (float: the matrix itself)."""
        return matrix

    def _paths(self):
        return (self.weights, self.bias,
                self.feedback if self.has_feedback else self.weights)

    def _after_update(self) -> None:
        """Hook for derived state after a weight change."""


@implements(proc=PlasticSynapse, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyPlasticSynapseModelFloat(AbstractPlasticSynapseModel):
    """Real-valued plastic synapse."""

    A = FloatArithmetic
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    e_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    v_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    phi_prime_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    e_total_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    r_pre: np.ndarray = LavaPyType(np.ndarray, float)
    e_post: np.ndarray = LavaPyType(np.ndarray, float)
    v_post: np.ndarray = LavaPyType(np.ndarray, float)
    r_pre_before: np.ndarray = LavaPyType(np.ndarray, float)
    e_post_before: np.ndarray = LavaPyType(np.ndarray, float)
    pre_trace: np.ndarray = LavaPyType(np.ndarray, float)
    post_trace: np.ndarray = LavaPyType(np.ndarray, float)
    eligibility: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=PlasticSynapse, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi")
class PyPlasticSynapseModelFixed(AbstractPlasticSynapseModel):
    """Loihi-2 fixed-point plastic synapse: 8-bit mantissas read from 16-bit
    accumulators, stochastic rounding by the shared counter hash."""

    A = FixedArithmetic
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    e_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MODULATOR_BITS)
    v_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    phi_prime_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32,
                                        precision=fxp.DECAY_BITS + 1)
    e_total_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    a_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS + 1)
    e_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    r_pre: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    e_post: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    v_post: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    r_pre_before: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    e_post_before: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    pre_trace: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    post_trace: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)
    eligibility: np.ndarray = LavaPyType(np.ndarray, np.int32, precision=fxp.STATE_BITS)

    def _plastic(self):
        return self.weight_acc, self.bias_acc

    @staticmethod
    def _real(matrix: np.ndarray, exp: int) -> np.ndarray:
        """The effective real values of an 8-bit mantissa matrix."""
        return fxp.dequantize_weights(matrix, exp)

    def _paths(self):
        """The 8-bit mantissas of the accumulators and of the feedback, read from
        the Vars every step (so ``weight_acc.set`` takes effect at the next step)."""
        weight_mant = fxp.accumulator_to_mantissa(self.weight_acc)
        bias_mant = fxp.accumulator_to_mantissa(self.bias_acc)
        feedback_mant = (fxp.quantize_weights(self.feedback,
                                              fxp.check_weight_exp(self.feedback_exp))
                         if self.has_feedback else weight_mant)
        return weight_mant, bias_mant, feedback_mant

    def _after_update(self) -> None:
        """Keep ``weights``/``bias`` at the real values of the new accumulators."""
        weight_mant, bias_mant, _ = self._paths()
        self.weights[:] = fxp.dequantize_weights(weight_mant, self.exp)
        self.bias[:] = fxp.dequantize_weights(bias_mant, self.exp)
