"""A trained network leaves its run folder: load_run gives its spec, unpadded
parameters, configuration and results."""
import numpy as np
import pytest

from lava_vle import Simulator, TrainConfig, fit, load_run
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
