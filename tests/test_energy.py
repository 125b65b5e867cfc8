"""Energy model by boundary, its counts, its figures and its sensitivity."""
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lava_vle.energy import (BPTT_BOUNDARIES, CORE_FIGURES, FIGURES, LABELS, MEMORY_LEVELS,
                             REFERENCE_FIGURES, BPTTCounts, Figure, VLECounts, break_even,
                             bptt_energy_uj, compare, count_kernels, gpu_energy_uj, gpu_time_s,
                             learning_copies, memory_level, scaled_figures, sensitivity,
                             trace_updates_per_step, trajectory_level, vle_energy_uj)
from lava_vle.spec import LayerSpec, NetworkSpec

ROOT = Path(__file__).resolve().parents[1]


def small_spec(**kwargs):
    return NetworkSpec(n_in=2, layers=(LayerSpec(3), LayerSpec(4)), dt=0.1, **kwargs)


VLE = VLECounts(steps=10, forward_events=180, error_events=120, messages=140,
                compartment_updates=140, trace_updates=0, weight_updates=250)
BPTT = BPTTCounts(forward_macs=180, trajectory_bytes=1000, wall_s=1e-3, batch=4, kernels=400)
# a benchmark-sized pair (delayed XOR's orders of magnitude) for the sweeps
VLE_BIG = VLECounts(steps=130, forward_events=2e5, error_events=1e5, messages=2e4,
                    compartment_updates=2.5e4, trace_updates=0, weight_updates=3e4)
BPTT_BIG = BPTTCounts(forward_macs=4.8e5, trajectory_bytes=1.7e5, wall_s=2e-2, batch=16,
                      kernels=5700)


def test_vle_energy_is_counts_times_figures_and_system_adds_chip_power_over_the_run():
    f = {k: v.nominal for k, v in FIGURES.items()}
    core = ((180 + 120) * f["synop"] + 140 * f["message"] + 140 * f["neuron"]
            + 250 * f["update"]) * 1e-6
    assert vle_energy_uj(VLE, "core") == pytest.approx(core)
    static = f["chip_power"] * 10 * f["step_time"] * 1e6
    assert vle_energy_uj(VLE, "system") == pytest.approx(core + static)
    with pytest.raises(ValueError, match="boundary='chip' must be 'core' or 'system'"):
        vle_energy_uj(VLE, "chip")
    with pytest.raises(ValueError, match="pick='mean' must be one of"):
        vle_energy_uj(VLE, "core", "mean")


def test_bptt_boundaries_add_up_as_documented():
    f = {k: v.nominal for k, v in FIGURES.items()}
    a = 3 * 180 * (f["fp32_mul"] + f["fp32_add"]) * 1e-6
    assert bptt_energy_uj(BPTT, "A") == pytest.approx(a)
    # 4 x 1000 bytes in flight fit the 32 KiB L1
    assert bptt_energy_uj(BPTT, "B") == pytest.approx(a + 2 * 1000 * f["mem_l1_byte"] * 1e-6)
    assert bptt_energy_uj(BPTT, "C") == pytest.approx(gpu_energy_uj(BPTT))
    assert bptt_energy_uj(BPTT, "D") == pytest.approx(1e-3 * f["cpu_power"] * 1e6)
    with pytest.raises(ValueError, match="boundary='E' must be one of"):
        bptt_energy_uj(BPTT, "E")


def test_compare_pairs_each_bptt_boundary_with_one_vle_boundary_and_bounds_the_ratio():
    rows = compare(VLE, BPTT)
    assert set(rows) == set(BPTT_BOUNDARIES)
    assert [rows[b]["vle_boundary"] for b in "ABCD"] == ["core", "core", "system", "system"]
    for row in rows.values():
        r = row["bptt_over_vle"]
        assert r["low"] <= r["nominal"] <= r["high"]
        for side in ("vle_uj", "bptt_uj"):
            assert row[side]["low"] <= row[side]["nominal"] <= row[side]["high"]
    assert rows["B"]["memory_level"] == "L1 SRAM"


# ---- the figures ----

ALL_FIGURES = {**FIGURES, **REFERENCE_FIGURES}


@pytest.mark.parametrize("key", sorted(ALL_FIGURES))
def test_every_figure_has_hardware_source_year_label_and_a_low_high_range(key):
    fig = ALL_FIGURES[key]
    assert fig.hardware and fig.source and fig.includes
    assert 2000 < fig.year <= 2026
    assert fig.label in LABELS
    low, high = fig.range
    assert low <= fig.nominal <= high


def test_a_figure_without_a_label_or_hardware_or_with_an_inverted_range_is_refused():
    with pytest.raises(ValueError, match="label='guessed' must be one of"):
        Figure(1.0, 1.0, 1.0, "pJ", "guessed", "x", 2020, "y", hardware="z")
    with pytest.raises(ValueError, match="hardware must name the chip generation"):
        Figure(1.0, 1.0, 1.0, "pJ", "measured", "x", 2020, "y")
    with pytest.raises(ValueError, match="must hold nominal"):
        Figure(1.0, 2.0, 3.0, "pJ", "measured", "x", 2020, "y", hardware="z")


def test_core_per_op_figures_are_loihi_1_and_their_loihi_2_ends_come_from_hala_point():
    for key in CORE_FIGURES:
        assert "Loihi 1" in FIGURES[key].hardware
    # Hala Point (Intel 2024): 2,600 W at 3.8e14 synops/s and 2.4e14 neuron ops/s
    assert FIGURES["synop"].low == pytest.approx(2600 / 3.8e14 * 1e12)
    assert FIGURES["neuron"].low == pytest.approx(2600 / 2.4e14 * 1e12)
    assert "Loihi 2" in FIGURES["synop"].hardware and "Loihi 2" in FIGURES["neuron"].hardware
    # SANA-FE's Loihi 1 fit charges 35.5 pJ per synop, the high end
    assert FIGURES["synop"].high == 35.5


# ---- boundary B: the memory level ----

@pytest.mark.parametrize("nbytes, level", [
    (0, "register file"), (2048, "register file"), (2049, "L1 SRAM"), (32 * 1024, "L1 SRAM"),
    (0.17e6, "L2 SRAM"), (0.95e6, "L2 SRAM"), (2.7e6, "L3 SRAM"), (15.2e6, "L3 SRAM"),
    (33554433, "DRAM"), (1e12, "DRAM")])
def test_the_memory_level_is_the_smallest_that_holds_the_bytes(nbytes, level):
    assert memory_level(nbytes).name == level


def test_more_bytes_never_move_the_trajectory_to_a_cheaper_level():
    names = [level.name for level in MEMORY_LEVELS]
    sizes = np.geomspace(1, 1e10, 200)
    indices = [names.index(memory_level(n).name) for n in sizes]
    assert indices == sorted(indices) and indices[0] == 0 and indices[-1] == len(names) - 1
    per_byte = [FIGURES[level.figure].nominal for level in MEMORY_LEVELS]
    assert per_byte == sorted(per_byte)  # a larger level costs more per byte


def test_the_trajectory_level_follows_the_bytes_of_the_whole_batch_in_flight():
    one = replace(BPTT_BIG, batch=1)  # 0.17 MB: L2
    assert trajectory_level(one).name == "L2 SRAM"
    assert trajectory_level(BPTT_BIG).name == "L3 SRAM"  # 16 x 0.17 MB = 2.7 MB
    assert trajectory_level(replace(BPTT_BIG, batch=1024)).name == "DRAM"
    a = bptt_energy_uj(BPTT_BIG, "A")
    assert bptt_energy_uj(one, "B") == pytest.approx(
        a + 2 * 1.7e5 * FIGURES["mem_l2_byte"].nominal * 1e-6)
    assert bptt_energy_uj(BPTT_BIG, "B") == pytest.approx(
        a + 2 * 1.7e5 * FIGURES["mem_l3_byte"].nominal * 1e-6)


# ---- boundary C: the GPU model ----

def test_the_gpu_time_is_never_below_the_launch_floor():
    rng = np.random.default_rng(0)
    for _ in range(200):
        counts = BPTTCounts(forward_macs=10 ** rng.uniform(2, 9),
                            trajectory_bytes=10 ** rng.uniform(2, 8), wall_s=1.0,
                            batch=int(2 ** rng.integers(0, 16)),
                            kernels=float(rng.integers(0, 100_000)))
        for pick in ("nominal", "low", "high"):
            t = gpu_time_s(counts, pick)
            floor = counts.kernels * getattr(FIGURES["gpu_launch"], pick)
            assert t["total"] >= floor and t["launch_floor"] == pytest.approx(floor)
            assert t["total"] >= t["memory"] + t["compute"]
            assert 0 <= t["utilisation"] <= 1


def test_a_launch_bound_gpu_draws_static_power_for_the_launch_time_shared_by_the_batch():
    t = gpu_time_s(BPTT_BIG)
    assert t["total"] == t["launch_floor"] == pytest.approx(5700 * 5e-6)
    assert t["utilisation"] < 0.05
    static, full = FIGURES["gpu_static_power"].nominal, FIGURES["gpu_board_power"].nominal
    power = static + t["utilisation"] * (full - static)
    assert gpu_energy_uj(BPTT_BIG) == pytest.approx(power * t["total"] / 16 * 1e6)


def test_at_full_utilisation_the_gpu_model_gives_the_datasheet_energy_per_mac():
    huge = BPTTCounts(forward_macs=1e6, trajectory_bytes=0.0, wall_s=1.0, batch=10 ** 9,
                      kernels=1000)
    assert gpu_time_s(huge)["utilisation"] == 1.0
    # 400 W at 19.5 TFLOPS: 41 pJ per MAC, 3 MACs (forward and two backward) per forward MAC
    assert gpu_energy_uj(huge) == pytest.approx(3 * 1e6 * FIGURES["gpu_mac"].nominal * 1e-6,
                                                rel=1e-3)


# ---- sensitivity and break-even ----

def _monotone(values, direction):
    steps = np.diff(values)
    return bool(np.all(steps * direction >= -1e-12 * np.abs(values[:-1])))


@pytest.fixture(scope="module")
def sweeps():
    return sensitivity(VLE_BIG, BPTT_BIG)


def test_cheaper_core_ops_raise_the_ratio_at_every_boundary(sweeps):
    sweep = sweeps["per_op_scale"]
    assert sweep["values"][0] == pytest.approx(FIGURES["synop"].low / FIGURES["synop"].nominal)
    assert sweep["values"][-1] == pytest.approx(35.5 / 23.6)
    for boundary in "AB":
        ratios = sweep["ratios"][boundary]
        assert _monotone(ratios, -1) and ratios[0] > 1.5 * ratios[-1]
    assert _monotone(sweep["ratios"]["C"], -1)


def test_a_costlier_memory_level_raises_the_ratio_at_boundary_b(sweeps):
    ratios = sweeps["memory_level"]["ratios"]["B"]
    assert _monotone(ratios, +1) and ratios[-1] > 3 * ratios[0]
    assert sweeps["memory_level"]["nominal"] == "L3 SRAM"


def test_more_static_energy_per_step_lowers_the_system_ratios(sweeps):
    for boundary in "CD":
        ratios = sweeps["static_uj_per_step"]["ratios"][boundary]
        assert _monotone(ratios, -1) and ratios[0] > 10 * ratios[-1]


def test_a_larger_gpu_batch_lowers_boundary_c_and_the_launch_time_brackets_it(sweeps):
    ratios = sweeps["gpu_batch"]["ratios"]
    assert _monotone(ratios["C"], -1) and ratios["C"][0] > 100 * ratios["C"][-1]
    assert all(lo <= mid <= hi for lo, mid, hi in zip(ratios["C low"], ratios["C"],
                                                      ratios["C high"]))


def test_fewer_gpu_kernels_lower_boundary_c(sweeps):
    sweep = sweeps["gpu_kernels"]
    assert sweep["values"][0] == pytest.approx(3 * 130)
    assert sweep["values"][-1] == pytest.approx(5700)
    assert _monotone(sweep["ratios"]["C"], +1)


@pytest.mark.parametrize("target", [2.0, 3.0])
def test_each_break_even_value_gives_back_the_target_ratio(target):
    even = break_even(VLE_BIG, BPTT_BIG, target)
    scaled = scaled_figures({k: even["per_op_scale_B"] for k in CORE_FIGURES})
    assert (bptt_energy_uj(BPTT_BIG, "B") / vle_energy_uj(VLE_BIG, "core", figures=scaled)
            == pytest.approx(target))
    a = bptt_energy_uj(BPTT_BIG, "A")
    per_byte = even["trajectory_pj_per_byte"]
    assert ((a + 2 * BPTT_BIG.trajectory_bytes * per_byte * 1e-6)
            / vle_energy_uj(VLE_BIG, "core") == pytest.approx(target))
    static = even["static_uj_per_step"]
    system = vle_energy_uj(VLE_BIG, "core") + static * VLE_BIG.steps
    assert bptt_energy_uj(BPTT_BIG, "C") / system == pytest.approx(target)
    batch = even["gpu_batch"]
    assert 1 < batch < math.inf
    assert (bptt_energy_uj(replace(BPTT_BIG, batch=batch), "C")
            / vle_energy_uj(VLE_BIG, "system") == pytest.approx(target, rel=1e-6))


def test_break_even_says_never_when_even_a_chip_without_static_power_falls_short():
    even = break_even(VLE_BIG, BPTT_BIG, target=1e9)
    assert even["static_uj_per_step"] is None and even["gpu_batch"] is None


# ---- counts ----

def test_mirrored_feedback_doubles_the_updates_of_error_carrying_synapses_only():
    assert learning_copies(small_spec(feedback="random")) == 1.0
    # 12 of 2*3 + 3*4 + 7 biases = 25 updates belong to the error-carrying projection
    assert learning_copies(small_spec()) == pytest.approx(1 + 12 / 25)


def test_learning_traces_cost_per_step_only_with_learning_epochs():
    assert trace_updates_per_step(small_spec()) == 0
    assert trace_updates_per_step(small_spec(learning_epoch=8)) == (2 + 3) + (3 + 4)


def test_measured_counts_fall_with_the_learning_epoch():
    from lava_vle.experiments.benchmarks.energy import vle_counts

    spec = small_spec()
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 4, 2)), rng.normal(size=(64, 4, 4))
    per_step = vle_counts(spec, x, y, np.ones(64))
    per_epoch = vle_counts(NetworkSpec(n_in=2, layers=spec.layers, dt=0.1, learning_epoch=16),
                           x, y, np.ones(64))
    assert per_epoch.forward_events == per_step.forward_events
    assert 12 < per_step.weight_updates / per_epoch.weight_updates < 20


def test_kernel_count_skips_views_and_allocations():
    torch = pytest.importorskip("torch")
    x = torch.ones(4, 3)
    assert count_kernels(lambda: x.view(-1).unsqueeze(0)) == 0
    assert count_kernels(lambda: (x.t() + 1).sum()) == 2
    assert count_kernels(lambda: torch.empty(3)) == 0


def test_bptt_counts_name_the_batch_and_the_kernels_its_step_launches():
    from lava_vle.energy import bptt_counts

    spec = small_spec()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4, 2)).astype(np.float32)
    y = rng.normal(size=(20, 4, 4)).astype(np.float32)
    short = bptt_counts(spec, x[:10], y[:10], np.ones(10), repeats=1)
    full = bptt_counts(spec, x, y, np.ones(20), repeats=1)
    assert full.batch == 4 and full.trajectory_bytes > short.trajectory_bytes > 0
    # every time step launches the same kernels: twice the steps, about twice the kernels
    assert 1.8 < full.kernels / short.kernels < 2.2


# ---- the documentation ----

def test_docs_energy_tables_are_the_ones_the_committed_counts_generate():
    from lava_vle.experiments.benchmarks.energy import energy_tables, recompute

    results = recompute(json.loads((ROOT / "docs" / "energy.json").read_text()))
    assert energy_tables(results) in (ROOT / "docs" / "energy.md").read_text()
    assert (ROOT / "docs" / "energy_sensitivity.png").stat().st_size > 10_000


def test_the_tables_go_between_the_page_markers_and_a_page_without_them_is_refused(tmp_path):
    from lava_vle.experiments.benchmarks.energy import TABLE_MARKERS, energy_tables, recompute, replace_tables

    results = recompute(json.loads((ROOT / "docs" / "energy.json").read_text()))
    page = tmp_path / "energy.md"
    page.write_text(f"intro\n{TABLE_MARKERS[0]}\nold\n{TABLE_MARKERS[1]}\nafter\n")
    replace_tables(page, results)
    assert page.read_text() == (f"intro\n{TABLE_MARKERS[0]}\n{energy_tables(results)}\n"
                                f"{TABLE_MARKERS[1]}\nafter\n")
    page.write_text("no markers")
    with pytest.raises(ValueError, match="no energy-table markers"):
        replace_tables(page, results)
