"""The fused VLENetwork model: one process, bit for bit the composed processes."""
import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.io import sink
from lava.proc.io.source import RingBuffer

from lava_vle import fixed_point as fxp
from lava_vle.spec import init_params
from lava_vle.processes import stopping
from lava_vle.processes.fused_vle_network.models import (PyFusedVLENetworkModelFixed,
                                                         PyFusedVLENetworkModelFloat)
from lava_vle.processes.vle_network.process import VLENetwork
from lava_vle.simulator import Simulator

from .test_stacked_fixed import chain_spec
from .test_processes import ETA, SEED, sim_state, signals, three_layer_spec

pytestmark = pytest.mark.slow  # runs the Lava runtime

STATE = {"u": "u", "v": "v", "u_breve": "u_breve", "e_breve": "e_breve", "rates": "r"}


def run_network(spec, params, precision, fused, x, y, chunks, between=None):
    """Run ``VLENetwork`` on x, y (batch of one) in ``chunks`` of steps.

    Calls ``between(net)`` after every chunk but the last. Returns the output
    rates (T, n_out) in port units, the state per population, the real
    weights and biases (and fixed_pt: their accumulators), and the
    model classes of the processes the network compiled to.
    """
    to_port = fxp.to_state if precision == "fixed" else (lambda a: a)
    dtype = np.int32 if precision == "fixed" else float
    net = VLENetwork(spec=spec, params=params, learning_rate=ETA, seed=SEED, fused=fused)
    RingBuffer(data=to_port(x[:, 0, :]).T.astype(dtype)).s_out.connect(net.s_in)
    RingBuffer(data=to_port(y[:, 0, :]).T.astype(dtype)).s_out.connect(net.target_in)
    out = sink.RingBuffer(shape=(spec.n_out,), buffer=sum(chunks))
    net.s_out.connect(out.a_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt" if precision == "fixed" else "floating_pt")
    weights = ("weights", "bias") + (("weight_acc", "bias_acc") if precision == "fixed" else ())
    with stopping(net):
        for n, steps in enumerate(chunks):
            net.run(condition=RunSteps(steps), run_cfg=cfg)
            if between is not None and n < len(chunks) - 1:
                between(net)
        outputs = out.data.get().T
        if fused:
            state = {name: net.read(name) for name in STATE}
            state["rates"] = state["rates"][1:]  # without the input
            plastic = [net.read(name) for name in weights]
        else:
            state, plastic = composed_values(net.procs, spec, weights)
        models = [p.model_class for p in net.procs.members]
    return outputs, state, plastic, models


def composed_values(children, spec, weights):
    """State per population and plastic arrays, read from the composed children."""
    neurons = [getattr(children, f"neuron{l}") for l in range(1, spec.n_layers + 1)]
    dendrites = [getattr(children, f"dendrite{l}") for l in range(1, spec.n_layers + 1)]
    synapses = [getattr(children, f"synapse{k}") for k in range(len(spec.projections))]
    state = {name: [getattr(proc, "r" if name == "rates" else name).get()
                    for proc in (dendrites if name in ("v", "e_breve") else neurons)]
             for name in STATE}
    plastic = [[getattr(s, name).get() for s in synapses] if name.startswith("weight") else
               [getattr(synapses[k], name).get() for k in spec.bias_carriers()]
               for name in weights]
    return state, plastic


@pytest.mark.parametrize("spec", [three_layer_spec(),
                                  three_layer_spec(gamma=0.5, feedback="random"),
                                  three_layer_spec(spiking=True, recurrent_error="none"),
                                  three_layer_spec(sigma_delta=0.02, error_sigma_delta=0.002,
                                                   learning_epoch=8),
                                  chain_spec(feedback="random", gamma=0.5),
                                  chain_spec(sigma_delta=0.02, learning_epoch=4)],
                         ids=["mirrored", "random-feedback-nudged", "spiking-truncated",
                              "sigma-delta-learning-epoch-8",
                              "chain-stacked-random-feedback-nudged",
                              "chain-stacked-sigma-delta-learning-epoch-4"])
def test_fused_fixed_pt_network_equals_composed_bit_for_bit_over_200_steps(spec):
    params = init_params(spec, seed=3)
    x, y = signals(200)
    fused = run_network(spec, params, "fixed", True, x, y, chunks=(100, 100))
    composed = run_network(spec, params, "fixed", False, x, y, chunks=(100, 100))
    assert fused[3] == [PyFusedVLENetworkModelFixed]
    assert len(composed[3]) == 2 * spec.n_layers + len(spec.projections) + 2
    assert np.array_equal(fused[0], composed[0]), "outputs differ"
    for name in STATE:
        for l, (got, want) in enumerate(zip(fused[1][name], composed[1][name])):
            assert np.array_equal(got, want), f"{name}[{l}] differs"
    for kind, got, want in zip(("weights", "bias", "weight_acc", "bias_acc"), fused[2],
                               composed[2]):
        for k, (a, b) in enumerate(zip(got, want)):
            assert np.array_equal(a, b), f"{kind}[{k}] differs"
    initial = Simulator(spec, params, "fixed").params.weight_acc
    assert any(not np.array_equal(a, b) for a, b in zip(initial, fused[2][2]))


def test_fused_floating_pt_network_agrees_with_composed_to_1e6():
    spec = three_layer_spec(gamma=0.2)
    params = init_params(spec, seed=3)
    x, y = signals(200)
    fused = run_network(spec, params, "float", True, x, y, chunks=(200,))
    composed = run_network(spec, params, "float", False, x, y, chunks=(200,))
    assert fused[3] == [PyFusedVLENetworkModelFloat]
    np.testing.assert_allclose(fused[0], composed[0], rtol=0, atol=1e-6)
    for name in STATE:
        for got, want in zip(fused[1][name], composed[1][name]):
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    for got, want in zip(fused[2], composed[2]):
        for a, b in zip(got, want):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize("spec", [three_layer_spec(), chain_spec()],
                         ids=["per-population", "chain-stacked"])
def test_fused_vars_set_between_runs_take_effect_as_in_the_simulator(spec):
    """learning_rate and the weights are read from the Vars every step: set
    after step 20, the fused fixed_pt run equals a simulator run whose eta
    and first weight matrix change at step 20 (a chain steps its integer
    layer stacks, other networks population by population)."""
    params = init_params(spec, seed=3)
    x, y = signals(60)
    sim = Simulator(spec, params, "fixed", seed=SEED)
    first = sim.run(x[:20], y[:20], plasticity="apply", eta=ETA)
    sim.params.weight_acc[0] = -sim.params.weight_acc[0]
    second = sim.run(x[20:], y[20:], plasticity="apply", eta=ETA / 2, state=first.state,
                     first_step=21)

    def change(net):
        net.learning_rate.set(np.array([ETA / 2]))
        acc = net.weight_acc.get()
        size = net.read("weight_acc")[0].size
        acc[:size] = -acc[:size]
        net.weight_acc.set(acc)

    outputs, state, plastic, _ = run_network(spec, params, "fixed", True, x, y, chunks=(20, 40),
                                             between=change)
    assert np.array_equal(outputs[20:], fxp.to_state(second.outputs[:, 0]))
    for name, layers in state.items():
        for got, want in zip(layers, sim_state(second)[STATE[name]]):
            assert np.array_equal(got, want[0]), name
    for got, want in zip(plastic[2], sim.params.weight_acc):
        assert np.array_equal(got, want)


def test_read_names_the_fused_vars_and_where_composed_state_lives():
    spec = three_layer_spec()
    with pytest.raises(ValueError, match=r"no Var 'weight_acc': only the fused .*procs\.synapse0"):
        VLENetwork(spec=spec).read("weight_acc")
    with pytest.raises(ValueError, match=r"name='w' is not a Var of a fused VLE network"):
        VLENetwork(spec=spec, fused=True).read("w")
    pieces = VLENetwork(spec=spec, fused=True).read("weights")
    assert [p.shape for p in pieces] == [(5, 2), (5, 5), (4, 5), (2, 4)]


def test_fused_external_modulator_gates_learning():
    """m(t) from m_in: zero freezes every weight, one learns as the constant m = 1."""
    spec = three_layer_spec()
    params = init_params(spec, seed=3)
    x, y = signals(40)
    learned = []
    for m in (0.0, 1.0):
        net = VLENetwork(spec=spec, params=params, learning_rate=ETA, seed=SEED,
                         external_modulator=True, fused=True)
        RingBuffer(data=fxp.to_state(x[:, 0, :]).T.astype(np.int32)).s_out.connect(net.s_in)
        RingBuffer(data=fxp.to_state(y[:, 0, :]).T.astype(np.int32)).s_out.connect(net.target_in)
        gate = np.full((1, 40), fxp.modulator_to_fixed(m), dtype=np.int32)
        RingBuffer(data=gate).s_out.connect(net.m_in)
        with stopping(net):
            net.run(condition=RunSteps(40), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
            learned.append(net.read("weight_acc"))
    sim = Simulator(spec, params, "fixed", seed=SEED)
    initial = [a.copy() for a in sim.params.weight_acc]
    sim.run(x, y, plasticity="apply", eta=ETA)
    for frozen, learning, start, want in zip(*learned, initial, sim.params.weight_acc):
        assert np.array_equal(frozen, start) and np.array_equal(learning, want)


@pytest.mark.parametrize("mode", ["stable", "eprop"])
@pytest.mark.parametrize("precision", ["fixed", "float"])
def test_fused_network_runs_the_recurrent_modes_as_the_simulator_over_200_steps(precision, mode):
    """recurrent_error 'stable' (c W^T v on the recurrent error path) and
    'eprop' (per-synapse eligibility in the ``eligibility`` Var) in the fused
    model: fixed_pt bit for bit the simulator with learning on, floating_pt
    to 1e-9 (composed 'stable': test_processes)."""
    spec = three_layer_spec(recurrent_error=mode)
    params = init_params(spec, seed=3)
    x, y = signals(200)
    sim = Simulator(spec, params, precision, seed=SEED)
    expected = sim.run(x, y, plasticity="apply", eta=ETA)
    outputs, state, plastic, _ = run_network(spec, params, precision, True, x, y,
                                             chunks=(100, 100))
    to_port = fxp.to_state if precision == "fixed" else (lambda a: a)
    want = to_port(expected.outputs[:, 0])
    if precision == "fixed":
        assert np.array_equal(outputs, want)
        for got, ref in zip(plastic[2], sim.params.weight_acc):
            assert np.array_equal(got, ref)
    else:
        np.testing.assert_allclose(outputs, want, rtol=0, atol=1e-9)
    if mode == "eprop":  # the recurrent projection (1) learned by e-prop
        initial = Simulator(spec, params, precision).params.plastic_arrays()[0][1]
        assert not np.array_equal(sim.params.plastic_arrays()[0][1], initial)


@pytest.mark.parametrize("fused", [True, False], ids=["fused", "composed"])
def test_a_var_set_of_nan_or_another_shape_is_refused_naming_the_var(fused):
    """Lava would write a shorter value into the first elements and keep the
    rest, and let NaN into the state; every VLE process's Vars refuse both."""
    spec = chain_spec()
    net = VLENetwork(spec=spec, params=init_params(spec, seed=3), fused=fused)
    RingBuffer(data=np.ones((spec.n_in, 10))).s_out.connect(net.s_in)
    holder = net if fused else net.procs.synapse0
    with stopping(net):
        net.run(condition=RunSteps(2), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
        weights = holder.weights.get()
        with pytest.raises(ValueError, match=r"weights.set: a value of shape \(3,\); the Var "
                                             r"has shape"):
            holder.weights.set(weights.ravel()[:3])
        weights.flat[0] = np.nan
        with pytest.raises(ValueError, match="weights.set: NaN or inf in 1 of"):
            holder.weights.set(weights)
        weights.flat[0] = 0.5
        holder.weights.set(weights)  # a finite value of the right shape takes effect
        assert holder.weights.get().flat[0] == pytest.approx(0.5)
    with pytest.raises(RuntimeError, match="weights.get: the run has stopped"):
        holder.weights.get()


def test_a_monitor_reads_every_step_of_a_fixed_chain_and_a_set_state_takes_effect():
    """The fixed_pt chain keeps its state between steps and brings the Vars
    up to date around Var.get and Var.set: a Monitor probing ``u`` (a VarPort,
    read while the network runs) records the simulator's u at every step,
    and ``u`` set to zero between two runs restarts the membranes there."""
    from dataclasses import replace

    from lava.proc.monitor.process import Monitor

    spec = chain_spec()
    params = init_params(spec, seed=3)
    x, y = signals(40)
    sim = Simulator(spec, params, "fixed", seed=SEED)
    first = sim.run(x[:20], y[:20], plasticity="apply", eta=ETA, record=("u",))
    restarted = replace(first.state, u=tuple(np.zeros_like(u) for u in first.state.u))
    second = sim.run(x[20:], y[20:], plasticity="apply", eta=ETA, state=restarted,
                     first_step=21, record=("u",))

    net = VLENetwork(spec=spec, params=params, learning_rate=ETA, seed=SEED, fused=True)
    RingBuffer(data=fxp.to_state(x[:, 0, :]).T.astype(np.int32)).s_out.connect(net.s_in)
    RingBuffer(data=fxp.to_state(y[:, 0, :]).T.astype(np.int32)).s_out.connect(net.target_in)
    out = sink.RingBuffer(shape=(spec.n_out,), buffer=40)
    net.s_out.connect(out.a_in)
    monitor = Monitor()
    monitor.probe(net.u, 40)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    with stopping(net):
        net.run(condition=RunSteps(20), run_cfg=cfg)
        net.u.set(np.zeros_like(net.u.get()))
        net.run(condition=RunSteps(20), run_cfg=cfg)
        probed = monitor.get_data()[net.name]["u"]
        outputs = out.data.get().T
        final_u = net.read("u")
    per_step = [np.concatenate([u[:, 0] for u in run.trace["u"]], axis=-1)
                for run in (first, second)]
    assert np.array_equal(probed, np.concatenate(per_step))
    assert np.array_equal(outputs[20:], fxp.to_state(second.outputs[:, 0]))
    for got, want in zip(final_u, second.state.u):
        assert np.array_equal(got, want[0])
