"""Energy model by boundary, its counts and its figures."""
import numpy as np
import pytest

from lava_vle.energy import (BPTT_BOUNDARIES, FIGURES, LABELS, BPTTCounts, Figure, VLECounts,
                             bptt_energy_uj, compare, learning_copies, trace_updates_per_step,
                             vle_energy_uj)
from lava_vle.network import LayerSpec, NetworkSpec


def small_spec(**kwargs):
    return NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(4)), dt=0.1, **kwargs)


VLE = VLECounts(steps=10, forward_events=180, error_events=120, messages=140,
                compartment_updates=140, trace_updates=0, weight_updates=250)
BPTT = BPTTCounts(forward_macs=180, trajectory_bytes=1000, wall_s=1e-3)


def test_vle_energy_is_counts_times_figures_and_system_adds_chip_power_over_the_run():
    f = {k: v.nominal for k, v in FIGURES.items()}
    core = ((180 + 120) * f["synop"] + 140 * f["message"] + 140 * f["neuron"]
            + 250 * f["update"]) * 1e-6
    assert vle_energy_uj(VLE, "core") == pytest.approx(core)
    static = f["chip_power"] * 10 * f["step_time"] * 1e6
    assert vle_energy_uj(VLE, "system") == pytest.approx(core + static)
    with pytest.raises(ValueError, match="boundary='chip' must be 'core' or 'system'"):
        vle_energy_uj(VLE, "chip")


def test_bptt_boundaries_add_up_as_documented():
    f = {k: v.nominal for k, v in FIGURES.items()}
    a = 3 * 180 * (f["fp32_mul"] + f["fp32_add"]) * 1e-6
    assert bptt_energy_uj(BPTT, "A") == pytest.approx(a)
    assert bptt_energy_uj(BPTT, "B") == pytest.approx(a + 2 * 1000 * f["dram_byte"] * 1e-6)
    assert bptt_energy_uj(BPTT, "C") == pytest.approx(3 * 180 * f["gpu_mac"] * 1e-6)
    assert bptt_energy_uj(BPTT, "D") == pytest.approx(1e-3 * f["cpu_power"] * 1e6)


def test_compare_pairs_each_bptt_boundary_with_one_vle_boundary_and_bounds_the_ratio():
    rows = compare(VLE, BPTT)
    assert set(rows) == set(BPTT_BOUNDARIES)
    assert [rows[b]["vle_boundary"] for b in "ABCD"] == ["core", "core", "system", "system"]
    for row in rows.values():
        r = row["bptt_over_vle"]
        assert r["low"] <= r["nominal"] <= r["high"]


def test_every_figure_has_a_source_a_label_and_a_range():
    assert all(fig.source and fig.includes and fig.label in LABELS and fig.year > 2000
               and fig.hardware and fig.low <= fig.nominal <= fig.high
               for fig in FIGURES.values())
    with pytest.raises(ValueError, match="label='guessed' must be one of"):
        Figure(1.0, 1.0, 1.0, "pJ", "guessed", "x", 2020, "y")


def test_mirrored_feedback_doubles_the_updates_of_error_carrying_synapses_only():
    assert learning_copies(small_spec(feedback="random")) == 1.0
    # 12 of 2*3 + 3*4 + 7 biases = 25 updates belong to the error-carrying projection
    assert learning_copies(small_spec()) == pytest.approx(1 + 12 / 25)


def test_learning_traces_cost_per_step_only_with_learning_epochs():
    assert trace_updates_per_step(small_spec()) == 0
    assert trace_updates_per_step(small_spec(learning_epoch=8)) == (2 + 3) + (3 + 4)


def test_measured_counts_fall_with_the_learning_epoch():
    from lava_vle.benchmarks.energy import vle_counts

    spec = small_spec()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4, 2)), rng.normal(size=(64, 4, 4))
    per_step = vle_counts(spec, x, y, np.ones(64))
    per_epoch = vle_counts(NetworkSpec(n_in=2, layers=spec.layers, dt=0.1, learning_epoch=16),
                           x, y, np.ones(64))
    assert per_epoch.forward_events == per_step.forward_events
    assert 12 < per_step.weight_updates / per_epoch.weight_updates < 20
