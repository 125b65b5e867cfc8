"""The paper's table as targets: each verdict follows from the comparison's numbers."""
import pytest

from lava_vle.experiments.targets import TARGETS, Target, lr_pick, verdict_table


def summary(folder, metric, vle, bptt, cadence="equal"):
    """A compare.json summary with one VLE and one BPTT arm at ``cadence``."""
    return {"folder": folder, "metric": metric, "rows": [
        {"rule": "vle", "cadence": cadence, "test": {"mean": vle}},
        {"rule": "bptt", "cadence": cadence, "test": {"mean": bptt}}]}


ACCURACY = Target("task", "full", ("row",), vle_at_least=97.0, gap_at_most=1.0)


@pytest.mark.parametrize("vle,bptt,verdict", [
    (97.5, 98.0, "**reached**"),
    (97.0, 98.0, "**reached**"),  # both bounds inclusive
    (96.9, 97.5, "missed: VLE 0.1 points short"),
    (97.5, 98.6, "missed: gap 1.1 > 1"),
    (90.0, 96.0, "missed: VLE 7.0 points short, gap 6.0 > 1"),
])
def test_an_accuracy_target_is_reached_only_when_both_bounds_hold(vle, bptt, verdict):
    table = verdict_table([summary("row", "accuracy_percent", vle, bptt)], [ACCURACY])
    assert table.splitlines()[2].endswith(f"| {verdict} |")


def test_an_nrmse_target_compares_vle_to_bptt_as_a_ratio():
    target = Target("pattern", "one", ("row",), ratio_at_most=1.5)
    reached = verdict_table([summary("row", "nrmse", 0.15, 0.1)], [target])
    missed = verdict_table([summary("row", "nrmse", 0.16, 0.1)], [target])
    assert reached.endswith("| 0.150 | 0.100 | - / - | **reached** |")
    assert missed.endswith("| missed: ratio 1.60 > 1.5 |")


def test_every_cadence_a_comparison_trained_gets_its_own_verdict():
    both = summary("row", "accuracy_percent", 97.5, 98.0)
    both["rows"] += [{"rule": "vle", "cadence": "natural", "test": {"mean": 90.0}},
                     {"rule": "bptt", "cadence": "natural", "test": {"mean": 98.0}}]
    lines = verdict_table([both], [ACCURACY]).splitlines()[2:]
    assert [line.split(" | ")[4] for line in lines] == ["equal", "natural"]
    assert lines[0].endswith("**reached** |") and "missed" in lines[1]


def test_a_target_without_its_comparison_says_why_it_was_not_run():
    target = Target("pixel", "full", ("absent",), vle_at_least=97.6, not_run="budget")
    assert verdict_table([], [target]).endswith("| not run (budget) |")


def test_a_target_needs_a_condition_and_a_comparison_or_a_reason():
    with pytest.raises(ValueError, match="no condition"):
        Target("task", "full", ("row",))
    with pytest.raises(ValueError, match="folders that test it or why none does"):
        Target("task", "full", vle_at_least=90.0)


def test_the_papers_rows_are_all_targets():
    names = " ".join(t.benchmark for t in TARGETS)
    for benchmark in ("row-wise sMNIST", "pixel-wise sMNIST", "Fashion-MNIST", "delayed XOR",
                      "pattern generation", "MNIST-1D, 14,956", "MNIST-1D, <= 42k"):
        assert benchmark in names


def test_a_target_relative_to_bptt_is_not_reached_without_a_bptt_arm():
    alone = {"folder": "row", "metric": "accuracy_percent",
             "rows": [{"rule": "vle", "cadence": "natural", "test": {"mean": 99.0}}]}
    table = verdict_table([alone], [ACCURACY])
    assert table.endswith("| 99.0 | - | - / - | missed: no BPTT arm at this cadence |")


@pytest.mark.parametrize("change, words", [
    ({"hold": 2}, "each input held 2 steps"), ({"teach_window": 14}, "taught on the last 14 inputs"),
    ({"config": {"ema": 0.99}}, "weights averaged"),
    ({"config": {"recurrent_error": "eprop-all"}}, "eligibilities on every weight")])
def test_a_variant_of_the_task_is_named_and_never_reached(change, words):
    target = Target("row", "s", ("row",), vle_at_least=97.0, gap_at_most=1.0)
    changed = {**summary("row", "accuracy_percent", 97.5, 98.0), **change}
    table = verdict_table([changed], [target], variants=True)
    assert f"variant ({words}): met |" in table and "reached" not in table
    assert "`row`" not in verdict_table([changed], [target])


def test_the_task_as_defined_and_its_variants_go_to_separate_tables():
    task = summary("task", "accuracy_percent", 97.5, 98.0)
    held = {**summary("held", "accuracy_percent", 97.5, 98.0), "hold": 2}
    target = Target("row", "s", ("task", "held"), vle_at_least=97.0)
    assert "`task`" in verdict_table([task, held], [target])
    assert "`held`" not in verdict_table([task, held], [target])
    assert "`held`" in verdict_table([task, held], [target], variants=True)
    assert "`task`" not in verdict_table([task, held], [target], variants=True)


@pytest.mark.parametrize("grid, lr, where", [
    ([1e-3], 1e-3, "one value"), ([1e-3, 3e-3, 1e-2], 1e-3, "lowest of 3"),
    ([1e-3, 3e-3, 1e-2], 1e-2, "highest of 3"), ([1e-3, 3e-3, 1e-2], 3e-3, "inside 3")])
def test_an_lr_picked_at_the_grids_edge_is_said(grid, lr, where):
    row = {"lr": lr, "grid": {f"lr={value:g}": 0.0 for value in grid}}
    assert lr_pick(row) == where


def test_the_verdict_shows_the_spread_over_the_seeds():
    spread = summary("row", "nrmse", 0.3, 0.28)
    spread["rows"][0]["test"].update(std=0.275)
    table = verdict_table([spread], [Target("pattern", "one", ("row",), ratio_at_most=1.5)])
    assert "| 0.300 +- 0.275 | 0.280 |" in table


def test_a_target_met_against_truncated_bptt_only_is_not_reached():
    """Reached means against BPTT at its own best settings: met at equal
    cadence against a truncated BPTT but missed against BPTT once per
    sequence reads as both, and an accuracy target likewise."""
    target = Target("pattern", "one", ("row",), ratio_at_most=1.5)
    both = summary("row", "nrmse", 0.5, 0.4)
    both["rows"] += [{"rule": "vle", "cadence": "natural", "test": {"mean": 0.5}},
                     {"rule": "bptt", "cadence": "natural", "test": {"mean": 0.05}}]
    equal, natural = verdict_table([both], [target]).splitlines()[2:]
    assert equal.endswith("| met at this cadence; missed against BPTT at its best "
                          "(natural cadence): ratio 10.00 > 1.5 |")
    assert natural.endswith("| missed: ratio 10.00 > 1.5 |")
    accuracy = summary("row", "accuracy_percent", 97.5, 98.0)
    accuracy["rows"].append({"rule": "bptt", "cadence": "natural", "test": {"mean": 99.0}})
    assert "missed against BPTT at its best (natural cadence): gap 1.5 > 1" in \
        verdict_table([accuracy], [ACCURACY])
