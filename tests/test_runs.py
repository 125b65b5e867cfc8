"""A trained network leaves its run folder: load_run gives its spec, unpadded
parameters, configuration and results."""
import numpy as np
import pytest

from lava_vle import Simulator, TrainConfig, fit, load_run
from lava_vle.runs import evaluate_run
from lava_vle.datasets import digits

DIGITS = digits()
RUN = dict(task="digits", epochs=1, batch_size=32, lr=3e-3, limit_train=256, limit_test=128)


def quiet(*_):
    pass


@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_a_loaded_run_reproduces_its_test_accuracy_in_the_simulator(tmp_path, precision):
    results = fit(DIGITS, TrainConfig(precision=precision, **RUN), tmp_path, log=quiet,
                  progress=False)
    run = load_run(tmp_path, DIGITS)
    assert run.epoch == 1 and run.results["test_metric"] == results["test_metric"]
    assert [w.shape for w in run.params.weights] == [(32, 8), (10, 32)]  # unpadded
    assert (run.fixed_params is not None) == (precision == "fixed")
    x = DIGITS.x_test[:128].transpose(1, 0, 2)
    sim = Simulator(run.spec, run.fixed_params or run.params, precision)
    outputs = sim.run(x).outputs
    scores = np.einsum("t,tbk->bk", DIGITS.readout_weight, outputs)
    accuracy = 100 * np.mean(scores.argmax(-1) == DIGITS.y_test[:128])
    assert accuracy == pytest.approx(results["test_metric"], abs=1.0)


def test_load_run_names_a_folder_without_a_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_run(tmp_path)


@pytest.mark.slow  # runs the Lava runtime
def test_evaluate_gives_the_same_accuracy_in_lava_fixed_pt_as_the_simulator_and_training(
        tmp_path, capsys):
    from lava_vle.cli import main

    fit(DIGITS, TrainConfig(precision="fixed", **RUN), tmp_path, log=quiet, progress=False)
    recorded = load_run(tmp_path, DIGITS).results["test_metric"]
    for backend in ("simulator", "lava"):
        main(["evaluate", str(tmp_path), "--backend", backend, "--limit", "40"])
        line = capsys.readouterr().out
        assert f"({backend}, fixed)" in line and "on 40 sequences" in line
    run = load_run(tmp_path, DIGITS)
    full = evaluate_run(run, "simulator")
    assert full["value"] == recorded and full["sequences"] == 128 and full["differs"] == []


@pytest.mark.slow  # runs the Lava runtime
@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_lava_runs_each_sequence_from_rest_as_the_simulator_runs_a_batch(precision):
    """fixed_pt bit for bit; floating_pt to rounding (the same float64 equations)."""
    from lava_vle.processes.sequences import run_sequences
    from lava_vle.spec import LayerSpec, NetworkSpec, init_params

    spec = NetworkSpec(n_in=3, layers=(LayerSpec(6, activation="hard_tanh"),
                                       LayerSpec(2, activation="linear")), dt=0.2)
    params = init_params(spec, seed=1)
    x = np.random.default_rng(2).uniform(-1, 1, (12, 4, 3))
    want = Simulator(spec, params, precision).run(x).outputs
    got = run_sequences(spec, params, precision, x)
    if precision == "fixed":
        assert np.array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_evaluate_refuses_lava_for_an_activation_without_a_fixed_point_form():
    from lava_vle.processes.sequences import run_sequences
    from lava_vle.spec import LayerSpec, NetworkSpec, init_params

    spec = NetworkSpec(n_in=2, layers=(LayerSpec(3, activation="tanh"), LayerSpec(2)))
    with pytest.raises(ValueError, match="activation='tanh' has no fixed-point form .*the Lava "
                                         "processes take .* in either precision"):
        run_sequences(spec, init_params(spec), "float", np.zeros((4, 1, 2)))


def test_a_bptt_run_counts_its_own_operations_not_the_local_rules(tmp_path):
    """BPTT runs printed the VLE rule's synaptic-operation counts."""
    from lava_vle.synops import bptt_synaptic_ops

    small = {**RUN, "limit_train": 64, "limit_test": 32}
    bptt = fit(DIGITS, TrainConfig(rule="bptt", **small), tmp_path / "bptt", log=quiet,
               progress=False)["effective_synops_per_sample"]
    vle = fit(DIGITS, TrainConfig(**small), tmp_path / "vle", log=quiet,
              progress=False)["effective_synops_per_sample"]
    run = load_run(tmp_path / "bptt", DIGITS)
    assert bptt == {"rule": "bptt", **bptt_synaptic_ops(run.spec, DIGITS.x_train.shape[1])}
    assert vle["rule"] == "vle" and vle["forward"] < bptt["forward"]  # events, not dense
    assert bptt["error_path"] == 10 * 32 * 8  # W^T delta of the output projection only


@pytest.mark.slow  # runs the Lava runtime
def test_lava_keeps_a_fixed_point_runs_integers_exactly_at_the_mantissas_edge():
    """Given real parameters, the processes chose their own exponents (with
    room to learn), so a trained run whose mantissas reached +-127 ran with
    other integers in Lava than in the simulator; FixedParams are kept."""
    from lava_vle.processes.sequences import run_sequences
    from lava_vle.spec import FixedParams, LayerSpec, NetworkSpec, init_params

    spec = NetworkSpec(n_in=3, layers=(LayerSpec(6, activation="hard_tanh"),
                                       LayerSpec(2, activation="linear")), dt=0.2)
    fixed = FixedParams.from_float(spec, init_params(spec, seed=1))
    fixed.weight_acc[0][0, :] = 127 << 8  # mantissas at the edge, as training leaves them
    fixed.weight_acc[1][1, :] = -128 << 8
    x = np.random.default_rng(2).uniform(-1, 1, (12, 3, 3))
    want = Simulator(spec, fixed, "fixed").run(x).outputs
    assert np.array_equal(run_sequences(spec, fixed, "fixed", x), want)
    assert not np.array_equal(run_sequences(spec, fixed.to_float(), "fixed", x), want)


def test_from_recipe_builds_the_configuration_lava_vle_train_builds():
    from lava_vle.cli import build_parser, train_config

    parser = build_parser()[0]
    for argv, options in ((["--task", "digits", "--precision", "fixed"], {}),
                          (["--task", "mnist1d", "--epochs", "3", "--lr", "0.01"],
                           {"epochs": 3, "lr": 0.01})):
        args = parser.parse_args(["train", *argv])
        assert train_config(args) == TrainConfig.from_recipe(
            args.task, precision=args.precision, **options)
