"""Batched VLE dynamics: exact mode vs autograd, float vs fixed, the local rule."""
import numpy as np
import pytest

from lava_vle.adjoint import exact_gradients
from lava_vle.bptt import bptt_gradients
from lava_vle.fixed_point import FixedPointRangeError
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.simulator import Simulator


def chain_spec(loss="mse", recurrent=False, activation="tanh", feedback="mirrored"):
    return NetworkSpec(
        n_in=3,
        layers=(LayerSpec(6, tau_m=[1.0, 0.5, 1.2, 0.3, 0.8, 1.0],
                          tau_r=[1.0, 0.2, 0.1, 0.3, 0.4, 0.1],
                          activation=activation, recurrent=recurrent),
                LayerSpec(5, tau_m=1.0, tau_r=0.5, activation="hard_tanh", recurrent=recurrent),
                LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")),
        dt=0.1, loss=loss, feedback=feedback)


def recurrent_le_spec():
    """Recurrent hidden layer of LE units (tau_r = tau_m): a stable error loop."""
    return NetworkSpec(
        n_in=3,
        layers=(LayerSpec(6, tau_m=[1.0, 0.5, 1.2, 0.3, 0.8, 1.0],
                          tau_r=[1.0, 0.5, 1.2, 0.3, 0.8, 1.0],
                          activation="hard_tanh", recurrent=True),
                LayerSpec(5, tau_m=1.0, tau_r=0.5, activation="hard_tanh"),
                LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")),
        dt=0.1)


def task(spec, steps=40, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(steps, batch, spec.n_in))
    if spec.loss == "ce":
        y = np.eye(spec.n_out)[rng.integers(0, spec.n_out, size=(steps, batch))]
    else:
        y = rng.normal(size=(steps, batch, spec.n_out))
    return x, y


def max_rel_error(a, b):
    return max(np.abs(p - q).max() / np.abs(q).max() for p, q in zip(a, b))


@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_exact_adjoint_equals_torch_autograd_bptt_to_1e9(recurrent, loss):
    spec = chain_spec(loss, recurrent)
    params = init_params(spec, seed=1, gain=2.0)
    x, y = task(spec)
    weight = np.linspace(0.0, 1.0, x.shape[0])  # a loss that counts late steps more
    exact = exact_gradients(spec, params, x, y, weight)
    bptt = bptt_gradients(spec, params, x, y, weight)
    assert exact.loss == pytest.approx(bptt.loss, rel=1e-12)
    assert max_rel_error(exact.weights + exact.biases, bptt.weights + bptt.biases) <= 1e-9
    assert all(np.abs(g).max() > 0 for g in exact.weights)


def test_exact_adjoint_equals_autograd_with_straight_through_spikes():
    spec = NetworkSpec(n_in=3, dt=0.1, loss="ce", layers=(
        LayerSpec(6, 1.0, 0.5, "tanh", recurrent=True, spiking=True),
        LayerSpec(5, 1.0, 1.0, "hard_tanh", spiking=True),
        LayerSpec(2, 0.5, 0.5, "linear")))
    params = init_params(spec, seed=1, gain=3.0)
    x, y = task(spec, steps=60)
    run = Simulator(spec, params).run(x, y, record=("rates",))
    hidden = np.concatenate([run.trace["rates"][1].ravel(), run.trace["rates"][2].ravel()])
    assert set(np.unique(hidden)) == {-1.0, 0.0, 1.0}  # signed binary spikes, both signs
    exact = exact_gradients(spec, params, x, y)
    bptt = bptt_gradients(spec, params, x, y)
    assert max_rel_error(exact.weights + exact.biases, bptt.weights + bptt.biases) <= 1e-9


def test_exact_adjoint_detects_a_wrong_weight_gradient():
    """The comparison can fail: a perturbed network gives other gradients."""
    spec = chain_spec(recurrent=True)
    params = init_params(spec, seed=1, gain=2.0)
    x, y = task(spec)
    other = params.copy()
    other.weights[1] *= 1.01
    exact = exact_gradients(spec, other, x, y)
    bptt = bptt_gradients(spec, params, x, y)
    assert max_rel_error(exact.weights, bptt.weights) > 1e-6


@pytest.mark.parametrize("spec", [chain_spec(activation="hard_tanh"), recurrent_le_spec()],
                         ids=["feedforward", "recurrent"])
def test_fixed_point_simulation_tracks_float_within_quantisation_error(spec):
    params = init_params(spec, seed=2)
    x, y = task(spec, steps=100, batch=2)
    x *= 0.5
    float_run = Simulator(spec, params, "float").run(x, y, plasticity="apply", eta=1e-3)
    fixed_run = Simulator(spec, params, "fixed").run(x, y, plasticity="apply", eta=1e-3)
    scale = np.abs(float_run.outputs).max()
    assert np.abs(float_run.outputs - fixed_run.outputs).max() < 0.1 * scale


def test_truncated_recurrent_error_stays_bounded_for_li_units_and_exact_mode_is_finite():
    """recurrent_error="none" (errors only from the layers above) keeps the
    errors of recurrent LI-like units (tau_m/tau_r up to 10) bounded by the
    feed-forward error path; the exact adjoint of the same network is finite."""
    spec = chain_spec(activation="hard_tanh", recurrent=True)
    truncated = NetworkSpec(n_in=spec.n_in, layers=spec.layers, dt=spec.dt,
                            recurrent_error="none")
    params = init_params(truncated, seed=2)
    x, y = task(truncated, steps=100, batch=2)
    run = Simulator(truncated, params).run(x, y, record=("e_breve",))
    bound = 10 * np.abs(y).max() * max(1.0, *(np.abs(w).sum(axis=0).max()
                                             for w in params.weights)) ** 2
    assert max(np.abs(e).max() for e in run.trace["e_breve"]) < bound
    assert np.all(np.isfinite(np.concatenate(
        [g.ravel() for g in exact_gradients(spec, params, x, y).weights])))


def test_fixed_point_batch_samples_are_independent_bit_for_bit_without_learning():
    spec = recurrent_le_spec()
    params = init_params(spec, seed=2)
    x, y = task(spec, steps=30, batch=2)
    sim = Simulator(spec, params, "fixed")
    both = sim.run(x, y, record=("u", "e_breve"))
    for b in range(2):
        alone = sim.run(x[:, b:b + 1], y[:, b:b + 1], record=("u", "e_breve"))
        for name in ("u", "e_breve"):
            for layer_both, layer_alone in zip(both.trace[name], alone.trace[name]):
                assert np.array_equal(layer_both[:, b], layer_alone[:, 0])


def test_fixed_point_learning_is_deterministic_given_the_seed():
    spec = chain_spec(activation="hard_tanh")
    params = init_params(spec, seed=2)
    x, y = task(spec, steps=30)
    runs = [Simulator(spec, params, "fixed", seed=s) for s in (5, 5, 6)]
    for sim in runs:
        sim.run(x, y, plasticity="apply", eta=0.05)
    assert all(np.array_equal(a, b) for a, b in
               zip(runs[0].params.weight_acc, runs[1].params.weight_acc))
    assert not all(np.array_equal(a, b) for a, b in
                   zip(runs[0].params.weight_acc, runs[2].params.weight_acc))


def test_accumulated_local_update_is_sum_of_e_breve_post_times_previous_r_pre():
    spec = recurrent_le_spec()
    params = init_params(spec, seed=3)
    x, y = task(spec, steps=25)
    mod = np.random.default_rng(1).uniform(0, 1, size=x.shape[:2])
    run = Simulator(spec, params).run(x, y, modulator=mod, plasticity="accumulate", eta=0.5,
                                      record=("rates", "e_breve"))
    rates, e_breve = run.trace["rates"], run.trace["e_breve"]
    for k, proj in enumerate(spec.projections):
        r_prev = np.concatenate([np.zeros_like(rates[proj.pre][:1]), rates[proj.pre][:-1]])
        expected = 0.5 * np.einsum("tb,tbi,tbj->ij", mod, e_breve[proj.post - 1], r_prev)
        np.testing.assert_allclose(run.updates[0][k], expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run.updates[1][0], 0.5 * np.einsum("tb,tbi->i", mod, e_breve[0]))


@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_local_rule_reduces_teacher_student_error(precision):
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(12, 1.0, 1.0, "hard_tanh"),
                                       LayerSpec(2, 0.5, 0.5, "linear")), dt=0.1)
    t = np.arange(300) * spec.dt
    x = np.stack([np.sin(t), np.cos(0.6 * t)], -1)[:, None, :]
    teacher = Simulator(spec, init_params(spec, seed=10, gain=1.5)).run(x).outputs
    student = Simulator(spec, init_params(spec, seed=11), precision)
    errors = []
    for _ in range(15):
        out = student.run(x, teacher, plasticity="apply", eta=0.01).outputs
        errors.append(float(((out - teacher) ** 2).mean()))
    assert errors[-1] < 0.5 * errors[0]


def test_float32_and_float64_agree():
    spec = chain_spec()
    params = init_params(spec, seed=4)
    x, y = task(spec)
    a = Simulator(spec, params, dtype=np.float32).run(x, y, plasticity="apply")
    b = Simulator(spec, params, dtype=np.float64).run(x, y, plasticity="apply")
    assert a.outputs.dtype == np.float32
    np.testing.assert_allclose(a.outputs, b.outputs, atol=1e-4)


def test_random_feedback_changes_the_error_path_only():
    mirrored, random = chain_spec(feedback="mirrored"), chain_spec(feedback="random")
    params_m, params_r = init_params(mirrored, seed=5), init_params(random, seed=5)
    assert params_r.feedback[1] is not None and params_m.feedback[1] is None
    x, y = task(mirrored)
    run_m = Simulator(mirrored, params_m).run(x, y, record=("e_breve",))
    run_r = Simulator(random, params_r).run(x, y, record=("e_breve",))
    np.testing.assert_array_equal(run_m.outputs, run_r.outputs)
    np.testing.assert_array_equal(run_m.trace["e_breve"][-1], run_r.trace["e_breve"][-1])
    assert not np.allclose(run_m.trace["e_breve"][0], run_r.trace["e_breve"][0])


def test_api_rejects_bad_input_with_named_parameters():
    spec = chain_spec()
    sim = Simulator(spec, init_params(spec))
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\)"):
        sim.run(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"target must have shape \(5, 1, 2\)"):
        sim.run(np.zeros((5, 1, 3)), np.zeros((5, 2, 2)))
    with pytest.raises(ValueError, match="x contains NaN"):
        sim.run(np.full((5, 1, 3), np.nan))
    with pytest.raises(ValueError, match="modulator must be"):
        sim.run(np.zeros((5, 1, 3)), modulator=np.ones(4))
    with pytest.raises(ValueError, match="plasticity="):
        sim.run(np.zeros((5, 1, 3)), plasticity="sometimes")
    with pytest.raises(ValueError, match="precision="):
        Simulator(spec, init_params(spec), precision="half")
    with pytest.raises(ValueError, match=r"activation='tanh' has no fixed-point form"):
        Simulator(spec, init_params(spec), precision="fixed")
    with pytest.raises(ValueError, match=r"layers\[0\]\.tau_r must be finite and >= dt=0\.1"):
        NetworkSpec(n_in=1, layers=(LayerSpec(2, 1.0, 0.05),), dt=0.1)
    with pytest.raises(ValueError, match="loss='hinge'"):
        NetworkSpec(n_in=1, layers=(LayerSpec(2),), loss="hinge")
    with pytest.raises(FixedPointRangeError, match=r"tau_m/tau_r=20.*16-bit"):
        Simulator(NetworkSpec(n_in=1, layers=(LayerSpec(2, 2.0, 0.1),), dt=0.1),
                  init_params(NetworkSpec(n_in=1, layers=(LayerSpec(2, 2.0, 0.1),), dt=0.1)),
                  precision="fixed")


def test_init_gain_scales_the_initial_weights_into_a_layer_and_is_validated():
    layers = (LayerSpec(8, init_gain=30.0), LayerSpec(4, init_gain=1.0))
    params = init_params(NetworkSpec(n_in=25, layers=layers), seed=0)
    assert 1.0 < np.abs(params.weights[0]).max() <= 30.0 / np.sqrt(25)
    assert np.abs(params.weights[1]).max() <= 1.0 / np.sqrt(8)
    with pytest.raises(ValueError, match=r"init_gain=0.0 must be a finite number > 0"):
        NetworkSpec(n_in=2, layers=(LayerSpec(3, init_gain=0.0),))


def test_learning_epoch_updates_once_per_epoch_close_to_the_per_step_rule_on_slow_inputs():
    """N = 8: 8x fewer weight updates, each N y x^T from the traces; for inputs
    slow against the epoch the summed update stays aligned with N = 1's."""
    base = chain_spec()
    epochs = NetworkSpec(n_in=base.n_in, layers=base.layers, dt=base.dt, learning_epoch=8)
    params = init_params(base, seed=1)
    t = np.arange(256)[:, None, None] * base.dt
    x = np.sin(0.3 * t + np.arange(3)) * np.ones((1, 2, 1))
    y = 0.5 * np.cos(0.2 * t[..., :1] + np.arange(2)) * np.ones((1, 2, 1))
    runs = [Simulator(spec, params).run(x, y, plasticity="accumulate", eta=1.0,
                                        count_synops=True) for spec in (base, epochs)]
    ratio = runs[0].synops["weight_updates"] / runs[1].synops["weight_updates"]
    assert 7.5 < ratio < 8.5
    for k in range(len(base.projections)):
        a, b = runs[0].updates[0][k].ravel(), runs[1].updates[0][k].ravel()
        assert a @ b / np.linalg.norm(a) / np.linalg.norm(b) > 0.9
        assert not np.allclose(a, b)


def test_learning_epoch_is_validated_with_its_range():
    with pytest.raises(ValueError, match=r"learning_epoch=0 must be an integer in 1\.\.4096"):
        NetworkSpec(n_in=1, layers=(LayerSpec(1),), learning_epoch=0)
    with pytest.raises(ValueError, match=r"learning_epoch=2.5"):
        NetworkSpec(n_in=1, layers=(LayerSpec(1),), learning_epoch=2.5)


@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_stable_recurrent_error_stays_bounded_over_10000_steps_at_lead_gain_16_and_radius_1_5(
        precision):
    """The contraction bound of recurrent_loop_gain: LI units with tau_m/tau_r
    = 15.9 (the largest 16-bit fixed-point gain) in a recurrent layer whose
    weights have spectral radius 1.5."""
    spec = NetworkSpec(n_in=2, dt=0.1, recurrent_error="stable", layers=(
        LayerSpec(12, tau_m=1.59, tau_r=0.1, activation="hard_tanh", recurrent=True),
        LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")))
    params = init_params(spec, seed=0)
    rec = params.weights[1]
    params.weights[1] = 1.5 * rec / np.abs(np.linalg.eigvals(rec)).max()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10_000, 1, 2))
    y = rng.normal(size=(10_000, 1, 2))
    run = Simulator(spec, params, precision).run(x, y, record=("e_breve", "v"))
    unit = 2.0 ** 16 if precision == "fixed" else 1.0  # Q7.16 state integers
    for name in ("e_breve", "v"):
        trace = run.trace[name][0] / unit
        assert np.all(np.isfinite(trace))
        assert np.abs(trace).max() < 100
    assert np.abs(run.trace["e_breve"][0] / unit).max() > 0.1  # errors do flow


def test_eligibility_delta_is_the_batch_sum_of_signal_times_eligibility():
    from lava_vle.arithmetic import eligibility_delta

    rng = np.random.default_rng(3)
    signal, elig = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3, 5))
    expected = np.zeros((2, 3, 5))
    for l in range(2):
        for b in range(4):
            expected[l] += signal[l, b][:, None] * elig[l, b]
    np.testing.assert_allclose(eligibility_delta(signal, elig), expected, rtol=1e-12)
    np.testing.assert_allclose(eligibility_delta(signal[1], elig[1]), expected[1], rtol=1e-12)


def eprop_spec(activation="tanh"):
    return NetworkSpec(
        n_in=2, dt=0.1, loss="mse", recurrent_error="eprop",
        layers=(LayerSpec(6, 1.0, [0.1, 0.2, 0.5, 1.0, 0.3, 0.1], activation, recurrent=True),
                LayerSpec(2, 0.2, 0.2, "linear")))


def eprop_signals(steps=80):
    rng = np.random.default_rng(0)
    return rng.normal(size=(steps, 3, 2)), 0.5 * rng.normal(size=(steps, 3, 2))


def test_simulator_eprop_update_equals_the_fused_trainers_over_80_steps():
    from lava_vle.learners import local_updates

    spec = eprop_spec()
    params = init_params(spec, seed=1)
    x, y = eprop_signals()
    run = Simulator(spec, params).run(x, y, plasticity="accumulate", eta=1.0)
    fused = local_updates(spec, params, x, y)
    for k in range(len(spec.projections)):
        np.testing.assert_allclose(run.updates[0][k], fused.weights[k], rtol=1e-10, atol=1e-12)
    assert np.abs(run.updates[0][1]).max() > 0.1  # the recurrent weights learn


def test_fixed_point_eprop_moves_the_recurrent_weights_as_float_does():
    """Fixed point: 24-bit eligibilities, 12-bit decays and slopes, stochastic
    rounding into the 16-bit accumulators; after 80 steps its recurrent
    weight change points where float's does (cosine > 0.9)."""
    spec = eprop_spec("hard_tanh")
    params = init_params(spec, seed=1)
    x, y = eprop_signals()
    fixed, real = Simulator(spec, params, "fixed", seed=3), Simulator(spec, params)
    start = fixed.params.to_float().weights[1]
    fixed.run(x, y, plasticity="apply", eta=0.05)
    real.run(x, y, plasticity="apply", eta=0.05)
    d_fixed = fixed.params.to_float().weights[1] - start
    d_real = real.params.weights[1] - params.weights[1]
    cosine = (d_fixed * d_real).sum() / np.linalg.norm(d_fixed) / np.linalg.norm(d_real)
    assert cosine > 0.9, cosine


def test_sampled_traces_pair_each_epochs_last_step_only():
    """traces="sampled": an epoch's update is N eta e_post(t) r_pre(t-1)^T of its
    last step, as Lava's learning engine samples; "filtered" differs."""
    from lava_vle import LayerSpec, NetworkSpec, Simulator, init_params

    spec = NetworkSpec(n_in=2, dt=0.1, learning_epoch=4, layers=(
        LayerSpec(3, 1.0, 1.0, "tanh"), LayerSpec(2, 0.5, 0.5, "linear")))
    params = init_params(spec, seed=0)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((8, 1, 2)), rng.standard_normal((8, 1, 2))
    sim = Simulator(spec, params)
    run = sim.run(x, y, plasticity="accumulate", eta=1.0, record=("e_breve", "rates"))
    sampled = sim.run(x, y, plasticity="accumulate", eta=1.0, traces="sampled")
    e_out, r_hidden = run.trace["e_breve"][1], run.trace["rates"][1]
    want = sum(4 * e_out[t].T @ r_hidden[t - 1] for t in (3, 7))  # steps 4 and 8 end epochs
    np.testing.assert_allclose(sampled.updates[0][1], want, rtol=1e-10)
    assert not np.allclose(run.updates[0][1], want)
    with pytest.raises(ValueError, match="traces='all'"):
        sim.run(x, y, plasticity="accumulate", traces="all")


@pytest.mark.parametrize("kind", ["per-synapse", "grouped"])
@pytest.mark.parametrize("layers,batch,n_post,n_pre,per_sample_constants",
                         [(1, 50, 16, 12, False), (2, 7, 5, 3, True), (3, 4, 6, 1, False)])
def test_trainer_eligibility_summed_per_window_equals_the_stepped_equations(
        kind, layers, batch, n_post, n_pre, per_sample_constants):
    """The fused trainer's numpy e-prop against ``eligibility_step`` +
    ``eligibility_delta`` stepped per synapse as the equations, over windows
    of 3, 1 and 5 steps and one flushed with nothing recorded: per synapse
    (steps recorded, each window's update and eps in closed form at the
    flush), and grouped by time constant where k_m takes few values (one eps
    per pre-synaptic neuron and time constant; k_r differs per neuron)."""
    from lava_vle.arithmetic import eligibility_delta
    from lava_vle.plasticity import (_Eligibility, _GroupedEligibility, eligibility_step,
                                     eligibility_traces)
    rng = np.random.default_rng(0)
    if kind == "per-synapse":
        k_m = rng.uniform(0.01, 0.5, (layers, 1, n_post))
    else:
        k_m = rng.choice([0.05, 0.2, 0.5], (layers, 1, n_post))
    k_r = rng.uniform(0.5, 3.0, (layers, 1, n_post))
    if per_sample_constants:
        k_m, k_r = (np.broadcast_to(k, (layers, batch, n_post)) for k in (k_m, k_r))
    if kind == "per-synapse":
        fast = _Eligibility((layers, batch, n_post), n_pre, np.zeros(1))
    else:
        fast = eligibility_traces((layers, batch, n_post), n_pre, np.zeros(1), k_m)
        assert isinstance(fast, _GroupedEligibility)
    eps = np.zeros((layers, batch, n_post, n_pre))
    for window in (3, 1, 0, 5):
        expected = np.zeros((layers, n_post, n_pre))
        for _ in range(window):
            r, phi_prime, signal = (rng.normal(size=(layers, batch, n)) for n in (n_pre, n_post,
                                                                                  n_post))
            assert fast.step(r, phi_prime, signal, k_m, k_r) is None
            eps, elig = eligibility_step(eps, r, phi_prime, k_m, k_r)
            expected += eligibility_delta(signal, elig)
        update = fast.flush()
        if window == 0:
            assert update is None
            continue
        np.testing.assert_allclose(update, expected, rtol=1e-11, atol=1e-11)
        if kind == "per-synapse":
            np.testing.assert_allclose(fast.eps, eps, rtol=0, atol=1e-12)


def test_eligibility_keeps_one_eps_per_synapse_where_time_constants_are_many():
    from lava_vle.plasticity import MAX_TIME_CONSTANT_GROUPS, _Eligibility, eligibility_traces
    n = MAX_TIME_CONSTANT_GROUPS + 1
    k_m = np.linspace(0.1, 0.5, n)[None, None, :]
    assert isinstance(eligibility_traces((1, 4, n), 3, np.zeros(1), k_m), _Eligibility)


# --- FloatArithmetic against its equations, written out here ------------------------
# The simulator, the fused trainer and the Lava models share FloatArithmetic, so
# their agreement cannot catch an error in it; these tests state each equation.

def test_float_learning_trace_relaxes_by_one_over_n_and_scales_by_eta_and_modulator():
    from lava_vle.arithmetic import FloatArithmetic as A

    assert [A.trace_decay(n) for n in (1, 4, 16)] == [1.0, 0.25, 0.0625]
    e = np.array([[0.5, -1.0], [2.0, 0.25]], np.float32)
    assert A.learning_trace(e, None, 1.0) is e  # m = 1, eta = 1: e_breve itself, no copy
    np.testing.assert_array_equal(A.learning_trace(e, None, 0.5), 0.5 * e)
    traced = A.learning_trace(e, np.array([2.0, -1.0]), 0.5)
    np.testing.assert_array_equal(traced, [[0.5, -1.0], [-1.0, -0.125]])
    assert traced.dtype == np.float32


def test_float_sigma_delta_sends_a_value_only_when_it_moved_beyond_the_threshold():
    import torch
    from lava_vle.arithmetic import FloatArithmetic as A

    value, last = np.array([1.0, 1.05, -0.5, 0.3, 1.5]), np.array([0.8, 1.0, -0.5, -0.3, 1.0])
    # moved by more than 0.5: sent; by 0.5 exactly (the last): held
    np.testing.assert_array_equal(A.sigma_delta(value, last, 0.5), [0.8, 1.0, -0.5, 0.3, 1.0])
    value, last = value[:4], last[:4]
    np.testing.assert_array_equal(A.sigma_delta(value, last, 0.1), [1.0, 1.0, -0.5, 0.3])
    np.testing.assert_array_equal(A.sigma_delta(np.array([1.5]), np.array([1.0]), 0.5), [1.0])
    v = torch.tensor(value, requires_grad=True)
    held = A.sigma_delta(v, torch.tensor(last), 0.1)
    np.testing.assert_array_equal(held.detach().numpy(), [1.0, 1.0, -0.5, 0.3])
    held.sum().backward()  # straight through: d held / d value = 1 everywhere
    np.testing.assert_array_equal(v.grad.numpy(), np.ones(4))
    at_threshold = A.sigma_delta(torch.tensor([1.5]), torch.tensor([1.0]), 0.5)
    np.testing.assert_array_equal(at_threshold.numpy(), [1.0])


def test_float_spike_encoder_fires_the_sign_at_unit_magnitude_and_keeps_the_remainder():
    import torch
    from lava_vle.arithmetic import FloatArithmetic as A

    acc = np.array([0.5, -0.5, 0.0, 0.2], np.float32)
    rate = np.array([0.5, -0.6, 0.99, 1.5], np.float32)
    left, spikes = A.spike_encode(acc, rate)
    np.testing.assert_array_equal(spikes, [1.0, -1.0, 0.0, 1.0])
    np.testing.assert_allclose(left, [0.0, -0.1, 0.99, 0.7], atol=1e-6)
    assert left.dtype == spikes.dtype == np.float32
    r = torch.tensor(rate, requires_grad=True)
    left_t, spikes_t = A.spike_encode(torch.tensor(acc), r)
    np.testing.assert_array_equal(spikes_t.detach().numpy(), spikes)
    np.testing.assert_allclose(left_t.numpy(), left, atol=1e-6)
    spikes_t.sum().backward()  # the surrogate: spikes pass r's gradient straight through
    np.testing.assert_array_equal(r.grad.numpy(), np.ones(4))


@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_select_takes_a_where_the_mask_holds_and_a_itself_for_true(precision):
    from lava_vle.arithmetic import ARITHMETICS

    A = ARITHMETICS[precision]
    a, b = np.array([1, 2, 3]), np.array([7, 8, 9])
    assert A.select(True, a, b) is a
    np.testing.assert_array_equal(A.select(np.array([True, False, True]), a, b), [1, 8, 3])
    if precision == "float":
        import torch

        picked = A.select(torch.tensor([False, True, False]), torch.tensor(a), torch.tensor(b))
        np.testing.assert_array_equal(picked.numpy(), [7, 2, 9])


def test_float_synapses_and_slopes_write_into_the_buffers_they_are_given():
    """The numpy step allocates nothing: forward, backward and phi' fill ``out``."""
    from lava_vle.activations import get_activation
    from lava_vle.arithmetic import FloatArithmetic as A

    w = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]])  # (n_post, n_pre)
    r, e = np.array([[1.0, -1.0, 2.0]]), np.array([[2.0, -1.0]])
    for method, args, expected in ((A.forward, (w, None, r), [[-1.0, 4.5]]),
                                   (A.backward, (w, None, e), [[3.0, 3.5, -3.0]])):
        out = np.zeros_like(np.asarray(expected))
        assert method(*args, out=out) is out
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(method(*args), expected)
    act, u = get_activation("tanh"), np.array([[0.0, 0.5, -2.0]])
    out = np.zeros_like(u)
    assert A.phi_prime(act, u, np.tanh(u), out=out) is out
    np.testing.assert_allclose(out, 1.0 - np.tanh(u) ** 2, rtol=1e-12)


def test_float_rates_and_compartment_sums_fill_the_buffers_they_are_given():
    from lava_vle.activations import get_activation
    from lava_vle.arithmetic import FloatArithmetic as A

    act, u = get_activation("tanh"), np.array([[0.0, 0.5, -2.0]])
    rate = np.zeros_like(u)
    assert A.phi(act, u, out=rate) is rate
    np.testing.assert_allclose(rate, np.tanh(u), rtol=1e-12)
    a, b, c = np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.array([0.5, 0.25])
    total = np.full(2, 99.0)
    assert A.total([a, b, c], out=total) is total  # the first term copied in, then added
    np.testing.assert_array_equal(total, [11.5, 22.25])
    assert A.total([total, c], out=total) is total  # accumulated in place
    np.testing.assert_array_equal(total, [12.0, 22.5])
    np.testing.assert_array_equal(A.total([a, b]), [11.0, 22.0])


def test_float_neuron_constants_are_the_euler_factors_of_both_compartments():
    from lava_vle.arithmetic import FloatArithmetic as A

    k = A.neuron_constants(0.1, [2.0, 0.5], [0.5, 0.5])
    np.testing.assert_allclose(k["k_m"], [0.05, 0.2])   # dt / tau_m
    np.testing.assert_allclose(k["k_r"], [0.25, 1.0])   # tau_r / tau_m
    np.testing.assert_allclose(k["k_v"], [0.2, 0.2])    # dt / tau_r
    np.testing.assert_allclose(k["k_e"], [4.0, 1.0])    # tau_m / tau_r


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)], ids=["layer", "stack"])
def test_fixed_learning_trace_without_a_modulator_is_the_one_with_m_1(shape):
    from lava_vle import fixed_point as fxp
    from lava_vle.arithmetic import FixedArithmetic as A

    e = np.random.default_rng(3).integers(-(1 << 20), 1 << 20, shape)
    ones = fxp.modulator_to_fixed(np.ones(shape[-2]))  # 64 per sample
    np.testing.assert_array_equal(A.learning_trace(e, None, (100, -4)),
                                  A.learning_trace(e, ones, (100, -4)))


def test_recurrent_loop_gain_caps_the_frobenius_norm_at_the_loop_gain_per_matrix():
    from lava_vle.arithmetic import FixedArithmetic, FloatArithmetic
    from lava_vle.dynamics import LOOP_GAIN, recurrent_loop_gain

    w = np.zeros((3, 3))
    w[0, 1] = 2.0 * LOOP_GAIN  # ||W||_F = 2 LOOP_GAIN: halved
    gain = recurrent_loop_gain(FloatArithmetic, w)
    assert gain.shape == () and gain == pytest.approx(0.5)
    assert recurrent_loop_gain(FloatArithmetic, 0.1 * w / LOOP_GAIN) == 1.0  # within: untouched
    stack = recurrent_loop_gain(FloatArithmetic, np.stack([w, np.zeros((3, 3))]))
    assert stack.shape == (2, 1, 1) and stack.ravel().tolist() == [0.5, 1.0]
    assert recurrent_loop_gain(FixedArithmetic, w) == 2048  # 0.5 as a 16-bit factor


def test_error_dendrite_fills_its_buffers_and_the_loss_scale_names_beta_times_weight():
    from lava_vle.arithmetic import FixedArithmetic, FloatArithmetic as A
    from lava_vle import fixed_point as fxp
    from lava_vle.dynamics import error_dendrite, loss_scale

    c = A.neuron_constants(0.1, [1.0, 1.0], [0.5, 0.5])
    v, e_in, slope = np.array([[0.2, -0.4]]), np.array([[1.0, 2.0]]), np.array([[0.5, 1.0]])
    out = (np.empty((1, 2)), np.empty((1, 2)))
    v_new, e_breve = error_dendrite(A, c, v, e_in, slope, out=out)
    assert v_new is out[0] and e_breve is out[1]
    e_inst = slope * e_in  # v += (dt/tau_r)(e_inst - v); e_breve = v + (tau_m/tau_r)(e_inst - v)
    np.testing.assert_allclose(v_new, v + 0.2 * (e_inst - v))
    np.testing.assert_allclose(e_breve, v + 2.0 * (e_inst - v))
    with pytest.raises(fxp.FixedPointRangeError, match=r"^beta \* loss_weight=20 must lie in"):
        loss_scale(FixedArithmetic, 10.0, 2.0)


def test_synapse_input_and_neuron_steps_fill_the_buffers_they_are_given():
    """The numpy step allocates nothing: W r + b, the summed input and the
    neuron's (u, u_breve, r) land in the preallocated arrays."""
    from lava_vle.activations import get_activation
    from lava_vle.arithmetic import FloatArithmetic as A
    from lava_vle.dynamics import neuron_input, representation_neuron, synaptic_drive

    w, b, r = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.1, 0.2]), np.array([[1.0, 1.0]])
    drive = np.empty((1, 2))
    assert synaptic_drive(A, w, None, b, r, out=drive) is drive
    np.testing.assert_allclose(drive, [[3.1, -0.3]])
    total = np.empty((1, 2))
    e_breve = np.array([[1.0, -1.0]])
    assert neuron_input(A, [drive, drive], e_breve, 0.5, out=total) is total
    np.testing.assert_allclose(total, [[6.7, -1.1]])  # 2 W r + 2 b + gamma e_breve
    c = A.neuron_constants(0.1, [1.0, 1.0], [0.5, 0.5])
    u = np.array([[0.0, 1.0]])
    out = (np.empty((1, 2)), np.empty((1, 2)), np.empty((1, 2)))
    stepped = representation_neuron(A, c, get_activation("tanh"), u, total, out=out)
    assert all(got is buffer for got, buffer in zip(stepped, out))
    np.testing.assert_allclose(stepped[0], u + 0.1 * (total - u))  # u += dt/tau_m (I - u)
    np.testing.assert_allclose(stepped[1], u + 0.5 * (total - u))  # u_breve
    np.testing.assert_allclose(stepped[2], np.tanh(stepped[1]))
