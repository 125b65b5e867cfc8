"""Lava processes: bit-exact with the batched simulator, composable with stock Lava."""
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer
from lava.proc.lif.process import LIF
from lava.proc.monitor.process import Monitor

from lava_vle import fixed_point as fxp
from lava_vle.fixed_point import FixedPointRangeError
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.processes import graded_dense, stopping
from lava_vle.processes.error_dendrite.process import ErrorDendrite
from lava_vle.processes.neuromodulator.process import Neuromodulator
from lava_vle.processes.output_error.process import OutputError
from lava_vle.processes.plastic_synapse.process import PlasticSynapse
from lava_vle.processes.vle_network.process import VLENetwork
from lava_vle.processes.network_builder import build_vle_network
from lava_vle.processes.vle_neuron.process import VLENeuron
from lava_vle.simulator import Simulator
from lava_vle.synthetic_tasks import teacher_student

pytestmark = pytest.mark.slow  # runs the Lava runtime

ETA = 0.02
SEED = 7


def three_layer_spec(gamma=0.0, feedback="mirrored", spiking=False, recurrent_error="loop",
                     sigma_delta=0.0, error_sigma_delta=0.0, learning_epoch=1):
    """Recurrent LE/LI hidden layer, relu layer, linear output: every code path."""
    return NetworkSpec(
        n_in=2,
        layers=(LayerSpec(5, tau_m=1.0, tau_r=[1.0, 1.0, 0.5, 1.0, 0.8], activation="hard_tanh",
                          recurrent=True, spiking=spiking, sigma_delta=sigma_delta,
                          error_sigma_delta=error_sigma_delta),
                LayerSpec(4, tau_m=0.8, tau_r=0.4, activation="relu", spiking=spiking,
                          sigma_delta=sigma_delta, error_sigma_delta=error_sigma_delta),
                LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")),
        dt=0.1, gamma=gamma, feedback=feedback, recurrent_error=recurrent_error,
        learning_epoch=learning_epoch)


def signals(steps):
    t = np.arange(steps) * 0.1
    x = np.stack([np.sin(t), np.cos(0.7 * t)], -1)[:, None, :]
    y = 0.5 * np.stack([np.sin(t + 1.0), np.cos(0.3 * t)], -1)[:, None, :]
    return x, y


def run_lava(net, x, y, precision, chunks):
    """Run the network on x, y (batch of one) in ``chunks`` steps; yield after each."""
    to_port = fxp.to_state if precision == "fixed" else (lambda a: a)
    dtype = np.int32 if precision == "fixed" else float
    source = RingBuffer(data=to_port(x[:, 0, :]).T.astype(dtype))
    target = RingBuffer(data=to_port(y[:, 0, :]).T.astype(dtype))
    for syn in net.input_synapses:
        source.s_out.connect(syn.s_in)
    target.s_out.connect(net.output_error.target_in)
    cfg = Loihi2SimCfg(select_tag=f"{precision}_pt" if precision == "fixed" else "floating_pt")
    with stopping(net.output):
        for steps in chunks:
            net.output.run(condition=RunSteps(steps), run_cfg=cfg)
            yield


def lava_state(net):
    return {
        "u": [n.u.get() for n in net.neurons],
        "spike_acc": [n.spike_acc.get() for n in net.neurons],
        "u_breve": [n.u_breve.get() for n in net.neurons],
        "r": [n.r.get() for n in net.neurons],
        "v": [d.v.get() for d in net.dendrites],
        "e_breve": [d.e_breve.get() for d in net.dendrites],
        "e_target": [net.output_error.e_target.get()],
    }


def sim_state(result):
    s = result.state
    return {"u": s.u, "spike_acc": s.spike_acc, "u_breve": s.u_breve, "r": s.rates[1:], "v": s.v,
            "e_breve": s.e_breve, "e_target": [s.e_target]}


@pytest.mark.parametrize("spec", [three_layer_spec(),
                                  three_layer_spec(gamma=0.5, feedback="random"),
                                  three_layer_spec(spiking=True, recurrent_error="none"),
                                  three_layer_spec(sigma_delta=0.02, error_sigma_delta=0.002),
                                  three_layer_spec(learning_epoch=8),
                                  three_layer_spec(recurrent_error="stable"),
                                  three_layer_spec(recurrent_error="stable", feedback="random"),
                                  three_layer_spec(recurrent_error="eprop"),
                                  three_layer_spec(recurrent_error="eprop", gamma=0.5,
                                                   feedback="random", learning_epoch=4)],
                         ids=["mirrored", "random-feedback-nudged", "spiking-truncated",
                              "sigma-delta", "learning-epoch-8", "stable", "stable-random",
                              "eprop", "eprop-random-nudged-epoch-4"])
def test_fixed_pt_network_equals_batched_simulator_bit_for_bit_over_200_steps(spec):
    params = init_params(spec, seed=3)
    x, y = signals(200)
    sim = Simulator(spec, params, "fixed", seed=SEED)
    net = build_vle_network(spec, params, learning_rate=ETA, seed=SEED)
    done, state = 0, None
    for _ in run_lava(net, x, y, "fixed", chunks=(100, 100)):
        steps = 100
        result = sim.run(x[done:done + steps], y[done:done + steps], plasticity="apply", eta=ETA,
                         state=state, first_step=done + 1)
        state, done = result.state, done + steps
        expected = sim_state(result)
        for name, layers in lava_state(net).items():
            for l, (got, want) in enumerate(zip(layers, expected[name])):
                assert np.array_equal(got, want[0]), f"{name}[{l}] differs after {done} steps"
        for k, syn in enumerate(net.synapses):
            assert np.array_equal(syn.weight_acc.get(), sim.params.weight_acc[k]), f"W{k}"
            proj = spec.projections[k]
            assert np.array_equal(syn.post_trace.get(), state.post_trace[proj.post - 1][0])
            assert np.array_equal(syn.pre_trace.get(), state.pre_trace[proj.pre][0])
            if state.eligibility is not None and state.eligibility[k] is not None:
                assert np.array_equal(syn.eligibility.get(), state.eligibility[k][0]), f"eps{k}"
        carriers = {0: 0, 2: 1, 3: 2}  # projection -> population whose bias it carries
        for k, l in carriers.items():
            assert np.array_equal(net.synapses[k].bias_acc.get(), sim.params.bias_acc[l])
    initial = Simulator(spec, params, "fixed").params.weight_acc
    assert any(not np.array_equal(a, b) for a, b in zip(initial, sim.params.weight_acc))


@pytest.mark.parametrize("recurrent_error", ["loop", "stable", "eprop"])
def test_floating_pt_network_agrees_with_float_simulator_to_1e9(recurrent_error):
    spec = three_layer_spec(gamma=0.2, recurrent_error=recurrent_error)
    params = init_params(spec, seed=3)
    x, y = signals(200)
    sim = Simulator(spec, params, "float")
    result = sim.run(x, y, plasticity="apply", eta=ETA)
    net = build_vle_network(spec, params, learning_rate=ETA)
    for _ in run_lava(net, x, y, "float", chunks=(200,)):
        for name, layers in lava_state(net).items():
            for got, want in zip(layers, sim_state(result)[name]):
                np.testing.assert_allclose(got, want[0], rtol=0, atol=1e-9)
        for k, syn in enumerate(net.synapses):
            np.testing.assert_allclose(syn.weights.get(), sim.params.weights[k], rtol=0,
                                       atol=1e-9)
        if recurrent_error == "eprop":  # the recurrent projection learned by its eligibility
            recurrent = net.synapses[1]
            np.testing.assert_allclose(recurrent.eligibility.get(), result.state.eligibility[1][0],
                                       rtol=0, atol=1e-9)
            assert not np.allclose(recurrent.weights.get(), params.weights[1], atol=1e-3)


@pytest.mark.parametrize("precision", ["fixed", "float"])
@pytest.mark.parametrize("spec", [three_layer_spec(spiking=True, recurrent_error="none"),
                                  three_layer_spec(sigma_delta=0.02, error_sigma_delta=0.002),
                                  three_layer_spec(learning_epoch=16)],
                         ids=["spiking", "sigma-delta", "learning-epoch-16"])
def test_synop_counts_of_lava_runtime_equal_the_simulators(precision, spec):
    params = init_params(spec, seed=3)
    x, y = signals(80)
    sim = Simulator(spec, params, precision, seed=SEED)
    expected = sim.run(x, y, plasticity="apply", eta=ETA, count_synops=True).synops
    net = build_vle_network(spec, params, learning_rate=ETA, seed=SEED)
    for _ in run_lava(net, x, y, precision, chunks=(80,)):
        counted = np.sum([syn.synops.get() for syn in net.synapses], axis=0)
    assert counted.tolist() == [expected["forward"], expected["error_path"],
                                expected["weight_updates"]]
    dense = 80 * sum(spec.sizes[p.post] * spec.sizes[p.pre] for p in spec.projections)
    assert 0 < expected["forward"] < dense  # spikes: silent neurons send nothing


def test_modulator_zero_freezes_learning_in_lava_and_simulator():
    spec = three_layer_spec()
    params = init_params(spec, seed=3)
    x, y = signals(60)
    sim = Simulator(spec, params, "fixed", seed=SEED)
    sim.run(x, y, modulator=0.0, plasticity="apply", eta=ETA)
    net = build_vle_network(spec, params, learning_rate=ETA, seed=SEED, modulator=0.0)
    for _ in run_lava(net, x, y, "fixed", chunks=(60,)):
        for k, syn in enumerate(net.synapses):
            assert np.array_equal(syn.weight_acc.get(), sim.params.weight_acc[k])
            assert np.array_equal(syn.weight_acc.get(),
                                  Simulator(spec, params, "fixed").params.weight_acc[k])


def run_composed(learning_rate, period=100, repeats=6):
    """RingBuffer -> stock Dense -> VLENetwork -> stock LIF, Monitor on the output.

    Returns the mean |output - target| of each period, the LIF voltages and
    the first plastic synapse's weights.
    """
    spec = NetworkSpec(n_in=3, layers=(LayerSpec(12, 1.0, 1.0, "hard_tanh"),
                                       LayerSpec(2, 0.5, 0.5, "linear")), dt=0.1)
    t = np.arange(period) * 0.1 * 2 * np.pi / 10
    x = np.stack([np.sin(t), np.cos(t)])
    y = 0.5 * np.stack([np.sin(2 * t), np.cos(t) * np.sin(t)])
    source = RingBuffer(data=x)
    expand = Dense(weights=np.array([[1.0, 0.0], [0.0, 1.0], [0.7, -0.7]]), num_message_bits=24)
    net = VLENetwork(spec=spec, learning_rate=learning_rate, seed=1)
    target = RingBuffer(data=y)
    readout = LIF(shape=(2,), du=0.0, dv=0.1, vth=100.0)
    monitor = Monitor()
    source.s_out.connect(expand.s_in)
    expand.a_out.connect(net.s_in)
    target.s_out.connect(net.target_in)
    net.s_out.connect(readout.a_in)
    monitor.probe(net.s_out, period * repeats)
    with stopping(net):
        net.run(condition=RunSteps(period * repeats), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
        out = monitor.get_data()[net.name]["s_out"]
        lif_v = readout.v.get()
        weights = net.procs.synapse0.weights.get()
    errors = [np.abs(out[r * period:(r + 1) * period] - y.T).mean() for r in range(repeats)]
    return errors, lif_v, weights


def test_hierarchical_vle_network_composed_with_stock_dense_and_lif_learns():
    frozen, _, weights_before = run_composed(learning_rate=0.0)
    learning, lif_v, weights_after = run_composed(learning_rate=0.05)
    assert learning[-1] < 0.5 * frozen[-1]
    assert not np.allclose(weights_before, weights_after)
    assert np.all(np.isfinite(lif_v)) and np.abs(lif_v).max() > 0


def late_mse_of_composed_eprop_network(precision, learning_rate, repeats=3, steps=400):
    """Output MSE over the last of ``repeats`` presentations of the demo
    teacher task (teacher gain 1.5, seed 0) to a composed recurrent network
    whose recurrent synapses learn by e-prop."""
    spec = NetworkSpec(n_in=2, dt=0.1, loss="mse", recurrent_error="eprop", layers=(
        LayerSpec(16, tau_m=1.0, tau_r=0.5, activation="hard_tanh", recurrent=True),
        LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")))
    task = teacher_student(spec, steps=steps, batch=1, seed=0, teacher_gain=1.5)
    x, y = np.tile(task.x, (repeats, 1, 1)), np.tile(task.target, (repeats, 1, 1))
    net = build_vle_network(spec, task.student, learning_rate=learning_rate)
    assert [syn.proc_params["eprop"] for syn in net.synapses] == [False, True, False]
    monitor = Monitor()
    monitor.probe(net.output.s_out, steps * repeats)
    for _ in run_lava(net, x, y, precision, chunks=(steps * repeats,)):
        out = monitor.get_data()[net.output.name]["s_out"]
    out = fxp.from_state(out) if precision == "fixed" else out
    return float(np.mean((out[-steps:] - y[-steps:, 0]) ** 2))


@pytest.mark.parametrize("precision", ["fixed", "float"])
def test_composed_recurrent_network_learning_by_eprop_learns_the_demo_teacher_task(precision):
    frozen = late_mse_of_composed_eprop_network(precision, learning_rate=0.0)
    learning = late_mse_of_composed_eprop_network(precision, learning_rate=0.02)
    assert learning < frozen / 3, (learning, frozen)


def test_eprop_synapse_names_what_its_eligibility_needs():
    weights = np.zeros((3, 3))
    with pytest.raises(ValueError, match="eprop=True needs the post neurons' dt, tau_r"):
        PlasticSynapse(weights=weights, eprop=True, tau_m=1.0)
    with pytest.raises(ValueError, match="eprop=True learns the weights only: give bias=None"):
        PlasticSynapse(weights=weights, bias=np.zeros(3), eprop=True, tau_m=1.0, tau_r=1.0,
                       dt=0.1)
    with pytest.raises(ValueError, match="tau_m: .* given with eprop=True only"):
        PlasticSynapse(weights=weights, tau_m=1.0)
    with pytest.raises(ValueError, match=r"tau_r must be finite and >= dt=0\.1"):
        PlasticSynapse(weights=weights, eprop=True, tau_m=1.0, tau_r=0.05, dt=0.1)


def test_processes_reject_bad_parameters_with_named_ranges():
    with pytest.raises(ValueError, match=r"tau_r must be finite and >= dt=0\.1"):
        VLENeuron(shape=(3,), tau_m=1.0, tau_r=0.05, dt=0.1)
    with pytest.raises(FixedPointRangeError, match=r"tau_m/tau_r=20.*16-bit unsigned"):
        ErrorDendrite(shape=(3,), tau_m=2.0, tau_r=0.1, dt=0.1)
    with pytest.raises(ValueError, match=r"activation='tanh' has no fixed-point form"):
        VLENeuron(shape=(3,), activation="tanh")
    with pytest.raises(ValueError, match=r"shape=\(2, 3\) must be \(n,\)"):
        VLENeuron(shape=(2, 3))
    with pytest.raises(FixedPointRangeError, match=r"gamma=20 must lie in 0\.\.15\.99.*16-bit"):
        VLENeuron(shape=(3,), gamma=20.0)
    with pytest.raises(FixedPointRangeError, match=r"weight_exp=9 is out of range: allowed -16\.\.7"):
        PlasticSynapse(weights=np.ones((2, 3)), weight_exp=9)
    with pytest.raises(FixedPointRangeError, match=r"learning_rate=2\.0 is not representable"):
        PlasticSynapse(weights=np.ones((2, 3)), learning_rate=2.0)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        PlasticSynapse(weights=np.ones((2, 3)), bias=np.ones(3))
    with pytest.raises(ValueError, match=r"feedback must have the shape of weights"):
        PlasticSynapse(weights=np.ones((2, 3)), feedback=np.ones((3, 2)))
    with pytest.raises(FixedPointRangeError, match=r"value=5.*8-bit signed"):
        Neuromodulator(value=5.0)
    with pytest.raises(ValueError, match=r"loss='l1' must be one of"):
        OutputError(shape=(2,), loss="l1")
    with pytest.raises(TypeError, match="spec must be a lava_vle.spec.NetworkSpec"):
        VLENetwork(spec={"n_in": 2})


def test_lava_speed_benchmark_reports_both_precisions(tmp_path):
    from lava_vle.experiments.benchmarks import lava_speed

    results = lava_speed.main(["--out", str(tmp_path), "--steps", "30", "--hidden", "4",
                               "--fused-width", "4", "--chunks", "3"])
    for row in results["results"].values():
        assert row["vle_steps_per_s"] > 0 and row["stock_steps_per_s"] > 0
        assert row["processes"][0] == row["processes"][1]
    assert results["fused"]["sizes"] == [1, 4, 4, 4, 4, 4, 4, 10]
    for precision, row in results["fused"]["results"].items():
        assert row["ratio_fused_over_composed"] == results["ratio_fused_over_composed"][precision]
        assert row["ratio_fused_over_composed"] > 1 and row["processes"] == [25, 3]
    assert (tmp_path / "lava_speed.png").stat().st_size > 5_000


SHM_SCRIPT = """
import os
import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.io.source import RingBuffer
from lava_vle.spec import LayerSpec, NetworkSpec
from lava_vle.processes import stopping
from lava_vle.processes.vle_network.process import VLENetwork

spec = NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(2, activation="linear")))
net = VLENetwork(spec=spec, learning_rate=0.01)
RingBuffer(data=np.ones((2, 10))).s_out.connect(net.s_in)
RingBuffer(data=np.zeros((2, 10))).s_out.connect(net.target_in)
with stopping(net):
    net.run(condition=RunSteps(10), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
    print("during", len(os.listdir("/dev/shm")))
"""

# A process whose model raises in run_spk at step 3, after sending its message
# of the step (Lava's own error path ends run()) or before it (its receiver
# waits forever: run() returns only through stopping()'s watchdog). Run with
# ``-c`` from an empty folder: Lava looks for models in the script's folder.
FAILING_RUN_SCRIPT = """
import multiprocessing, os, time
import numpy as np
from lava.magma.core.decorator import implements, requires, tag
from lava.magma.core.model.py.model import PyLoihiProcessModel
from lava.magma.core.model.py.ports import PyInPort, PyOutPort
from lava.magma.core.model.py.type import LavaPyType
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.resources import CPU
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol
from lava.proc.dense.process import Dense
from lava.proc.io.source import RingBuffer
from lava_vle.processes import stopping

class Failing(AbstractProcess):
    def __init__(self):
        super().__init__()
        self.a_in = InPort(shape=(2,))
        self.s_out = OutPort(shape=(2,))

@implements(proc=Failing, protocol=LoihiProtocol)
@requires(CPU)
@tag("floating_pt")
class PyFailingModel(PyLoihiProcessModel):
    a_in: PyInPort = LavaPyType(PyInPort.VEC_DENSE, float)
    s_out: PyOutPort = LavaPyType(PyOutPort.VEC_DENSE, float)

    def run_spk(self):
        after = os.environ["RAISE"] == "after sending"
        if after:
            self.s_out.send(self.a_in.recv())
        if self.time_step == 3:
            raise ArithmeticError("failing at step 3")
        if not after:
            self.s_out.send(self.a_in.recv())

failing = Failing()
dense, downstream = (Dense(weights=np.eye(2), num_message_bits=24) for _ in range(2))
RingBuffer(data=np.ones((2, 10))).s_out.connect(dense.s_in)
dense.a_out.connect(failing.a_in)
failing.s_out.connect(downstream.s_in)
cfg = Loihi2SimCfg(select_tag="floating_pt")
try:
    with stopping(failing):
        failing.run(condition=RunSteps(2), run_cfg=cfg)
        print("during", len(os.listdir("/dev/shm")), flush=True)
        start = time.monotonic()
        failing.run(condition=RunSteps(5), run_cfg=cfg)
except ArithmeticError as err:
    print("error", err)
print("teardown_s", time.monotonic() - start)
print("children", len(multiprocessing.active_children()))
print("left", len(os.listdir("/dev/shm")), flush=True)
"""


def in_private_dev_shm(script, cwd=None):
    """Run ``script`` with its own empty /dev/shm (a mount namespace), so other
    jobs on the machine cannot change the count; ``after``: what is left once
    the interpreter has exited (its garbage collector stops every runtime)."""
    shell = ('mount -t tmpfs none /dev/shm && "$PYTHON" -c "$SCRIPT" && '
             'echo after $(ls -A /dev/shm | wc -l)')
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", shell],
                          capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "PYTHON": sys.executable, "SCRIPT": script})
    assert done.returncode == 0, done.stderr
    return dict(line.split(maxsplit=1) for line in done.stdout.splitlines()
                if line.startswith(("during", "after", "error", "teardown_s", "children", "left")))


needs_private_dev_shm = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="a private /dev/shm needs root and unshare(1)")


@needs_private_dev_shm
def test_a_stopped_lava_run_frees_its_shared_memory_in_a_private_dev_shm():
    counts = in_private_dev_shm(SHM_SCRIPT)
    assert int(counts["during"]) > 0, "the run used no shared memory: nothing was checked"
    assert int(counts["after"]) == 0


@needs_private_dev_shm
@pytest.mark.parametrize("when", ["after sending", "before sending"])
def test_a_failed_lava_run_is_torn_down_within_10_s_with_its_error_and_no_shared_memory_left(
        tmp_path, monkeypatch, when):
    """lava-nc's own stop() hangs after an exception in run(), and run()
    itself when the model had not sent its message; stopping() raises the
    model's error, leaves no worker and frees every segment."""
    monkeypatch.setenv("RAISE", when)
    report = in_private_dev_shm(FAILING_RUN_SCRIPT, cwd=tmp_path)
    assert report["error"] == "failing at step 3"
    assert int(report["during"]) > 0, "the run used no shared memory: nothing was checked"
    assert float(report["teardown_s"]) < 10.0
    assert int(report["children"]) == 0
    assert int(report["left"]) == 0 and int(report["after"]) == 0


def run_network(net, x, y, select_tag, steps=10):
    """Run a VLENetwork on RingBuffer sources x, y (n, T) inside stopping()."""
    RingBuffer(data=x).s_out.connect(net.s_in)
    RingBuffer(data=y).s_out.connect(net.target_in)
    with stopping(net):
        net.run(condition=RunSteps(steps), run_cfg=Loihi2SimCfg(select_tag=select_tag))


SMALL = NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(2, activation="linear")))


@pytest.mark.parametrize("case,select_tag,error,message", [
    ("floats", "fixed_pt", ValueError,
     r"VLENetwork.s_in \(fixed_pt\) expects Q7.16 integers .*RingBuffer .*holds 0.5.*"
     r"use lava_vle.fixed_point.to_state"),
    ("beyond 24 bits", "fixed_pt", FixedPointRangeError,
     r"VLENetwork.s_in \(fixed_pt\) got values in .*lie in -8388608..8388607"),
    ("nan", "floating_pt", ValueError,
     r"VLENetwork.s_in \(floating_pt\) got NaN or inf in 1 of 2 values"),
    ("m_in unconnected", "floating_pt", ValueError,
     r"external_modulator=True but its m_in is not connected")])
def test_port_contracts_stop_the_run_naming_process_port_and_units(case, select_tag, error,
                                                                   message):
    x, y = np.full((2, 10), 0.5), np.zeros((2, 10))
    if case == "beyond 24 bits":
        x = np.full((2, 10), 2**30)
    elif case == "nan":
        x[1, 4] = np.nan
    net = VLENetwork(spec=SMALL, learning_rate=0.01,
                     external_modulator=case == "m_in unconnected")
    with pytest.raises(error, match=message):
        run_network(net, x, y, select_tag)


def test_a_var_set_out_of_the_fixed_pt_range_ends_the_next_run_with_its_error():
    """The neuron raises before it sends (its synapses then wait forever in
    Lava); stopping()'s watchdog ends the run with the model's error."""
    net = VLENetwork(spec=SMALL, learning_rate=0.01)
    x = fxp.to_state(np.full((2, 10), 0.5)).astype(np.int32)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    RingBuffer(data=x).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((2, 10), np.int32)).s_out.connect(net.target_in)
    with pytest.raises(FixedPointRangeError, match=r"tau_m/tau_r=100 is not representable"):
        with stopping(net):
            net.run(condition=RunSteps(3), run_cfg=cfg)
            net.procs.neuron1.tau_m.set(np.full(3, 100.0))
            net.run(condition=RunSteps(3), run_cfg=cfg)


def test_a_floating_pt_port_warns_once_about_values_only_q7_16_integers_reach():
    """The worker prints the warning (pytest's warning capture does not reach
    a forked worker, so the run is a script of its own)."""
    script = ("import numpy as np\n"
              "from lava_vle import fixed_point as fxp\n"
              "from tests.test_processes import SMALL, VLENetwork, run_network\n"
              "x = fxp.to_state(np.full((2, 10), 0.5)).astype(float)\n"
              "run_network(VLENetwork(spec=SMALL), x, np.zeros((2, 10)), 'floating_pt')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(os.path.dirname(__file__)))
    assert done.returncode == 0, done.stderr
    warned = done.stderr
    assert warned.count("VLENetwork.s_in (floating_pt) got values up to 32768") == 1
    assert "Q7.16 integers (lava_vle.fixed_point.to_state) are for fixed_pt" in warned


def test_children_of_vle_network_are_probed_by_monitors_attached_before_the_first_run():
    net = VLENetwork(spec=SMALL, learning_rate=0.01)
    monitor = Monitor()
    monitor.probe(net.procs.neuron1.u, 10)
    x = fxp.to_state(np.full((2, 10), 0.5)).astype(np.int32)
    RingBuffer(data=x).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((2, 10), np.int32)).s_out.connect(net.target_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    with stopping(net):
        net.run(condition=RunSteps(10), run_cfg=cfg)
        probed = monitor.get_data()[net.procs.neuron1.name]["u"]
        assert np.array_equal(probed[-1], net.procs.neuron1.u.get())
        assert np.abs(probed).max() > 0
        Monitor().probe(net.procs.dendrite1.v, 5)
        with pytest.raises(ValueError, match=r"Monitor .* was attached to a child of VLENetwork "
                                             r".* after its first run.*build_vle_network"):
            net.run(condition=RunSteps(5), run_cfg=cfg)


@pytest.mark.parametrize("precision", ["fixed", "float"])
@pytest.mark.parametrize("receiver", ["vle", "lif"])
def test_graded_dense_sends_w_r_in_the_receivers_units(precision, receiver):
    """fixed_pt: exactly ``floor(m r 2**e)`` of the 8-bit mantissas, in Q7.16
    for a VLE process and in a stock LIF's integer units; floating_pt: W r."""
    rng = np.random.default_rng(0)
    weights, rates = rng.uniform(-0.8, 0.8, (3, 2)), rng.uniform(-1, 1, (2, 6))
    dense = graded_dense(weights, precision, receiver)
    data = fxp.to_state(rates).astype(np.int32) if precision == "fixed" else rates
    RingBuffer(data=data).s_out.connect(dense.s_in)
    monitor = Monitor()
    monitor.probe(dense.a_out, 6)
    tag = "fixed_pt" if precision == "fixed" else "floating_pt"
    with stopping(dense):
        dense.run(condition=RunSteps(6), run_cfg=Loihi2SimCfg(select_tag=tag))
        sent = monitor.get_data()[dense.name]["a_out"][1:]  # Dense delays one step
    if precision == "float":
        np.testing.assert_allclose(sent, (weights @ rates).T[:-1])
        return
    exp = fxp.choose_weight_exp(np.abs(weights).max())
    drive = fxp.int_matmul(fxp.to_state(rates).T, fxp.quantize_weights(weights, exp).T)
    shift = exp - (0 if receiver == "vle" else fxp.STATE_FRAC_BITS)
    assert np.array_equal(sent, fxp.shift_exponent(drive, shift)[:-1])


def test_graded_dense_rejects_weights_beyond_8_bits_unless_saturate():
    with pytest.raises(FixedPointRangeError, match="weights has .*largest representable value"):
        graded_dense(np.full((2, 2), 1e6), "fixed")
    with pytest.warns(UserWarning, match="clipped"):
        graded_dense(np.full((2, 2), 1e6), "fixed", saturate=True)
    with pytest.raises(ValueError, match=r"precision='fixed_pt' must be one of \('float', 'fixed'\)"):
        graded_dense(np.eye(2), "fixed_pt")


@pytest.mark.parametrize("precision", ["fixed", "float"])
def test_a_connection_of_another_width_names_both_ports_and_their_shapes(precision):
    """Lava said only ``AssertionError: Shapes (3,) and (2,) are incompatible``."""
    neuron = VLENeuron(shape=(3,))
    dense = graded_dense(np.ones((4, 2)), precision)
    with pytest.raises(ValueError, match=r"VLENeuron.s_out \(shape \(3,\)\) with Dense.s_in "
                                         r"\(shape \(2,\)\)"):
        neuron.s_out.connect(dense.s_in)
    with pytest.raises(ValueError, match=r"Dense.a_out \(shape \(4,\)\) with VLENeuron.a_in"):
        dense.a_out.connect(neuron.a_in)
    with pytest.raises(ValueError, match=r"VLENeuron.a_in \(shape \(3,\)\) with Dense.a_out"):
        neuron.a_in.connect_from(dense.a_out)


def test_floating_pt_weight_acc_keeps_the_quantised_initial_weights_while_weights_learn():
    spec = three_layer_spec()
    params = init_params(spec, seed=3)
    x, y = signals(30)
    net = build_vle_network(spec, params, learning_rate=ETA)
    initial = Simulator(spec, params, "fixed").params.weight_acc
    for _ in run_lava(net, x, y, "float", chunks=(30,)):
        for k, syn in enumerate(net.synapses):
            assert np.array_equal(syn.weight_acc.get(), initial[k])
        assert not np.allclose(net.synapses[0].weights.get(), params.weights[0])


def test_fixed_pt_tau_m_and_learning_rate_set_after_step_20_equal_the_simulator_bit_for_bit():
    """Vars that work, as in Lava's LIF: the models read tau_m and the
    learning rate every step, so ``set`` between runs takes effect exactly
    as a simulator run whose spec and eta change at step 20."""
    spec = three_layer_spec()
    new_tau_m = np.array([1.6, 1.2, 0.8, 2.0])
    changed = replace(spec, layers=(
        spec.layers[0], replace(spec.layers[1], tau_m=new_tau_m), spec.layers[2]))
    params = init_params(spec, seed=3)
    x, y = signals(60)
    sim = Simulator(spec, params, "fixed", seed=SEED)
    first = sim.run(x[:20], y[:20], plasticity="apply", eta=ETA)
    after = Simulator(changed, sim.params, "fixed", seed=SEED)
    second = after.run(x[20:], y[20:], plasticity="apply", eta=ETA / 2, state=first.state,
                       first_step=21)
    unchanged = Simulator(spec, sim.params, "fixed", seed=SEED).run(
        x[20:], y[20:], plasticity="apply", eta=ETA, state=first.state, first_step=21)
    net = build_vle_network(spec, params, learning_rate=ETA, seed=SEED)
    for chunk, _ in enumerate(run_lava(net, x, y, "fixed", chunks=(20, 40))):
        if chunk == 0:
            net.neurons[1].tau_m.set(new_tau_m)
            net.dendrites[1].tau_m.set(new_tau_m)
            for syn in net.synapses:
                syn.learning_rate.set(np.array([ETA / 2]))
            continue
        for name, layers in lava_state(net).items():
            for l, (got, want) in enumerate(zip(layers, sim_state(second)[name])):
                assert np.array_equal(got, want[0]), f"{name}[{l}] differs"
        for k, syn in enumerate(net.synapses):
            assert np.array_equal(syn.weight_acc.get(), after.params.weight_acc[k]), f"W{k}"
    assert not np.array_equal(unchanged.state.u[1], second.state.u[1])


def test_composed_processes_refuse_eprop_all_and_say_why():
    spec = three_layer_spec(recurrent_error="eprop-all")
    with pytest.raises(ValueError, match="recurrent_error='eprop-all'.*fused float trainer only"
                                         ".*neither precision has a per-step rule"):
        build_vle_network(spec, init_params(spec, seed=0))


@pytest.mark.parametrize("precision", ["fixed", "float"])
def test_composed_weights_set_between_runs_take_effect_as_in_the_simulator(precision):
    """The plastic synapse reads its weights from the Vars every step
    (fixed_pt: ``weight_acc``, floating_pt: ``weights``), also at eta = 0:
    negated after step 20, the run equals a simulator run whose first
    weight matrix is negated at step 20."""
    fixed = precision == "fixed"
    spec = three_layer_spec()
    params = init_params(spec, seed=3)
    x, y = signals(40)
    for eta in (ETA, 0.0):
        sim = Simulator(spec, params, precision, seed=SEED)
        first = sim.run(x[:20], y[:20], plasticity="apply", eta=eta)
        if fixed:
            sim.params.weight_acc[0] = -sim.params.weight_acc[0]
        else:
            sim.params.weights[0] = -sim.params.weights[0]
        second = sim.run(x[20:], y[20:], plasticity="apply", eta=eta, state=first.state,
                         first_step=21)
        net = build_vle_network(spec, params, learning_rate=eta, seed=SEED)
        for chunk, _ in enumerate(run_lava(net, x, y, precision, chunks=(20, 20))):
            if chunk == 0:
                var = net.synapses[0].weight_acc if fixed else net.synapses[0].weights
                var.set(-var.get())
                continue
            for name, layers in lava_state(net).items():
                for l, (got, want) in enumerate(zip(layers, sim_state(second)[name])):
                    if fixed:
                        assert np.array_equal(got, want[0]), f"{name}[{l}], eta {eta}"
                    else:
                        np.testing.assert_allclose(got, want[0], atol=1e-6,
                                                   err_msg=f"{name}[{l}], eta {eta}")


@pytest.mark.parametrize("tag", ["floating_pt", "fixed_pt"])
@pytest.mark.parametrize("child, var, value, match", [
    ("neuron1", "tau_m", np.full(3, 0.01), r"tau_m must be finite and >= dt=0.1"),
    ("dendrite1", "tau_r", np.zeros(3), r"tau_r must be finite and >= dt=0.1"),
    ("synapse0", "learning_rate", np.array([-5.0]), r"learning_rate=-5.0 must be a finite "
                                                    r"number >= 0")])
def test_a_var_set_between_runs_is_checked_as_the_constructor_checks_it(tag, child, var, value,
                                                                        match):
    """In both precisions: an error naming the Var and its range at the next
    run, never u = 9e37 or a NaN blamed on another port."""
    net = VLENetwork(spec=SMALL, learning_rate=0.01)
    fixed = tag == "fixed_pt"
    x = fxp.to_state(np.full((2, 10), 0.5)).astype(np.int32) if fixed else np.full((2, 10), 0.5)
    cfg = Loihi2SimCfg(select_tag=tag)
    RingBuffer(data=x).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((2, 10), x.dtype)).s_out.connect(net.target_in)
    with pytest.raises(ValueError, match=match):
        with stopping(net):
            net.run(condition=RunSteps(3), run_cfg=cfg)
            getattr(getattr(net.procs, child), var).set(value)
            net.run(condition=RunSteps(3), run_cfg=cfg)


def test_run_after_stop_is_refused_with_an_error_not_a_crash():
    net = VLENetwork(spec=SMALL, learning_rate=0.01)
    RingBuffer(data=np.full((2, 10), 0.5)).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((2, 10))).s_out.connect(net.target_in)
    cfg = Loihi2SimCfg(select_tag="floating_pt")
    with stopping(net):
        net.run(condition=RunSteps(3), run_cfg=cfg)
    with pytest.raises(RuntimeError, match=r"run\(\) after stop\(\)"):
        net.run(condition=RunSteps(3), run_cfg=cfg)


@pytest.mark.parametrize("steps", [-5, 0, 2.5])
def test_a_run_of_fewer_than_one_step_is_refused_instead_of_hanging(steps):
    from lava_vle.processes import VLENetwork

    spec = NetworkSpec(n_in=2, dt=0.1, layers=(LayerSpec(3, 1.0, 1.0),
                                               LayerSpec(2, 0.5, 0.5, "linear")))
    net = VLENetwork(spec=spec)
    RingBuffer(data=np.zeros((2, 5))).s_out.connect(net.s_in)
    with pytest.raises(ValueError, match=f"RunSteps.num_steps={steps}.: num_steps must be an "
                                         "integer >= 1"):
        net.run(condition=RunSteps(steps), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))


@pytest.mark.slow
def test_a_second_run_selecting_other_models_is_refused_by_name():
    from lava_vle.processes import VLENetwork

    spec = NetworkSpec(n_in=2, dt=0.1, layers=(LayerSpec(3, 1.0, 1.0),
                                               LayerSpec(2, 0.5, 0.5, "linear")))
    net = VLENetwork(spec=spec)
    RingBuffer(data=np.zeros((2, 5))).s_out.connect(net.s_in)
    with stopping(net):
        net.run(condition=RunSteps(2), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
        with pytest.raises(ValueError, match="run_cfg selects 'fixed_pt' models, but the "
                                             "network was compiled by its first run.. for "
                                             "'floating_pt'"):
            net.run(condition=RunSteps(2), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
        net.run(condition=RunSteps(2), run_cfg=Loihi2SimCfg(select_tag="floating_pt"))
