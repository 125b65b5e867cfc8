"""The fixed-point Simulator against an independent integer reference, bit for bit.

``tests/int_reference.py`` is written from the equations and the bit-width
table with plain Python integers and shares no arithmetic with the library.
The Lava models and the simulator call the same arithmetic, so their
bit-for-bit tests prove the wiring; these prove the arithmetic: a rule that
moves by one LSB (a trace decay, an eligibility) fails here.

Each test draws small random networks (2-3 populations of 1-4 neurons, a
few dozen steps) and requires every recorded state, rate and error, the
final learning state and the weights after learning to be equal.
"""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava_vle.arithmetic import FixedArithmetic as FA
from lava_vle.spec import FixedParams, LayerSpec, NetworkSpec, init_params
from lava_vle.plasticity import LocalRule, eligibility_step
from lava_vle.simulator import RECORDABLE, Simulator
from tests import int_reference as ref

# random cases drive states into saturation on purpose: the range warning is expected
pytestmark = pytest.mark.filterwarnings("ignore:Simulator.run.*membrane potential:RuntimeWarning")

# random networks per property; .ci/mutation lowers it (LAVA_VLE_EXAMPLES), since every
# mutant of the arithmetic core runs these tests
EXAMPLES = int(os.environ.get("LAVA_VLE_EXAMPLES", "80"))
FAST = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
COMPONENT = settings(max_examples=max(EXAMPLES, 20) * 5 // 4, deadline=None)


# ===================================================================================
# Random cases
# ===================================================================================
class Case:
    """A network, its integer synapses and one run's inputs and options."""

    def __init__(self, spec, params, x, target, loss_weight, modulator, learn, eta, seed,
                 first_step, traces):
        self.spec, self.params, self.x, self.target = spec, params, x, target
        self.loss_weight, self.modulator, self.learn, self.eta = loss_weight, modulator, learn, eta
        self.seed, self.first_step, self.traces = seed, first_step, traces

    def __repr__(self) -> str:
        return (f"Case(spec={self.spec!r}, learn={self.learn}, eta={self.eta!r}, "
                f"seed={self.seed}, first_step={self.first_step}, traces={self.traces!r}, "
                f"T={self.x.shape[0]}, B={self.x.shape[1]})")


def _layer(draw, rng, size, dt, rate_mode, error_sigma_delta, recurrent):
    tau_m = dt * rng.uniform(1.0, 8.0, size)
    kind = draw(st.sampled_from(["le", "li", "mixed"]))
    if kind == "le":
        tau_r = tau_m.copy()
    elif kind == "li":
        tau_r = np.full(size, dt)
    else:
        tau_r = np.maximum(dt, tau_m * rng.uniform(0.25, 3.0, size))
    sigma_delta = float(rng.uniform(0.002, 0.2)) if rate_mode == "sigma_delta" else 0.0
    error_threshold = float(rng.uniform(0.0005, 0.02)) if error_sigma_delta else 0.0
    return LayerSpec(size, tau_m=tau_m, tau_r=tau_r,
                     activation=draw(st.sampled_from(ref.ACTIVATIONS)),
                     recurrent=recurrent, spiking=rate_mode == "spiking",
                     sigma_delta=sigma_delta, error_sigma_delta=error_threshold)


@st.composite
def cases(draw, learn=None, recurrent_error=None, learning_epoch=None, feedback=None,
          rate_modes=("graded",), error_sigma_delta=False, need_recurrent=False,
          eta_range=(1e-4, 0.5), traces=("filtered", "sampled")):
    """A random small network and run. Options left None are drawn."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dt = draw(st.sampled_from([0.1, 0.2, 0.25, 0.5]))
    n_layers = draw(st.integers(2, 3))
    loss = draw(st.sampled_from(["mse", "ce"]))
    layers = []
    recurrent_at = draw(st.integers(0, n_layers - 1)) if need_recurrent else None
    for l in range(n_layers):
        size = draw(st.integers(2 if (loss == "ce" and l == n_layers - 1) else 1, 4))
        recurrent = l == recurrent_at or draw(st.booleans())
        mode = draw(st.sampled_from(rate_modes))
        errors_held = error_sigma_delta and draw(st.booleans())
        layers.append(_layer(draw, rng, size, dt, mode, errors_held, recurrent))
    epoch = learning_epoch if learning_epoch is not None else draw(
        st.sampled_from([1, 1, 2, 3, 4, 8]))
    spec = NetworkSpec(
        n_in=draw(st.integers(1, 3)), layers=tuple(layers), dt=dt, loss=loss,
        beta=float(rng.uniform(0.25, 4.0)),
        gamma=draw(st.sampled_from([0.0, float(rng.uniform(0.05, 1.0))])),
        feedback=feedback or draw(st.sampled_from(["mirrored", "random"])),
        recurrent_error=recurrent_error or draw(st.sampled_from(["loop", "none", "stable"])),
        learning_epoch=epoch)
    floats = init_params(spec, seed=int(rng.integers(2**31)), gain=float(rng.uniform(0.5, 3.0)))
    for l, b in enumerate(floats.biases):  # non-zero biases, inside the carrier's range
        bound = np.abs(floats.weights[spec.bias_carriers()[l]]).max()
        b[:] = rng.uniform(-bound, bound, b.shape)
    params = FixedParams.from_float(spec, floats, headroom=draw(st.sampled_from([1.0, 2.0, 4.0])))
    steps, batch = draw(st.integers(12, 36)), draw(st.integers(1, 3))
    x = rng.uniform(-1.5, 1.5, (steps, batch, spec.n_in))
    if loss == "ce":
        target = np.eye(spec.n_out)[rng.integers(spec.n_out, size=(steps, batch))]
    else:
        target = rng.uniform(-1.0, 1.0, (steps, batch, spec.n_out))
    loss_weight = draw(st.sampled_from([None, "random"]))
    loss_weight = None if loss_weight is None else rng.uniform(0.0, 2.0, (steps, batch))
    modulator = draw(st.sampled_from([None, "random"]))
    modulator = None if modulator is None else rng.uniform(-1.5, 1.5, (steps, batch))
    learn = draw(st.booleans()) if learn is None else learn
    eta = float(np.exp(rng.uniform(np.log(eta_range[0]), np.log(eta_range[1]))))
    return Case(spec, params, x, target, loss_weight, modulator, learn, eta,
                seed=int(rng.integers(2**32)), first_step=draw(st.sampled_from(
                    [1, int(rng.integers(1, 5000))])),
                traces=draw(st.sampled_from(traces)))


# ===================================================================================
# Conversions and the comparison
# ===================================================================================
def reference_net(spec: NetworkSpec) -> ref.Net:
    """The spec's float parameters as plain numbers."""
    layers = []
    for layer in spec.layers:
        tau_m, tau_r = layer.time_constants()
        layers.append(ref.Layer(layer.size, [float(t) for t in tau_m], [float(t) for t in tau_r],
                                layer.activation, layer.recurrent, layer.spiking,
                                float(layer.sigma_delta), float(layer.error_sigma_delta)))
    net = ref.Net(spec.n_in, layers, float(spec.dt), spec.loss, float(spec.beta),
                  float(spec.gamma), spec.feedback, spec.recurrent_error, spec.learning_epoch)
    assert net.projections() == [(p.pre, p.post) for p in spec.projections]
    return net


def reference_synapses(params: FixedParams) -> ref.Synapses:
    """The initial integer synapses as plain ints."""
    def ints(a):
        return None if a is None else np.asarray(a).tolist()

    return ref.Synapses([ints(a) for a in params.weight_acc], [int(e) for e in params.weight_exp],
                        [ints(a) for a in params.bias_acc], [int(e) for e in params.bias_exp],
                        [ints(m) for m in params.feedback_mant],
                        [None if e is None else int(e) for e in params.feedback_exp])


def as_list(value):
    return None if value is None else [None if a is None else np.asarray(a).tolist()
                                       for a in value]


def run_simulator(case: Case, split_at=None):
    """The project's fixed-point Simulator on ``case`` (in two runs that continue
    one another when ``split_at`` is given): its result and parameters."""
    sim = Simulator(case.spec, case.params, "fixed", seed=case.seed)
    kwargs = dict(plasticity="apply" if case.learn else "off", eta=case.eta,
                  record=list(RECORDABLE), traces=case.traces)
    cuts = [0, case.x.shape[0]] if split_at is None else [0, split_at, case.x.shape[0]]
    results, state = [], None
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        part = lambda a: None if a is None else a[lo:hi]  # noqa: E731
        result = sim.run(case.x[lo:hi], case.target[lo:hi], loss_weight=part(case.loss_weight),
                         modulator=part(case.modulator), state=state,
                         first_step=case.first_step + lo, **kwargs)
        results.append(result)
        state = result.state
    trace = {name: [np.concatenate([r.trace[name][p] for r in results])
                    for p in range(len(results[0].trace[name]))] for name in RECORDABLE}
    return trace, results[-1].state, sim.params


def run_reference(case: Case) -> ref.Result:
    tolist = lambda a: None if a is None else a.tolist()  # noqa: E731
    return ref.simulate(reference_net(case.spec), reference_synapses(case.params),
                        case.x.tolist(), case.target.tolist(), tolist(case.loss_weight),
                        tolist(case.modulator), learn=case.learn, eta=case.eta, seed=case.seed,
                        first_step=case.first_step, traces=case.traces)


def assert_equal_to_reference(case: Case, split_at=None) -> None:
    """Every recorded variable at every step, then the final learning state and
    synapses: the first difference is reported with its step and population."""
    trace, state, params = run_simulator(case, split_at)
    expected = run_reference(case)
    steps = case.x.shape[0]
    for t in range(steps):  # step by step, so that the first divergence is named
        for name in RECORDABLE:
            got = [trace[name][p][t].tolist() for p in range(len(trace[name]))]
            want = expected.records[name][t]
            assert got == want, (f"{name} differs at step {case.first_step + t} "
                                 f"(t={t}):\n simulator {got}\n reference {want}\n{case!r}")
    assert as_list(params.weight_acc) == expected.weight_acc, f"weights after learning\n{case!r}"
    assert as_list(params.bias_acc) == expected.bias_acc, f"biases after learning\n{case!r}"
    assert as_list(state.spike_acc) == expected.spike_acc, f"spike encoders\n{case!r}"
    if case.learn:
        assert as_list(state.post_trace) == expected.post_trace, f"post traces\n{case!r}"
        assert as_list(state.pre_trace) == expected.pre_trace, f"pre traces\n{case!r}"
        eligibility = {k: e.tolist() for k, e in enumerate(state.eligibility or ())
                       if e is not None}
        assert eligibility == expected.eligibility, f"e-prop eligibility\n{case!r}"


# ===================================================================================
# Components whose every bit the network runs do not expose
# ===================================================================================
def test_trace_decay_is_round_4096_over_n_for_every_learning_epoch():
    for n in range(2, 4097):
        assert int(LocalRule(0.5, FA, learning_epoch=n).trace_decay) == ref.trace_decay(n), n


@COMPONENT
@given(st.floats(0.01, 1.0), st.lists(st.floats(1.0, 15.0), min_size=1, max_size=4),
       st.floats(0.07, 15.0), st.floats(1e-7, 0.99))
def test_neuron_constants_and_learning_rate_equal_reference(dt, tau_factors, ratio, eta):
    tau_m = np.array(tau_factors) * dt
    tau_r = np.maximum(dt, tau_m * ratio)
    if np.any(tau_m / tau_r >= 15.9):
        return
    c = FA.neuron_constants(dt, tau_m, tau_r)
    assert c["k_m"].tolist() == [ref.decay(dt, t) for t in tau_m]
    assert c["k_v"].tolist() == [ref.decay(dt, t) for t in tau_r]
    assert c["k_r"].tolist() == [ref.prospective_gain(r / m) for m, r in zip(tau_m, tau_r)]
    assert c["k_e"].tolist() == [ref.prospective_gain(m / r) for m, r in zip(tau_m, tau_r)]
    assert tuple(FA.learning_rate(eta)) == ref.learning_rate(eta)


state_ints = st.integers(-(2**23), 2**23 - 1)


@COMPONENT
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.data())
def test_eprop_eligibility_step_equals_reference(batch, n_post, n_pre, data):
    """``eps`` and ``elig`` of the fixed-point e-prop step, every synapse."""
    eps = np.array(data.draw(st.lists(st.lists(st.lists(state_ints, min_size=n_pre,
                                                        max_size=n_pre),
                                               min_size=n_post, max_size=n_post),
                                      min_size=batch, max_size=batch)), dtype=np.int64)
    r_pre = np.array(data.draw(st.lists(st.lists(state_ints, min_size=n_pre, max_size=n_pre),
                                        min_size=batch, max_size=batch)), dtype=np.int64)
    slope = np.array(data.draw(st.lists(st.lists(st.sampled_from([0, 4096]), min_size=n_post,
                                                 max_size=n_post),
                                        min_size=batch, max_size=batch)), dtype=np.int64)
    k_m = np.array(data.draw(st.lists(st.integers(1, 4096), min_size=n_post, max_size=n_post)))
    k_r = np.array(data.draw(st.lists(st.integers(1, 2**16 - 1), min_size=n_post,
                                      max_size=n_post)))
    new_eps, elig = eligibility_step(eps, r_pre, slope, k_m, k_r, FA)
    for b in range(batch):
        want_eps, want_elig = ref.eligibility_step(eps[b].tolist(), r_pre[b].tolist(),
                                                   slope[b].tolist(), k_m.tolist(), k_r.tolist())
        assert new_eps[b].tolist() == want_eps
        assert elig[b].tolist() == want_elig


@COMPONENT
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.booleans(),
       st.integers(-16, 7), st.integers(0, 31), st.integers(0, 2**32 - 1),
       st.integers(0, 2**32 - 1), st.data())
def test_stochastic_rounding_of_the_local_update_equals_reference(
        batch, n_post, n_pre, with_bias, weight_exp, eta_shift, seed, step, data):
    """``acc += SR(post^T pre, S)``: the same noise bits from the same (seed, step, synapse)."""
    acc_ints = st.integers(-(2**15), 2**15 - 1)
    acc = data.draw(st.lists(st.lists(acc_ints, min_size=n_pre, max_size=n_pre),
                             min_size=n_post, max_size=n_post))
    bias = data.draw(st.lists(acc_ints, min_size=n_post, max_size=n_post)) if with_bias else None
    post = data.draw(st.lists(st.lists(state_ints, min_size=n_post, max_size=n_post),
                              min_size=batch, max_size=batch))
    pre = data.draw(st.lists(st.lists(state_ints, min_size=n_pre, max_size=n_pre),
                             min_size=batch, max_size=batch))
    eta = (200, eta_shift)
    got_acc, got_bias = FA.plastic_update(np.array(acc), None if bias is None else np.array(bias),
                                          np.array(post), np.array(pre), weight_exp, eta, seed,
                                          step)
    want_acc, want_bias = ref.local_update(acc, bias, post, pre, weight_exp, eta_shift, seed, step)
    assert got_acc.tolist() == want_acc
    assert (None if got_bias is None else got_bias.tolist()) == want_bias


@FAST
@given(cases(learn=False))
def test_quantised_initial_synapses_equal_reference(case):
    """``FixedParams.from_float``: exponents and accumulators as the table says."""
    floats = init_params(case.spec, seed=3, gain=1.7)
    carriers = case.spec.bias_carriers()
    for l, b in enumerate(floats.biases):  # within the range of the carrier's exponent
        b[:] = np.linspace(-1.0, 0.7, b.size) * np.abs(floats.weights[carriers[l]]).max()
    for headroom in (1.0, 2.0, 3.0):
        fixed = FixedParams.from_float(case.spec, floats, headroom)
        exps = [ref.weight_exponent(float(np.abs(w).max()), headroom) for w in floats.weights]
        assert fixed.weight_exp == exps
        assert as_list(fixed.weight_acc) == [[[ref.quantize(w, e, ref.ACC_FRAC_BITS) for w in row]
                                              for row in m.tolist()]
                                             for m, e in zip(floats.weights, exps)]
        assert as_list(fixed.bias_acc) == [[ref.quantize(w, exps[carriers[l]], ref.ACC_FRAC_BITS)
                                            for w in b.tolist()]
                                           for l, b in enumerate(floats.biases)]
        for f, m, e in zip(floats.feedback, fixed.feedback_mant, fixed.feedback_exp):
            if f is not None:
                assert e == ref.weight_exponent(float(np.abs(f).max()), 1.0)
                assert m.tolist() == [[ref.quantize(w, e, 0) for w in row] for row in f.tolist()]


# ===================================================================================
# The network, step by step
# ===================================================================================
@FAST
@given(cases(learn=False))
def test_simulator_without_learning_equals_reference(case):
    """Neurons, error dendrites, output error, forward and error paths in both
    feedback modes, recurrence (loop / none / stable)."""
    assert_equal_to_reference(case)


@FAST
@given(cases(learn=True, learning_epoch=1))
def test_simulator_local_rule_every_step_equals_reference(case):
    """``dW = eta m e_post r_pre`` with stochastic rounding, every step."""
    assert_equal_to_reference(case)


@FAST
@given(cases(learn=True, traces=("filtered", "filtered", "filtered", "sampled")),
       st.sampled_from([8, 2, 8, 3, 4]))
def test_simulator_learning_epochs_equal_reference(case, epoch):
    """Pre and post traces relaxing by 1/N (or sampled), the update ``N y x^T``
    at ``s % N == 0``."""
    case.spec = replace(case.spec, learning_epoch=epoch)
    assert_equal_to_reference(case)


@pytest.mark.parametrize("feedback", ["mirrored", "random"])
@pytest.mark.parametrize("traces", ["filtered", "sampled"])
def test_learning_epoch_of_8_steps_equals_reference(feedback, traces):
    """The 8-step epoch (trace decay 512) in both feedback modes, long enough for
    several epochs, with a recurrent hidden layer."""
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(3, tau_m=0.6, tau_r=0.3, recurrent=True),
                                       LayerSpec(2, tau_m=0.4, tau_r=0.4, activation="linear")),
                       dt=0.1, feedback=feedback, learning_epoch=8, gamma=0.2)
    rng = np.random.default_rng(8)
    params = FixedParams.from_float(spec, init_params(spec, seed=5, gain=1.5))
    case = Case(spec, params, rng.uniform(-1, 1, (40, 2, 2)), rng.uniform(-1, 1, (40, 2, 2)),
                None, None, True, 0.2, seed=11, first_step=1, traces=traces)
    assert_equal_to_reference(case)


@FAST
@given(cases(learn=True, recurrent_error="eprop", need_recurrent=True, eta_range=(0.05, 0.9)))
def test_simulator_eprop_equals_reference(case):
    """``recurrent_error="eprop"``: eligibility of the recurrent weights, their
    update ``SR(sum_b eta m e_in elig)`` every step; the others by the local rule."""
    assert_equal_to_reference(case)


@FAST
@given(cases(recurrent_error="stable", need_recurrent=True))
def test_simulator_stable_recurrent_error_equals_reference(case):
    """``recurrent_error="stable"``: ``c B^T v(t-1)`` with ``c`` from the
    current recurrent weights, with and without learning."""
    assert_equal_to_reference(case)


@FAST
@given(cases(rate_modes=("graded", "spiking", "sigma_delta"), error_sigma_delta=True))
def test_simulator_spikes_and_sigma_delta_equal_reference(case):
    """Integrate-and-fire spikes, sigma-delta rates and sigma-delta errors."""
    assert_equal_to_reference(case)


@FAST
@given(cases(learn=True, rate_modes=("graded", "sigma_delta")), st.floats(0.2, 0.8))
def test_simulator_run_continued_from_its_state_equals_one_reference_run(case, where):
    """Two runs, the second from the first's state and step, equal one run."""
    assert_equal_to_reference(case, split_at=max(1, int(where * case.x.shape[0])))
