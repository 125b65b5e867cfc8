"""Runs whose membrane potentials leave the arithmetic's range warn, naming
the population and the step."""
import warnings

import numpy as np
import pytest

from lava_vle.range_watch import RangeWatch
from lava_vle.simulator import Simulator
from lava_vle.spec import LayerSpec, NetworkSpec, init_params


def test_a_diverging_recurrent_float_network_warns_naming_population_and_step():
    """A small recurrent network with the error loop diverged silently (|out| 5.9e6)."""
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(8, recurrent=True), LayerSpec(2)), dt=0.1,
                       recurrent_error="loop")
    x = np.random.default_rng(0).normal(size=(200, 4, 2)) * 50
    with pytest.warns(RuntimeWarning, match=r"Simulator.run: population 1's membrane "
                                            r"potential reached \d+ at step \d+, beyond \+-128"):
        Simulator(spec, init_params(spec, seed=0)).run(x, np.zeros((200, 4, 2)),
                                                       plasticity="apply", eta=1.0)


@pytest.mark.parametrize("precision", ["float", "fixed"])
def test_a_network_within_range_runs_without_a_warning(precision):
    spec = NetworkSpec(n_in=2, layers=(LayerSpec(8), LayerSpec(2)), dt=0.1)
    x = np.random.default_rng(0).uniform(-1, 1, (50, 3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Simulator(spec, init_params(spec, seed=0), precision).run(x)


def test_the_watch_names_the_first_population_past_the_limit_once_nan_included():
    watch = RangeWatch("here")
    with pytest.warns(RuntimeWarning, match="here: population 2's membrane potential reached "
                                            "nan at step 7"):
        watch.check(7, [np.zeros(3), np.array([0.0, np.nan])])
    assert watch.found[:2] == (2, 7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        watch.check(8, [np.full(3, 1e9)])  # once per run
    single = RangeWatch("VLENeuron", 2.0 ** -16, single=True)
    with pytest.warns(RuntimeWarning, match="VLENeuron: its membrane potential reached 256"):
        single.check(3, [np.array([2 ** 24])])
