"""The fused stacked simulator computes exactly what the reference simulator does."""
import numpy as np
import pytest

from lava_vle.stacked import StackedNetwork
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.plasticity import LocalRule
from lava_vle.learners import VLELocal
from lava_vle.simulator import Simulator


def run_fused(spec, params, x, y):
    """Outputs and accumulated local updates (forward projections) of the fused
    time loop with the stacked local rule the trainer uses."""
    net = StackedNetwork(spec, np.float64)
    p = net.pack(params)
    batch = x.shape[1]
    sums = [np.zeros_like(a) for a in p.arrays()]
    rule, modulator = LocalRule(1.0), np.ones(batch)

    def learn(t, state, rates_pre, rates_before):
        net.output_error(state, y[t], np.ones((batch, 1)))
        rule.accumulate_stacked(sums, rule.trace(state.e_breve, modulator), rates_pre,
                                None if p.R is None else rates_before, net.recurrent_mask)

    outputs, _ = net.run(p, x, errors=True, on_step=learn)
    return outputs, sums[0], net, p


@pytest.mark.parametrize("recurrent,spiking,sigma_delta,recurrent_error",
                         [(False, False, 0.0, "loop"), (True, False, 0.0, "loop"),
                          (True, True, 0.0, "loop"), (True, False, 0.05, "loop"),
                          (True, False, 0.0, "stable")],
                         ids=["feedforward", "recurrent", "recurrent-spiking", "sigma-delta",
                              "recurrent-stable"])
@pytest.mark.parametrize("feedback", ["mirrored", "random"])
def test_fused_step_equals_reference_simulator_over_50_steps(recurrent, spiking, sigma_delta,
                                                             recurrent_error, feedback):
    spec = NetworkSpec(
        n_in=3, dt=0.1, loss="ce", gamma=0.1, feedback=feedback,
        recurrent_error=recurrent_error,
        layers=(LayerSpec(6, 1.0, [1, 1, 0.5, 1, 0.3, 1.0], "tanh", recurrent=recurrent,
                          spiking=spiking, sigma_delta=sigma_delta,
                          error_sigma_delta=sigma_delta / 10),
                LayerSpec(5, 0.8, 0.8, "hard_tanh", recurrent=recurrent, spiking=spiking,
                          sigma_delta=sigma_delta),
                LayerSpec(2, 0.5, 0.5, "linear")))
    params = init_params(spec, seed=2)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4, 3))
    y = np.eye(2)[rng.integers(0, 2, size=(50, 4))]
    reference = Simulator(spec, params).run(x, y, plasticity="accumulate", eta=1.0)
    outputs, d_weights, net, p = run_fused(spec, params, x, y)
    np.testing.assert_allclose(outputs, reference.outputs, rtol=0, atol=1e-12)
    forward = [k for k, proj in enumerate(spec.projections) if proj.pre == proj.post - 1]
    for layer, k in enumerate(forward):
        rows, cols = reference.updates[0][k].shape
        np.testing.assert_allclose(d_weights[layer, :rows, :cols], reference.updates[0][k],
                                   rtol=0, atol=1e-12)
    assert np.all(d_weights[0, :, 3:] == 0) and np.all(d_weights[-1, 2:] == 0)  # padding
    back = net.unpack(p, params)
    assert all(np.array_equal(a, b) for a, b in zip(back.weights, params.weights))


def assert_one_sgd_step_is_the_simulators_summed_local_rule(spec, steps: int) -> None:
    """VLELocal with SGD (lr 1) and one update per sequence of ``steps`` moves
    every weight and bias by the simulator's summed e_breve_post r_pre^T / B
    (float32), and moves every weight."""
    params = init_params(spec, seed=4)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(steps, 5, 3)), 0.5 * rng.normal(size=(steps, 5, 2))
    weight = np.ones(steps)
    rule = VLELocal(spec, params, weight, lr=1.0, optimizer="sgd", update_interval=steps)
    rule.batch(x.astype(np.float32), y.astype(np.float32))
    moved = rule.float_params()
    reference = Simulator(spec, params).run(x, y, loss_weight=weight,
                                            plasticity="accumulate", eta=1.0)
    for k in range(len(spec.projections)):
        expected = params.weights[k] + reference.updates[0][k] / 5
        np.testing.assert_allclose(moved.weights[k], expected, rtol=1e-4, atol=1e-5)
        assert not np.allclose(moved.weights[k], params.weights[k], atol=1e-3)
    for l, bias in enumerate(params.biases):
        np.testing.assert_allclose(moved.biases[l], bias + reference.updates[1][l] / 5,
                                   rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("recurrent", [False, True], ids=["feedforward", "recurrent"])
def test_trainer_update_is_the_simulators_accumulated_local_rule_over_the_batch(recurrent):
    spec = NetworkSpec(
        n_in=3, dt=0.1, loss="mse",
        layers=(LayerSpec(6, 1.0, [1, 1, 0.5, 1, 0.3, 1.0], "tanh", recurrent=recurrent),
                LayerSpec(2, 0.5, 0.5, "linear")))
    assert_one_sgd_step_is_the_simulators_summed_local_rule(spec, 40)


@pytest.mark.parametrize("recurrent_error,learning_epoch",
                         [("loop", 4), ("eprop", 1), ("eprop", 3)],
                         ids=["loop-epoch-4", "eprop", "eprop-epoch-3"])
def test_trainer_update_is_the_simulators_over_learning_epochs_and_eprop(recurrent_error,
                                                                         learning_epoch):
    """As above, with the learning-epoch traces (N > 1: filtered pre and post
    traces, one update per epoch) and with e-prop eligibilities on the
    recurrent weights (on numpy deferred to the end of the update window)."""
    spec = NetworkSpec(
        n_in=3, dt=0.1, loss="mse", recurrent_error=recurrent_error,
        learning_epoch=learning_epoch,
        layers=(LayerSpec(6, 1.0, [1, 1, 0.5, 1, 0.3, 1.0], "tanh", recurrent=True),
                LayerSpec(4, 0.6, 0.3, "tanh", recurrent=True),
                LayerSpec(2, 0.5, 0.5, "linear")))
    assert_one_sgd_step_is_the_simulators_summed_local_rule(spec, 36)


def test_stacked_learning_sums_n_times_the_filtered_traces_once_per_epoch_and_restarts():
    """StackedLearning against the rule written out: per step the traces relax
    by 1/N toward eta m e_post, r_pre and the layer's own previous rates; an
    epoch's end adds N y x^T (recurrent only where the mask is 1); ``take``
    divides, and the next sums start from zero."""
    from lava_vle.plasticity import StackedLearning

    L, B, n, N, eta = 2, 3, 4, 2, 0.5
    rng = np.random.default_rng(0)
    arrays = [np.zeros((L, n, n)), np.zeros((L, 1, n)), np.zeros((L, n, n))]
    mask = np.array([1.0, 0.0])[:, None, None]
    learning = StackedLearning(LocalRule(eta, learning_epoch=N), arrays, (L, B, n), mask)
    m = np.array([1.0, -2.0, 0.5])
    post = pre = rec = np.zeros((L, B, n))
    expected = [np.zeros_like(a) for a in arrays]
    for step in range(1, 6):
        e, r, r_before = (rng.normal(size=(L, B, n)) for _ in range(3))
        assert learning.observe(step, e, m, r, r_before) == (step % N == 0)
        post, pre, rec = (post + (eta * m[:, None] * e - post) / N, pre + (r - pre) / N,
                          rec + (r_before - rec) / N)
        if step % N == 0:
            expected[0] += np.einsum("lbi,lbj->lij", N * post, pre)
            expected[1] += (N * post).sum(axis=1)[:, None, :]
            expected[2] += np.einsum("lbi,lbj->lij", N * post, rec) * mask
    for got, want in zip(learning.take(2.0), expected):
        np.testing.assert_allclose(got, want / 2.0, rtol=1e-12, atol=1e-15)
    assert all(np.all(s == 0) for s in learning.take())


@pytest.mark.parametrize("all_weights", [False, True], ids=["eprop", "eprop-all"])
def test_stacked_eprop_reports_an_update_every_step_and_keeps_the_networks_dtype(all_weights):
    from lava_vle.plasticity import StackedLearning

    L, B, n = 2, 3, 4
    rng = np.random.default_rng(1)
    arrays = [np.zeros((L, n, n), np.float32), np.zeros((L, 1, n), np.float32),
              np.zeros((L, n, n), np.float32)]
    constants = {"k_m": np.full((L, B, n), 0.1, np.float32),
                 "k_r": np.full((L, B, n), 0.5, np.float32)}
    plain, doubled = (StackedLearning(LocalRule(1.0, learning_epoch=4), arrays, (L, B, n),
                                      np.ones((L, 1, 1), np.float32), constants, all_weights)
                      for _ in range(2))
    for step in range(1, 4):  # within the first learning epoch: only e-prop adds
        e, r, r_before, slope = (rng.random((L, B, n)).astype(np.float32) for _ in range(4))
        assert plain.observe(step, e, None, r, r_before, e, slope) is True
        doubled.observe(step, e, np.full(B, 2.0, np.float32), r, r_before, e, slope)
    assert all(elig.eps.dtype == np.float32 for elig in plain.elig.values())
    flushed = [s.copy() for s in plain.flush()]
    sums = plain.take()  # divided by 1 by default
    for got, want in zip(sums, flushed):
        np.testing.assert_array_equal(got, want)
    assert all(s.dtype == np.float32 for s in sums) and np.any(sums[2] != 0)
    assert np.any(sums[0] != 0) == all_weights
    for one, two in zip(sums, doubled.take()):  # the modulator scales the e-prop signal
        np.testing.assert_allclose(two, 2.0 * one, rtol=1e-6)


def test_eligibility_step_writes_into_the_buffers_it_is_given():
    from lava_vle.plasticity import eligibility_step

    rng = np.random.default_rng(2)
    eps0, r = rng.random((3, 4, 5)), rng.random((3, 5))
    slope, k_m, k_r = rng.random((3, 4)), np.full((3, 4), 0.1), np.full((3, 4), 0.5)
    out = (np.empty((3, 4, 5)), np.empty((3, 4, 5)))
    eps, elig = eligibility_step(eps0, r, slope, k_m, k_r, out=out)
    assert eps is out[0] and elig is out[1]
    np.testing.assert_allclose(eps, eps0 + 0.1 * (r[:, None, :] - eps0), rtol=1e-12)
    np.testing.assert_allclose(elig, slope[..., None] * (eps0 + 0.5 * (r[:, None, :] - eps0)),
                               rtol=1e-12)


def test_final_state_of_a_run_is_not_overwritten_by_the_next_run_on_the_same_buffers():
    """The numpy step reuses two slots of preallocated arrays; the state a
    run returns (which carry_state keeps across batches) is a copy."""
    spec = NetworkSpec(n_in=2, dt=0.1, loss="mse",
                       layers=(LayerSpec(4, 1.0, 0.5, "tanh", recurrent=True),
                               LayerSpec(2, 0.5, 0.5, "linear")))
    net = StackedNetwork(spec, np.float32)
    p = net.pack(init_params(spec, seed=0))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3, 2)).astype(np.float32)
    outputs, final = net.run(p, x, errors=True)
    kept = final.copy()
    again, _ = net.run(p, -x, errors=True)
    for name in ("u", "v", "r", "e_breve", "phi_prime"):
        np.testing.assert_array_equal(getattr(final, name), getattr(kept, name))
    assert not np.allclose(outputs, again)
    np.testing.assert_array_equal(net.run(p, x, errors=True)[0], outputs)  # buffers hold no history


def test_eprop_on_every_weight_equals_the_local_rule_where_units_have_no_memory():
    """Linear LE units (tau_m = tau_r): a synapse's eligibility is r_pre(t-1)
    and e_breve the error reaching the neuron, so 'eprop-all' and the local
    rule make the same update; with LI units (tau_r < tau_m, a memory) they differ."""
    from lava_vle.learners import local_updates

    def updates(mode, tau_m, tau_r):
        spec = NetworkSpec(n_in=3, dt=0.1, loss="mse", recurrent_error=mode,
                           layers=(LayerSpec(5, tau_m, tau_r, "linear"),
                                   LayerSpec(2, 0.1, 0.1, "linear")))
        params = init_params(spec, seed=2)
        rng = np.random.default_rng(0)
        x, y = rng.normal(size=(30, 4, 3)), rng.normal(size=(30, 4, 2))
        return local_updates(spec, params, x, y)

    for tau in (0.1, 1.0):
        local_rule, eprop_all = updates("none", tau, tau), updates("eprop-all", tau, tau)
        for local, eprop in zip(local_rule.weights + local_rule.biases,
                                eprop_all.weights + eprop_all.biases):
            np.testing.assert_allclose(eprop, local, rtol=1e-10, atol=1e-12)
    memory = updates("eprop-all", 1.0, 0.1).weights[0]
    assert not np.allclose(memory, updates("none", 1.0, 0.1).weights[0], rtol=1e-2)


def test_settle_steps_learn_what_the_sequence_padded_with_silent_unweighted_steps_learns():
    spec = NetworkSpec(n_in=3, dt=0.1, loss="mse",
                       layers=(LayerSpec(6, 1.0, 0.5, "tanh"), LayerSpec(2, 0.2, 0.2, "linear")))
    params = init_params(spec, seed=4)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 5, 3)).astype(np.float32)
    y = rng.normal(size=(20, 5, 2)).astype(np.float32)
    settled = VLELocal(spec, params, np.ones(20), lr=1e-2, update_interval=7, settle_steps=4)
    out = settled.batch(x, y)
    padded = VLELocal(spec, params, np.r_[np.ones(20), np.zeros(4)], lr=1e-2, update_interval=7)
    out_padded = padded.batch(np.concatenate([x, np.zeros((4, 5, 3), np.float32)]),
                              np.concatenate([y, np.repeat(y[-1:], 4, axis=0)]))
    assert out.shape == (20, 5, 2)
    np.testing.assert_array_equal(out, out_padded[:20])
    for a, b in zip(settled.params.arrays(), padded.params.arrays()):
        np.testing.assert_array_equal(a, b)
    plain = VLELocal(spec, params, np.ones(20), lr=1e-2, update_interval=7)
    plain.batch(x, y)
    assert not np.array_equal(plain.params.W, settled.params.W)
