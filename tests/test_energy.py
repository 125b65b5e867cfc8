"""Energy model and event counts."""
import numpy as np
import pytest

from lava_vle.benchmarks.energy import spike_events
from lava_vle.energy import FIGURES, estimate, per_sample_counts
from lava_vle.network import LayerSpec, NetworkSpec


def small_spec(spiking=False):
    return NetworkSpec(n_in=2, layers=(LayerSpec(3, spiking=spiking), LayerSpec(4)), dt=0.1)


def test_counts_of_a_two_layer_network_by_hand():
    counts = per_sample_counts(small_spec(), steps=10)
    assert counts["forward_events"] == (3 * 2 + 4 * 3) * 10
    assert counts["error_events"] == 4 * 3 * 10  # the input projection carries no error
    assert counts["weight_updates"] == (6 + 12 + 7) * 10
    assert counts["neuron_updates"] == 2 * 7 * 10


def test_energy_is_the_sum_of_counts_times_sourced_figures():
    counts = per_sample_counts(small_spec(), steps=10)
    e = estimate(counts)
    f = FIGURES
    vle = ((180 + 120) * f["synop"].nominal_pj + 250 * f["synaptic_update"].nominal_pj
           + 140 * f["neuron_update"].nominal_pj) * 1e-6
    bptt = (3 * 180 * (f["fp32_mul"].nominal_pj + f["fp32_add"].nominal_pj)
            + 4 * 7 * 10 * f["memory_word"].nominal_pj) * 1e-6
    assert e["vle_uj"]["nominal"] == pytest.approx(vle)
    assert e["bptt_uj"]["nominal"] == pytest.approx(bptt)
    assert e["bptt_over_vle"]["low"] <= e["bptt_over_vle"]["nominal"] <= e["bptt_over_vle"]["high"]
    assert all(fig.source and fig.low_pj <= fig.nominal_pj <= fig.high_pj
               for fig in FIGURES.values())


def test_spike_events_count_only_nonzero_messages_of_spiking_populations():
    spec = small_spec(spiking=True)
    steps, batch = 5, 2
    rates = [np.zeros((steps, batch, 2)), np.zeros((steps, batch, 3)), np.ones((steps, batch, 4))]
    rates[0][0, 0, 0] = 1.0  # one input spike
    rates[1][1, 1, 2] = -1.0  # one hidden spike
    events = spike_events(spec, rates, spiking_input=True)
    assert events == (1 * 3 + 1 * 4) / batch
    graded_input = spike_events(spec, rates, spiking_input=False)
    assert graded_input == (rates[0].size * 3 + 1 * 4) / batch
