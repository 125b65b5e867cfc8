"""floating_pt and fixed_pt models of the fused VLE network: one run_spk,
the batched simulator's single step, two arithmetics."""
from __future__ import annotations

from typing import Optional

import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.resources import CPU
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle import fixed_point as fxp
from lava_vle.dynamics import NetworkState
from lava_vle.stacked_fixed import STATE_VARS, FixedChain, stackable
from lava_vle.plasticity import LocalRule
from lava_vle.processes import _validation as checked
from lava_vle.processes._derived import Derived
from lava_vle.processes._ports import raise_port_error, received
from lava_vle.processes.fused_vle_network.process import FusedVLENetwork, STATE, unpack
from lava_vle.range_watch import RangeWatch
from lava_vle.simulator import Simulator, synapses_of


class AbstractFusedVLENetworkModel(PyLoihiProcessModel):
    """Shared run_spk: receive, one :meth:`Simulator.step` on the Vars, send.

    The simulator (batch of one) holds the spec's constants, the feedback
    matrices and the exponents; the plastic arrays and the state it steps
    are views of this model's Vars, so what a user reads or sets is what
    the next step uses.
    """

    precision = "float"
    # Vars typed alike in both models (as in PlasticSynapse)
    weights: np.ndarray = LavaPyType(np.ndarray, float)
    weight_acc: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.ACC_BITS)
    bias: np.ndarray = LavaPyType(np.ndarray, float)
    bias_acc: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.ACC_BITS)
    learning_rate: np.ndarray = LavaPyType(np.ndarray, float)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        self.spec = spec = proc_params["spec"]
        self.simulator = Simulator(spec, proc_params["params"], self.precision,
                                   seed=proc_params["seed"])
        A = self.simulator.arith
        self.loss_scale = self.simulator.dynamics.loss_scale(np.ones(1))[:, None]
        self.constant_modulator = A.modulator(np.array([proc_params["modulator"]]))
        # read from the Var every step, converted again only when it changes
        self.local_rule = Derived(lambda eta: LocalRule(checked.learning_rate(eta[0]), A,
                                                        spec.learning_epoch))
        self.views = None  # per-population / per-projection views of the Vars
        self.range_watch = RangeWatch("FusedVLENetwork", A.from_units(1))

    def run_spk(self) -> None:
        dtype = self.simulator.dynamics.dtype
        x_now = received(self, "s_in").astype(dtype)[None, :]
        target = received(self, "target_in").astype(dtype)[None, :]
        modulator = (received(self, "m_in") if self.proc_params["external_modulator"]
                     else self.constant_modulator)
        rule = self.local_rule(self.learning_rate) if self.learning_rate[0] > 0 else None
        self.s_out.send(self._step(x_now, target, modulator, rule))
        raise_port_error(self)

    def _step(self, x_now: np.ndarray, target: np.ndarray, modulator: np.ndarray,
              rule: Optional[LocalRule]) -> np.ndarray:
        """One :meth:`Simulator.step` on the Vars; returns the output rates."""
        sim = self.simulator
        if self.views is None:
            self._bind()
        new = sim.step(self._state(), synapses_of(self.spec, sim.params), x_now, target,
                       self.loss_scale, modulator, rule, self.time_step)
        if rule is not None and rule.learns_at(self.time_step):
            self._store_plastic()
        self._store_state(new)
        self.range_watch.check(self.time_step, new.u)
        return new.rates[-1][0]

    def _bind(self) -> None:
        """Views of the Vars (Lava sets Vars in place, so they stay valid);
        the simulator's plastic arrays become views of the plastic Vars."""
        self.views = {name: [v[None, :] for v in unpack(self.spec, name, getattr(self, name))]
                      for name in STATE if name != "e_target"}
        eprop = self.simulator.eprop_projections
        self.views["eligibility"] = tuple(e if k in eprop else None for k, e in
                                          enumerate(self.views["eligibility"]))
        self.views["e_target"] = self.e_target[None, :]
        self.plastic_views = [unpack(self.spec, name, getattr(self, name))
                              for name in self._plastic_vars()]
        for arrays, views in zip(self.simulator.params.plastic_arrays(), self.plastic_views):
            arrays[:] = views

    def _state(self) -> NetworkState:
        """The network state the Vars hold; ``phi_prime = phi'(u_breve)``."""
        A, dynamics, views = self.simulator.arith, self.simulator.dynamics, self.views
        phi_prime = tuple(A.phi_prime(act, u_breve, A.phi(act, u_breve))
                          for act, u_breve in zip(dynamics.activations, views["u_breve"]))
        return NetworkState(u=views["u"], v=views["v"], u_breve=views["u_breve"],
                            e_breve=views["e_breve"], phi_prime=phi_prime,
                            rates=views["rates"], e_target=views["e_target"],
                            spike_acc=views["spike_acc"], pre_trace=views["pre_trace"],
                            post_trace=views["post_trace"], eligibility=views["eligibility"])

    def _store_state(self, new: NetworkState) -> None:
        """Write the state after the step into the Vars. The traces first:
        with ``learning_epoch = 1`` the pre trace *is* the previous rates."""
        learned = new.pre_trace is not None  # else the traces stay as they are
        for name in (("pre_trace", "post_trace", "eligibility") if learned else ()) + (
                "u", "v", "u_breve", "e_breve", "spike_acc", "rates"):
            for view, value in zip(self.views[name], getattr(new, name)):
                if view is not None:
                    view[...] = value
        self.views["e_target"][...] = new.e_target

    def _store_plastic(self) -> None:
        """After an update the simulator holds new arrays: copy them into
        the Vars and hand it the views again."""
        for arrays, views in zip(self.simulator.params.plastic_arrays(), self.plastic_views):
            for k, view in enumerate(views):
                if arrays[k] is not view:
                    view[...] = arrays[k]
                    arrays[k] = view
        self._after_update()

    def _plastic_vars(self) -> tuple[str, str]:
        """The Vars the local rule changes: weights, biases."""
        return "weights", "bias"

    def _after_update(self) -> None:
        """Hook for derived Vars after a weight change."""


@implements(proc=FusedVLENetwork, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt", "fused")
class PyFusedVLENetworkModelFloat(AbstractFusedVLENetworkModel):
    """Real-valued fused network (float64, as the composed floating_pt models)."""

    precision = "float"
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    target_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)
    u: np.ndarray = LavaPyType(np.ndarray, float)
    v: np.ndarray = LavaPyType(np.ndarray, float)
    u_breve: np.ndarray = LavaPyType(np.ndarray, float)
    e_breve: np.ndarray = LavaPyType(np.ndarray, float)
    spike_acc: np.ndarray = LavaPyType(np.ndarray, float)
    rates: np.ndarray = LavaPyType(np.ndarray, float)
    e_target: np.ndarray = LavaPyType(np.ndarray, float)
    pre_trace: np.ndarray = LavaPyType(np.ndarray, float)
    post_trace: np.ndarray = LavaPyType(np.ndarray, float)
    eligibility: np.ndarray = LavaPyType(np.ndarray, float)


@implements(proc=FusedVLENetwork, protocol=LoihiProtocol)
@requires(CPU)
@tag("fixed_pt", "bit_accurate_loihi", "fused")
class PyFusedVLENetworkModelFixed(AbstractFusedVLENetworkModel):
    """Loihi-2 fixed-point fused network: bit for bit the composed fixed_pt
    processes (24-bit state held in int64 Vars, the simulator's state type).

    A chain (:func:`~lava_vle.stacked_fixed.stackable`) steps all its layers
    at once (:class:`~lava_vle.stacked_fixed.FixedChain`), keeping the state
    between steps and the Vars up to date around every Var.get and Var.set
    (every step while VarPorts are connected); other networks step
    population by population (:meth:`Simulator.step`) on the Vars
    themselves.
    """

    precision = "fixed"
    s_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    target_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.STATE_BITS)
    m_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, np.int32, precision=fxp.MODULATOR_BITS)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, np.int32, precision=fxp.MAX_PAYLOAD_BITS)
    u: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    v: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    u_breve: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    e_breve: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    spike_acc: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    rates: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.MAX_PAYLOAD_BITS)
    e_target: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    pre_trace: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    post_trace: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)
    eligibility: np.ndarray = LavaPyType(np.ndarray, np.int64, precision=fxp.STATE_BITS)

    def __init__(self, proc_params) -> None:
        super().__init__(proc_params)
        # the real value of a mantissa of 1 of every flat weight and bias (2**exp)
        params, sizes = self.simulator.params, self.spec.sizes
        self.weight_unit = fxp.dequantize_weights(1, np.concatenate(
            [np.full(sizes[p.post] * sizes[p.pre], e)
             for p, e in zip(self.spec.projections, params.weight_exp)]))
        self.bias_unit = fxp.dequantize_weights(1, np.concatenate(
            [np.full(n, e) for n, e in zip(sizes[1:], params.bias_exp)]))
        self.chain = (FixedChain(self.spec, params, proc_params["seed"])
                      if stackable(self.spec) else None)
        # the accumulator Vars' values the chain holds (loaded again when set)
        self.chain_holds = dict.fromkeys(self._plastic_vars())
        self.vars_ahead = True  # the Vars hold values the chain has not loaded
        self.chain_ahead = False  # the chain has stepped past what the Vars show ...
        self.acc_ahead = False  # ... and updated its accumulators since

    def _step(self, x_now: np.ndarray, target: np.ndarray, modulator: np.ndarray,
              rule: Optional[LocalRule]) -> np.ndarray:
        """A chain: one :meth:`FixedChain.step` on the Vars; otherwise the
        simulator's step.

        The chain keeps the state between steps. It loads the Vars after a
        ``Var.set`` (:meth:`_set_var`) and writes them back before a
        ``Var.get`` (:meth:`_get_var`), so what a user reads or sets between
        runs is what the steps use, and the Vars are not copied every step.
        With VarPorts connected (a Monitor's probe, a RefPort), which read
        and write Vars while the network runs, it loads and writes them
        every step."""
        chain = self.chain
        if chain is None:
            return super()._step(x_now, target, modulator, rule)
        every_step = bool(self.var_ports)
        if self.vars_ahead or every_step:
            self._load_vars()
        self.acc_ahead |= chain.step(target, self.loss_scale, x_now, modulator, rule,
                                     self.time_step)
        self.chain_ahead = True
        if every_step:
            self._store_vars()
        self.range_watch.check(self.time_step, chain.state["u"])
        return chain.output()

    def _load_vars(self) -> None:
        """The chain's stacks from the Vars (the accumulators only where they
        differ from what the chain holds)."""
        chain = self.chain
        for name in STATE_VARS:
            chain.load(name, getattr(self, name))
        for name, held in self.chain_holds.items():
            if held is None or not np.array_equal(getattr(self, name), held):
                chain.load(name, getattr(self, name))
                self.chain_holds[name] = getattr(self, name).copy()
        self.vars_ahead = False

    def _store_vars(self) -> None:
        """The Vars from the chain's stacks (the accumulators, weights and
        biases where an update changed them)."""
        if not self.chain_ahead:
            return
        chain = self.chain
        if self.acc_ahead:
            for name, held in self.chain_holds.items():
                chain.store(name, getattr(self, name))
                held[...] = getattr(self, name)
            self._after_update()
            self.acc_ahead = False
        for name in STATE_VARS:
            chain.store(name, getattr(self, name))
        self.chain_ahead = False

    def _get_var(self) -> None:
        """Lava's Var.get: the Vars brought up to the chain's state first."""
        if self.chain is not None:
            self._store_vars()
        super()._get_var()

    def _set_var(self) -> None:
        """Lava's Var.set: the other Vars brought up to the chain's state
        first (the next step loads them all)."""
        if self.chain is not None:
            self._store_vars()
            self.vars_ahead = True
        super()._set_var()

    def _plastic_vars(self) -> tuple[str, str]:
        return "weight_acc", "bias_acc"

    def _after_update(self) -> None:
        """Keep ``weights``/``bias`` at the real values of the mantissas
        (``FixedParams.to_float``, on the flat Vars at once: the mantissa
        times its unit, a power of two, so exactly ``dequantize_weights``)."""
        self.weights[:] = fxp.accumulator_to_mantissa(self.weight_acc) * self.weight_unit
        self.bias[:] = fxp.accumulator_to_mantissa(self.bias_acc) * self.bias_unit
