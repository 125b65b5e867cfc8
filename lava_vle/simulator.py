"""Batched VLE simulator: many samples at once, float or bit-exact fixed point.

The simulator advances :class:`~lava_vle.dynamics.VLEDynamics` over a
sequence and applies the local plasticity rule after every step:

    dW_k = eta * m(t) * e_breve_post(t) r_pre(t-1)^T       (summed over the batch)
    db_l = eta * m(t) * e_breve_l(t)

In fixed point this is :func:`lava_vle.fixed_point.plastic_update` (16-bit
accumulator, stochastic rounding keyed by the step number), so a batch of one
equals the Lava fixed_pt process models bit for bit. Time steps are numbered
from 1, as in Lava. A fixed-point chain run from rest steps all its layers
at once (:class:`~lava_vle.stacked_fixed.FixedChain`, the same integers)
unless ``engine="population"`` asks for the per-population reference path;
``SimResult.engine`` says which ran.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence, Union

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import ARITHMETICS, PRECISIONS, eligibility_delta
from lava_vle.dynamics import NetworkState, Synapses, VLEDynamics, recurrent_loop_gain
from lava_vle.stacked_fixed import FixedChain, stackable
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec, check_params
from lava_vle.plasticity import LocalRule, bias_delta, eligibility_step, weight_delta
from lava_vle.range_watch import RangeWatch
from lava_vle.synops import effective_synops
from lava_vle.validation import (check_bool, check_choice, check_int, check_real,
                                 check_sequence, per_step)

PLASTICITY = ("off", "accumulate", "apply")
RECORDABLE = ("u", "v", "u_breve", "e_breve", "phi_prime", "rates", "e_target")


#: Simulator(engine=...): "auto" runs the fixed-point chain where it applies
ENGINE_CHOICES = ("auto", "population")


@dataclass
class SimResult:
    """What :meth:`Simulator.run` returns.

    ``outputs``: output rates (T, B, n_out) as real numbers.
    ``updates``: the local rule's summed dW per projection and db per layer
    (``plasticity='accumulate'``, float only), as real numbers.
    ``trace``: recorded variables, ``trace[name][l]`` is (T, B, n) for the
    populations the variable exists in (``rates`` includes the input).
    ``state``: the final network state (to continue a run).
    ``synops``: effective synaptic operations summed over the run and batch
    (``count_synops=True``).
    ``engine``: the path that ran: ``"population"``, the
    per-population reference step, or ``"chain"``, the fixed-point chain
    stepped all layers at once (the same integers).
    """

    outputs: np.ndarray
    state: NetworkState
    updates: Optional[tuple[list[np.ndarray], list[np.ndarray]]] = None
    trace: dict[str, list[np.ndarray]] = field(default_factory=dict)
    synops: Optional[dict] = None
    engine: str = "population"


def synapses_of(spec: NetworkSpec, params: Union[FloatParams, FixedParams]) -> Synapses:
    """The per-step synapse view of float or fixed parameters."""
    fixed = isinstance(params, FixedParams)
    forward = params.weight_mant() if fixed else params.weights
    biases = params.bias_mant() if fixed else params.biases
    feedback = params.feedback_mant if fixed else params.feedback
    forward_exp = params.plastic_arrays()[2]
    feedback_exp = params.feedback_exp if fixed else [None] * len(forward)
    bias = [None] * len(forward)
    for l, k in enumerate(spec.bias_carriers()):
        bias[k] = biases[l]
    backward = [w if f is None else f for w, f in zip(forward, feedback)]
    backward_exp = [e if f is None else fe for e, f, fe in zip(forward_exp, feedback, feedback_exp)]
    loop_gain = None
    if spec.recurrent_error == "stable":
        real = params.to_float() if fixed else params
        A = ARITHMETICS["fixed" if fixed else "float"]
        loop_gain = [recurrent_loop_gain(A, w if f is None else f) if p.pre == p.post else None
                     for p, w, f in zip(spec.projections, real.weights, real.feedback)]
    return Synapses(forward, forward_exp, backward, backward_exp, bias, loop_gain)


class Simulator:
    """A VLE network with its parameters, simulated on a batch of sequences.

    Args:
        spec: the network.
        params: real parameters (quantised here when ``precision='fixed'``),
            or already-quantised :class:`FixedParams`.
        precision: ``"float"`` or ``"fixed"``.
        dtype: float dtype of the float simulation (float32 or float64).
        seed: seed of the stochastic-rounding hash (fixed point).
        headroom: weight-exponent headroom when quantising.
        engine: ``"auto"``: a fixed-point chain run from rest, recording
            nothing, steps all its layers at once (``"chain"``, the same
            integers, tested bit for bit); every other run, and every run with
            ``"population"``, steps population by population (the reference
            path). ``SimResult.engine`` says which ran.
    """

    def __init__(self, spec: NetworkSpec, params: Union[FloatParams, FixedParams],
                 precision: str = "float", dtype: Any = np.float64, seed: int = 0,
                 headroom: float = 2.0, engine: str = "auto"):
        check_choice("engine", engine, ENGINE_CHOICES)
        if not isinstance(params, (FloatParams, FixedParams)):
            raise TypeError(f"params must be FloatParams or FixedParams (lava_vle.init_params"
                            f"(spec) draws them), got {type(params).__name__}")
        self.engine = engine
        if precision not in PRECISIONS:
            raise ValueError(f"precision={precision!r} must be one of {PRECISIONS}")
        if np.dtype(dtype) not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype={dtype!r} must be float32 or float64")
        self.spec = spec
        self.fixed = precision == "fixed"
        self.arith = ARITHMETICS[precision]
        self.dtype = np.dtype(dtype)
        self.seed = int(seed)
        self.dynamics = VLEDynamics(spec, self.arith, dtype=self.dtype)
        if self.fixed:
            self.params = (params.copy() if isinstance(params, FixedParams)
                           else FixedParams.from_float(spec, params, headroom))
        else:
            if isinstance(params, FixedParams):
                params = params.to_float()
            self.params = FloatParams([w.astype(self.dtype) for w in params.weights],
                                      [b.astype(self.dtype) for b in params.biases],
                                      [None if f is None else f.astype(self.dtype)
                                       for f in params.feedback])
        check_params(spec, self.params)
        # recurrent projections that learn by e-prop (every step, not by the local rule)
        self.eprop_projections = tuple(
            k for k, p in enumerate(spec.projections)
            if spec.recurrent_error == "eprop" and p.pre == p.post)

    def initial_state(self, batch: int) -> NetworkState:
        return self.dynamics.initial_state(batch)

    def run(self, x: np.ndarray, target: Optional[np.ndarray] = None,
            loss_weight: Any = None, modulator: Any = None,
            plasticity: str = "off", eta: float = 1e-3,
            record: Sequence[str] = (), state: Optional[NetworkState] = None,
            first_step: int = 1, count_synops: bool = False,
            traces: str = "filtered") -> SimResult:
        """Simulate ``x`` (T, B, n_in) and return outputs, updates and traces.

        Args:
            target: (T, B, n_out) targets (one-hot for ``loss='ce'``); None
                means no output error.
            loss_weight: ``w_t`` of the loss ``sum_t w_t l(r_L(t), y(t))``:
                scalar, (T,) or (T, B); default 1.
            modulator: third factor ``m(t)``: scalar, (T,) or (T, B); default 1.
            plasticity: ``"off"``; ``"accumulate"`` (sum the local updates
                without applying them, float only); ``"apply"`` (change the
                weights every step, plain SGD ascent on ``-loss``).
            eta: learning rate of the local rule.
            record: names from ``RECORDABLE`` to keep for every step.
            state: continue from this state (default: at rest).
            first_step: number of the first step (the hash counter).
            count_synops: sum :func:`lava_vle.synops.effective_synops` of
                every projection over the run into ``result.synops``.
            traces: the local rule's learning traces with learning epochs:
                ``"filtered"`` (relaxed by 1/N per step) or ``"sampled"``
                (each epoch pairs its last step's values, as Lava's
                learning engine does; :class:`~lava_vle.plasticity.LocalRule`).
        """
        spec, A, dtype = self.spec, self.arith, self.dynamics.dtype
        x = check_sequence("x", x, spec.n_in, state_range=self.fixed)
        steps, batch = x.shape[:2]
        first_step = self._check_run_options(plasticity, record, eta, first_step,
                                             count_synops, state, batch)
        if target is None:
            target = np.zeros((steps, batch, spec.n_out))
            loss_weight = 0.0
        target = A.to_units(check_sequence("target", target, spec.n_out, steps, batch,
                                           state_range=self.fixed))
        weight = per_step("loss_weight", loss_weight, steps, batch, 1.0, lo=0.0)
        scales = self.dynamics.loss_scale(weight)  # checked once, before any step
        mod = A.modulator(per_step("modulator", modulator, steps, batch, 1.0), "modulator")
        x_in, target = A.to_units(x).astype(dtype), target.astype(dtype)
        rule = LocalRule(eta, A, spec.learning_epoch, traces)
        if self.engine == "auto" and self.fixed and stackable(spec) and state is None \
                and not (record or count_synops):
            return self._run_chain(x_in, target, scales.astype(dtype), mod,
                                   None if plasticity == "off" else rule, first_step)
        state = state if state is not None else self.initial_state(batch)
        before = state  # the state one step before ``state`` (sigma-delta message counts)
        updates = self._zero_updates() if plasticity == "accumulate" else None
        trace: dict[str, list] = {name: [] for name in record}
        outputs = []
        synops = {"forward": 0, "error_path": 0, "weight_updates": 0} if count_synops else None
        syn = synapses_of(spec, self.params)
        watch = RangeWatch("Simulator.run", A.from_units(1))
        for t in range(steps):
            new = self.step(state, syn, x_in[t], target[t], scales[t][:, None].astype(dtype),
                            mod[t], None if plasticity == "off" else rule, first_step + t,
                            updates)
            learns = plasticity != "off" and rule.learns_at(first_step + t)
            if count_synops:
                self._count_synops(synops, before, state, new, learns)
            if plasticity == "apply" and (learns or self.eprop_projections):
                syn = synapses_of(spec, self.params)  # e-prop changes weights every step
            before, state = state, new
            watch.check(first_step + t, state.u)
            outputs.append(state.rates[-1])
            for name in record:
                trace[name].append(getattr(state, name) if name != "e_target"
                                   else (state.e_target,))
        outputs = A.from_units(np.stack(outputs))
        if not (np.all(np.isfinite(outputs)) and all(np.all(np.isfinite(u)) for u in state.u)):
            raise ValueError(
                f"Simulator.run: the float network overflowed to NaN/inf within {steps} steps "
                + ("(population {}'s potential first passed the range at step {}) ".format(
                    *watch.found[:2]) if watch.found else "") +
                f"(eta={eta!r}, max|x|={np.abs(x).max():.3g}, loss_weight up to "
                f"{weight.max():.3g}, modulator up to "
                f"{float(np.abs(mod).max()):.3g}, max|W|="
                f"{max(float(np.abs(w).max()) for w in self.params.plastic_arrays()[0]):.3g}): "
                "lower them")
        return SimResult(outputs=outputs, state=state, updates=updates,
                         trace={name: [np.stack(layer) for layer in zip(*steps_)]
                                for name, steps_ in trace.items()},
                         synops=synops)

    def _run_chain(self, x_in: np.ndarray, target: np.ndarray, scales: np.ndarray,
                   mod: np.ndarray, rule: Optional[LocalRule], first_step: int) -> SimResult:
        """:meth:`run` of a fixed-point chain from rest, every layer at once
        (:class:`~lava_vle.stacked_fixed.FixedChain`, bit for bit :meth:`step`);
        arguments in the arithmetic's units."""
        steps, batch = x_in.shape[:2]
        chain = FixedChain(self.spec, self.params, self.seed, batch)
        outputs = np.empty((steps, batch, self.spec.n_out), np.int64)
        watch = RangeWatch("Simulator.run", self.arith.from_units(1))
        for t in range(steps):
            chain.step(target[t], scales[t][:, None], x_in[t], mod[t], rule, first_step + t)
            watch.check(first_step + t, chain.state["u"])
            outputs[t] = chain.state["rates"][-1, :, :self.spec.n_out]
        if rule is not None:
            self.params = chain.fixed_params()
        return SimResult(outputs=self.arith.from_units(outputs),
                         state=chain.network_state(learned=rule is not None), engine="chain")

    def _check_run_options(self, plasticity: str, record: Sequence[str], eta: float,
                           first_step: int, count_synops: bool,
                           state: Optional[NetworkState], batch: int) -> int:
        """Validate :meth:`run`'s options (each error names the option); return
        ``first_step`` as an int."""
        check_choice("plasticity", plasticity, PLASTICITY)
        if plasticity == "accumulate" and self.fixed:
            raise ValueError("plasticity='accumulate' is float only; use 'apply' in fixed point")
        if plasticity != "off" and self.spec.recurrent_error == "eprop-all":
            raise ValueError("recurrent_error='eprop-all' learns in the fused float trainer "
                             "only (lava_vle.learners.VLELocal); the simulator learns 'eprop' "
                             "and runs 'eprop-all' with plasticity='off'")
        if not isinstance(record, (list, tuple)):
            raise TypeError(f"record={record!r} must be a list or tuple of names from "
                            f"{RECORDABLE}")
        for name in record:
            check_choice("record", name, RECORDABLE)
        check_real("eta", eta, 0.0)
        check_bool("count_synops", count_synops)
        if state is not None and not isinstance(state, NetworkState):
            raise TypeError(f"state must be a NetworkState (result.state of a run), "
                            f"got {type(state).__name__}")
        if state is not None:
            self._check_state(state, batch)
        return check_int("first_step", first_step, 0)

    def _check_state(self, state: NetworkState, batch: int) -> None:
        """A state to continue from must be of this network, precision and batch."""
        if state.u[0].shape[0] != batch:
            raise ValueError(f"state holds a batch of {state.u[0].shape[0]}, x one of {batch}")
        widths = tuple(u.shape[-1] for u in state.u)
        if widths != tuple(self.spec.sizes[1:]):
            raise ValueError(f"state is of a network with populations {widths}, this one has "
                             f"{tuple(self.spec.sizes[1:])}")
        fixed = np.issubdtype(np.asarray(state.u[0]).dtype, np.integer)
        if fixed != self.fixed:
            kind = "a fixed-point state (Q7.16 integers)" if fixed else "a float state"
            raise ValueError(f"state is {kind}, this Simulator runs in "
                             f"{'fixed point' if self.fixed else 'float'}: continue a state in "
                             "the precision that made it")

    def step(self, state: NetworkState, syn: Synapses, x_now: np.ndarray, target: np.ndarray,
             scale: np.ndarray, modulator: Optional[np.ndarray] = None,
             rule: Optional[LocalRule] = None, step: int = 1,
             updates: Optional[tuple[list, list]] = None) -> NetworkState:
        """One time step of :meth:`run`, numbered ``step`` (from 1, Lava's time_step).

        :meth:`VLEDynamics.step` from ``state`` with the synapses ``syn``, the
        input ``x_now``, ``target`` and ``scale`` (``beta w_t``) in the
        arithmetic's units; with a ``rule``, the learning traces of
        ``eta m(t) e_breve_post(t)`` and ``r_pre(t-1)`` (``modulator`` m(t) per
        sample), and at the end of a learning epoch the update
        ``dW_k = N y x^T`` of every projection: applied to ``self.params``, or
        added to ``updates`` when given (``plasticity='accumulate'``). After an
        applied update, read the synapses again (:func:`synapses_of`).
        """
        new = self.dynamics.step(state, syn, x_now, target, scale)
        if rule is None:
            return new
        new = self._learning_traces(rule, state, new, modulator)
        if self.eprop_projections:
            new = self._eprop(rule, state, new, modulator, step, updates)
        if rule.learns_at(step) and updates is not None:
            self._accumulate(rule, new, updates)
        elif rule.learns_at(step):
            self._apply(rule, new, step)
        return new

    # --- counts and the local rule ------------------------------------------------
    @staticmethod
    def _learning_traces(rule: LocalRule, state: NetworkState, new: NetworkState,
                         modulator: np.ndarray) -> NetworkState:
        """``new`` with the learning traces after this step: post traces of
        ``eta m e_breve(t)``, pre traces of ``r(t-1)`` (from zero at the start)."""
        post_prev = state.post_trace or [np.zeros_like(e) for e in new.e_breve]
        pre_prev = state.pre_trace or [np.zeros_like(r) for r in state.rates]
        post = tuple(rule.post_trace(prev, e, modulator)
                     for prev, e in zip(post_prev, new.e_breve))
        pre = tuple(rule.filtered(prev, r) for prev, r in zip(pre_prev, state.rates))
        return replace(new, pre_trace=pre, post_trace=post)

    def _eprop(self, rule: LocalRule, state: NetworkState, new: NetworkState,
               modulator: np.ndarray, step: int,
               updates: Optional[tuple[list, list]]) -> NetworkState:
        """``recurrent_error="eprop"``: the recurrent projections learn every step
        from their eligibility (:func:`~lava_vle.plasticity.eligibility_step`)
        times ``eta m`` and the error reaching the neuron, ``dW_ij = sum_b
        signal_i elig_ij``; ``new`` with the eligibility after this step."""
        A, spec = self.arith, self.spec
        weights, _, exps = self.params.plastic_arrays()
        eligibility = list(state.eligibility or [None] * len(spec.projections))
        for k in self.eprop_projections:
            proj = spec.projections[k]
            l, c = proj.post - 1, self.dynamics.constants[proj.post - 1]
            r_pre = state.rates[proj.pre]
            eps = eligibility[k]
            if eps is None:
                eps = np.zeros(r_pre.shape[:1] + weights[k].shape, dtype=r_pre.dtype)
            eligibility[k], elig = eligibility_step(eps, r_pre, new.phi_prime[l], c["k_m"],
                                                    c["k_r"], A)
            signal = rule.trace(new.e_in[l], modulator)
            if updates is not None:
                updates[0][k] += eligibility_delta(signal, elig)
            else:
                weights[k] = A.eligibility_update(weights[k], signal, elig, exps[k], rule.eta,
                                                  fxp.stream_seed(self.seed, k), step)
        return replace(new, eligibility=tuple(eligibility))

    def _count_synops(self, synops: dict, before: NetworkState, state: NetworkState,
                      new: NetworkState, learns: bool) -> None:
        """Add one step's :func:`effective_synops` of every projection (weight
        updates only at the end of a learning epoch)."""
        spec = self.spec
        carriers = spec.bias_carriers()
        for k, proj in enumerate(spec.projections):
            sd_pre = proj.pre > 0 and spec.layers[proj.pre - 1].sigma_delta > 0
            sd_post = spec.layers[proj.post - 1].error_sigma_delta > 0
            counts = effective_synops(
                state.rates[proj.pre], state.e_breve[proj.post - 1],
                new.post_trace[proj.post - 1] if learns else None,
                spec.carries_error(proj), carriers[proj.post - 1] == k,
                before.rates[proj.pre] if sd_pre else None,
                before.e_breve[proj.post - 1] if sd_post else None,
                new.pre_trace[proj.pre] if learns else None)
            for key, value in counts.items():
                synops[key] += value

    def _zero_updates(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return ([np.zeros(w.shape, dtype=np.float64) for w in self.params.weights],
                [np.zeros(b.shape, dtype=np.float64) for b in self.params.biases])

    def _accumulate(self, rule: LocalRule, new: NetworkState,
                    updates: tuple[list, list]) -> None:
        """Add this epoch's ``(dW, db)`` to ``updates`` without applying them."""
        carriers = self.spec.bias_carriers()
        for k, proj in enumerate(self.spec.projections):
            if k in self.eprop_projections:
                continue
            post = rule.epoch_factor(new.post_trace[proj.post - 1])
            updates[0][k] += weight_delta(post, new.pre_trace[proj.pre])
            if k == carriers[proj.post - 1]:
                updates[1][proj.post - 1] += bias_delta(post)

    def _apply(self, rule: LocalRule, new: NetworkState, step: int) -> None:
        """One local update of every projection (and the bias it carries)."""
        weights, biases, exps = self.params.plastic_arrays()
        carriers = self.spec.bias_carriers()
        for k, proj in enumerate(self.spec.projections):
            if k in self.eprop_projections:
                continue
            l = proj.post - 1
            carried = biases[l] if k == carriers[l] else None
            weights[k], new_bias = rule.apply(weights[k], carried, new.post_trace[l],
                                              new.pre_trace[proj.pre], exps[k],
                                              fxp.stream_seed(self.seed, k), step)
            if carried is not None:
                biases[l] = new_bias
