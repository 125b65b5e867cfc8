"""NIR export: the graph reads back with nir.read, means what the simulator
computes (checked by an independent Euler interpreter of NIR's node
definitions), and runs in a NIR consumer (Norse) with the simulator's
outputs."""
import numpy as np
import pytest

nir = pytest.importorskip("nir", reason="NIR export needs the nir package: "
                                        ".venv/bin/pip install nir")

from lava_vle.nir_export import export_nir, nir_unsupported, to_nir  # noqa: E402
from lava_vle.simulator import Simulator  # noqa: E402
from lava_vle.spec import LayerSpec, NetworkSpec, init_params  # noqa: E402


def linear_spec(dt: float, recurrent: bool = True) -> NetworkSpec:
    return NetworkSpec(n_in=3, dt=dt, layers=(
        LayerSpec(5, tau_m=1.0, tau_r=0.5, activation="linear", recurrent=recurrent),
        LayerSpec(2, tau_m=2.0, tau_r=0.1, activation="linear")))


def interpret(graph, x: np.ndarray, dt: float) -> np.ndarray:
    """Outputs of a NIR graph of Input, Affine, Linear, Scale, LI and Output
    nodes for inputs ``x`` (T, n_in), by NIR's definitions (Affine ``W x +
    b``, Linear ``W x``, Scale ``s x``, LI ``tau dv/dt = (v_leak - v) + r I``,
    a node's input the sum of its edges), forward Euler at ``dt``, every
    edge carrying its source's value of the previous step (so cycles are
    explicit; the delays vanish with dt)."""
    value = {name: np.zeros(node.output_type[next(iter(node.output_type))])
             if not isinstance(node, nir.Input) else np.zeros(x.shape[1])
             for name, node in graph.nodes.items()}
    out = []
    for x_t in x:
        inputs = {name: 0.0 for name in graph.nodes}
        for source, target in graph.edges:
            inputs[target] = inputs[target] + value[source]
        new = {}
        for name, node in graph.nodes.items():
            i = inputs[name]
            if isinstance(node, nir.Input):
                new[name] = x_t
            elif isinstance(node, nir.Affine):
                new[name] = node.weight @ i + node.bias
            elif isinstance(node, nir.Linear):
                new[name] = node.weight @ i
            elif isinstance(node, nir.Scale):
                new[name] = node.scale * i
            elif isinstance(node, nir.LI):
                new[name] = value[name] + dt / node.tau * (node.v_leak - value[name] + node.r * i)
            elif isinstance(node, nir.Output):
                new[name] = i
        value = new
        out.append(value["output"])
    return np.array(out)


def test_the_export_reads_back_with_nir_read(tmp_path):
    spec = linear_spec(0.1)
    params = init_params(spec, seed=0)
    graph = to_nir(spec, params)
    back = nir.read(export_nir(spec, params, tmp_path / "net.nir"))
    assert sorted(back.nodes) == sorted(graph.nodes)
    assert sorted(back.edges) == sorted(graph.edges)
    for name, node in graph.nodes.items():
        for field in ("weight", "bias", "tau", "scale"):
            if hasattr(node, field):
                np.testing.assert_array_equal(getattr(back.nodes[name], field),
                                              getattr(node, field))


def test_the_graph_means_what_the_simulator_computes_as_dt_shrinks():
    """The simulator (one step of delay per projection) and NIR's continuous
    nodes (interpreted with a step of delay per edge) converge to the same
    trajectory: the difference shrinks in proportion to dt. A transposed
    weight, a wrong lead factor or a dropped recurrence would not shrink."""
    errors = []
    for dt in (0.02, 0.01, 0.005):
        spec = linear_spec(dt)
        params = init_params(spec, seed=0)
        t = np.arange(0, 6.0, dt)
        x = np.stack([np.sin(t), np.sin(0.7 * t), np.sin(1.3 * t)], axis=1)  # from 0: no jump
        want = Simulator(spec, params).run(x[:, None, :]).outputs[:, 0]
        got = interpret(to_nir(spec, params), x, dt)
        errors.append(np.abs(got - want).max() / np.abs(want).max())
    assert errors[2] < 0.03
    assert errors[1] / errors[0] < 0.6 and errors[2] / errors[1] < 0.6


def test_networks_nir_cannot_express_are_refused_naming_the_population_and_unit():
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(3, activation="tanh"),
                                       LayerSpec(2, activation="linear", spiking=True)))
    problems = nir_unsupported(spec)
    assert problems[0].startswith("population 1 has activation 'tanh': NIR has no node for a "
                                  "nonlinear rate")
    assert problems[1].startswith("population 2 sends spikes")
    with pytest.raises(ValueError, match="cannot export to NIR: population 1 has activation"):
        to_nir(spec, init_params(spec))


@pytest.mark.filterwarnings("ignore:nirtorch.load is being deprecated:DeprecationWarning")
def test_norse_runs_the_export_with_the_simulators_outputs():
    """Norse 1.1.0 reads Affine but not LI nodes: a network of tau_r = tau_m
    (the rate is the drive, no integrator read) exports to Affine nodes only,
    which Norse runs; the simulator's outputs lag by one step per projection."""
    norse = pytest.importorskip("norse.torch", reason="the NIR consumer test needs Norse: "
                                                      ".venv/bin/pip install --no-deps "
                                                      "norse==1.1.0 nirtorch")
    import torch

    spec = NetworkSpec(n_in=3, dt=0.1, layers=(
        LayerSpec(5, tau_m=1.0, tau_r=1.0, activation="linear"),
        LayerSpec(2, tau_m=0.5, tau_r=0.5, activation="linear")))
    params = init_params(spec, seed=4)
    x = np.random.default_rng(1).uniform(-1, 1, (20, 3))
    module = norse.from_nir(to_nir(spec, params))
    with torch.no_grad():
        got = np.array([module(torch.tensor(x_t, dtype=torch.float32))[0].numpy()
                        for x_t in x])
    want = Simulator(spec, params).run(x[:, None, :]).outputs[:, 0]
    lag = len(spec.projections)
    np.testing.assert_allclose(got[:-lag], want[lag:], rtol=1e-5, atol=1e-6)


def test_export_writes_a_trained_runs_network_and_replaces_no_file(tmp_path, capsys):
    from lava_vle import TrainConfig, fit, load_run
    from lava_vle.cli import main
    from lava_vle.datasets import digits

    data = digits()
    fit(data, TrainConfig(task="digits", activation="linear", epochs=1, limit_train=64,
                          limit_test=32), tmp_path / "run", log=lambda *_: None, progress=False)
    main(["export", str(tmp_path / "run")])
    assert "wrote" in capsys.readouterr().out
    graph = nir.read(tmp_path / "run" / "network.nir")
    run = load_run(tmp_path / "run", data)
    np.testing.assert_array_equal(graph.nodes["affine1"].weight, run.params.weights[0])
    with pytest.raises(SystemExit) as done:
        main(["export", str(tmp_path / "run")])
    assert done.value.code == 2 and "exists: pass another --out" in capsys.readouterr().err
