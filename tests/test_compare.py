"""lava-vle compare: matched arms, lr picked on validation only, paired report."""
import json
from dataclasses import replace

import numpy as np
import pytest

from lava_vle.cli import main
from lava_vle.experiments.compare import (VALIDATION_PATTERN_SEED, Arm, arms, equal_interval, make_plan, pick,
                              summarize, reported_trials)
from lava_vle.datasets import load_dataset
from lava_vle.train import TrainConfig, fit


def test_equal_cadence_gives_both_rules_the_same_interval_and_natural_their_own():
    arm_list = arms(["equal", "natural"], 4, 50, 28)
    assert [(a.name, a.rule, a.cadence, a.update_interval) for a in arm_list] == [
        ("vle-every-7", "vle", "equal", 7), ("bptt-every-7", "bptt", "equal", 7),
        ("vle-per-sequence", "vle", "natural", 50), ("bptt-per-sequence", "bptt", "natural", None)]
    assert equal_interval(28, 4) == 7 and equal_interval(30, 4) == 8


def test_equal_cadence_counts_vles_settle_steps_so_both_take_the_same_steps_per_sequence():
    vle, bptt = arms(["equal"], 4, 50, 28, settle_steps=6)
    assert (vle.update_interval, bptt.update_interval) == (9, 7)
    assert -(-34 // 9) == -(-28 // 7) == 4


def test_an_arm_both_cadences_share_is_trained_once():
    arm_list = arms(["equal", "natural"], 1, 50, 28)
    assert [(a.name, a.cadence) for a in arm_list] == [
        ("vle-per-sequence", "equal,natural"), ("bptt-per-sequence", "equal,natural")]


@pytest.mark.parametrize("value", [0, 29, 2.5])
def test_updates_per_sequence_must_fit_the_sequence(value):
    with pytest.raises(ValueError, match="updates_per_sequence"):
        equal_interval(28, value)


def digits_base(arm, lr, seed):
    return TrainConfig(task="digits", rule=arm.rule, lr=lr, seed=seed, epochs=1, batch_size=32,
                       limit_train=96, limit_test=40, update_interval=arm.update_interval)


def test_lr_is_picked_on_the_validation_split_never_on_the_test_set(tmp_path):
    arm_list = arms(["equal"], 2, 50, 8)
    plan = make_plan(digits_base, arm_list, [1e-4, 3e-2], [0, 1], 1797 - 360, 200)
    dataset = load_dataset("digits")
    for per_lr in plan.selection.values():
        for trials in per_lr.values():
            for trial in trials:
                assert trial.config.validation == 200
                fit(dataset, trial.config, tmp_path / trial.folder, progress=False,
                    log=lambda *_: None)
    picked = pick(plan, tmp_path, lower_is_better=False)
    for arm in arm_list:
        val = {}
        for lr, trials in plan.selection[arm.name].items():
            runs = [json.loads((tmp_path / t.folder / "results.json").read_text())
                    for t in trials]
            val[lr] = np.mean([r["history"][-1]["val_metric"] for r in runs])
        assert picked[arm.name]["lr"] == max(val, key=val.get)
    tests = reported_trials(plan, picked)
    summary = summarize(plan, picked, tests, tmp_path, lower_is_better=False)
    rows = {row["arm"]: row for row in summary["rows"]}
    assert rows["vle-every-4"]["optimizer_steps_per_sequence"] == 2
    assert rows["bptt-every-4"]["optimizer_steps_per_sequence"] == 2
    (pair,) = summary["paired"]
    diffs = [rows["vle-every-4"]["by_seed"][s] - rows["bptt-every-4"]["by_seed"][s]
             for s in ("0", "1")]
    assert pair["vle_minus_bptt"]["mean"] == pytest.approx(np.mean(diffs))


def test_a_one_sequence_task_picks_its_lr_on_another_pattern_and_tests_on_its_own():
    def base(arm, lr, seed):
        return TrainConfig(task="pattern", rule=arm.rule, lr=lr, seed=seed, epochs=1,
                           update_interval=arm.update_interval)

    plan = make_plan(base, arms(["natural"], 10, 50, 500), [1e-3, 3e-3], [0], 1, 0)
    trial = plan.selection["bptt-per-sequence"][1e-3][0]
    assert trial.config.dataset_kwargs == {"seed": VALIDATION_PATTERN_SEED}
    picked = {arm.name: {"lr": 3e-3} for arm in plan.arms}
    (test,) = reported_trials(plan, picked)["vle-every-50"]
    assert test.config.dataset_kwargs == {} and test.config.lr == 3e-3
    assert test.folder != trial.folder


def test_a_diverged_trial_ranks_its_lr_last(tmp_path):
    plan = make_plan(digits_base, [Arm("bptt-every-4", "bptt", "equal", 4)], [1e-3, 1e-2],
                     [0], 1797 - 360, 100)
    ok = plan.selection["bptt-every-4"][1e-3][0]
    fit(load_dataset("digits"), replace(ok.config, epochs=1), tmp_path / ok.folder,
        progress=False, log=lambda *_: None)
    assert pick(plan, tmp_path, lower_is_better=False)["bptt-every-4"]["lr"] == 1e-3


@pytest.mark.parametrize("option", [["--lr", "1"], ["--rule", "bptt"], ["--update-interval=2"],
                                    ["--seed", "1"]])
def test_compare_refuses_the_options_it_sets_itself(option, tmp_path, capsys):
    with pytest.raises(SystemExit) as err:
        main(["compare", "--task", "digits", *option, "--out", str(tmp_path)])
    assert err.value.code == 2 and "compare sets" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_command_writes_a_paired_table_on_ray(tmp_path, capsys):
    main(["compare", "--task", "digits", "--epochs", "1", "--lrs", "1e-3,1e-2", "--seeds", "2",
          "--limit-train", "64", "--limit-test", "32", "--validation", "64",
          "--updates-per-sequence", "2", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "compare.json").read_text())
    assert {row["arm"] for row in summary["rows"]} == {
        "vle-every-4", "bptt-every-4", "vle-per-sequence", "bptt-per-sequence"}
    assert all(row["test"]["n"] == 2 for row in summary["rows"])
    assert (tmp_path / "compare.png").stat().st_size > 0
    assert "optimiser steps / sequence" in (tmp_path / "compare.md").read_text()


def test_results_page_is_generated_from_the_committed_summaries(monkeypatch, capsys):
    """docs/results.md is exactly what `lava-vle report docs/compare` prints."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(root)
    main(["report", "docs/compare"])
    assert capsys.readouterr().out == (root / "docs" / "results.md").read_text()


def test_compare_runs_without_ray_with_address_local(tmp_path, capsys):
    main(["compare", "--task", "digits", "--epochs", "1", "--lrs", "1e-3,1e-2", "--seeds", "1",
          "--limit-train", "64", "--limit-test", "32", "--validation", "64",
          "--cadences", "equal", "--updates-per-sequence", "2", "--address", "local",
          "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "compare.json").read_text())
    assert [row["arm"] for row in summary["rows"]] == ["vle-every-4", "bptt-every-4"]
    assert "Ray" not in capsys.readouterr().out


def test_report_writes_the_tasks_as_defined_between_the_readme_markers(tmp_path):
    from pathlib import Path

    from lava_vle.experiments.compare import (TABLE_MARKERS, load_summaries, replace_table,
                                              summary_table, tasks_as_defined)

    summaries = load_summaries(Path(__file__).resolve().parents[1] / "docs" / "compare")
    page = tmp_path / "README.md"
    page.write_text(f"intro\n{TABLE_MARKERS[0]}\nold table\n{TABLE_MARKERS[1]}\nafter\n")
    replace_table(page, summaries)
    own = tasks_as_defined(summaries)
    assert page.read_text() == (f"intro\n{TABLE_MARKERS[0]}\n{summary_table(own)}\n"
                                f"{TABLE_MARKERS[1]}\nafter\n")
    folders = {s["folder"] for s in own}
    assert "delayed-xor" in folders and "smnist-row-hold1" in folders
    assert not folders & {"delayed-xor-ema", "pattern-hold2", "smnist-row-window14"}
    page.write_text("no markers")
    with pytest.raises(ValueError, match="no results-table markers"):
        replace_table(page, summaries)


def test_summary_table_names_each_rows_training_sequences():
    """Two rows of one task and hold differ only in data: the table names each
    by its folder and says which trained on a limit and which on the whole
    training set."""
    from pathlib import Path

    from lava_vle.experiments.compare import load_summaries, summary_table

    summaries = load_summaries(Path(__file__).resolve().parents[1] / "docs" / "compare")
    rows = {s["folder"]: s for s in summaries}
    table = summary_table([rows["fashion-row-full"], rows["fashion-row-hold1"]]).splitlines()
    assert "training sequences" in table[0]
    assert table[2].startswith("| fashion-row-full | all | 1 |")
    assert table[3].startswith("| fashion-row-hold1 | 10,000 | 1 |")


def test_a_comparison_taught_on_its_own_window_says_so_in_every_table():
    """Two comparisons of one task and hold that differ in the teaching
    window: the summary table and the comparison's own table say which window
    each was taught on; the task's own window says nothing."""
    from pathlib import Path

    from lava_vle.experiments.compare import load_summaries, markdown, resolution, summary_table

    summaries = load_summaries(Path(__file__).resolve().parents[1] / "docs" / "compare")
    own = next(s for s in summaries if s["folder"] == "smnist-row-hold1")
    window = dict(own, folder="smnist-row-window", teach_window=14)
    assert resolution(own) == "hold 1"
    assert resolution(window) == "hold 1, taught on the last 14 inputs"
    table = summary_table([own, window]).splitlines()
    assert table[2].startswith("| smnist-row-hold1 | all | 1 | accuracy % |")
    assert table[3].startswith("| smnist-row-window | all | 1 (taught on the last 14) |")
    assert markdown(window).startswith("**smnist-row**, hold 1, taught on the last 14 inputs, ")


def test_every_arm_of_the_summary_table_states_its_optimiser_steps_per_sequence():
    """The README's table names the cadence of every number: steps per
    sequence for the equal cadence (both rules alike) and for each rule at
    its natural one (e.g. MNIST-1D: VLE 360, BPTT 1)."""
    from pathlib import Path

    from lava_vle.experiments.compare import load_summaries, summary_table

    summaries = load_summaries(Path(__file__).resolve().parents[1] / "docs" / "compare")
    rows = {s["folder"]: s for s in summaries}
    line = summary_table([rows["mnist1d-gle-plateau"]]).splitlines()[2].split(" | ")
    assert line[6:8] == ["86.7 +- 1.8 (360)", "83.3 +- 2.0 (1)"]
    line = summary_table([rows["delayed-xor"]]).splitlines()[2].split(" | ")
    assert line[4:8] == ["98.8 +- 0.4", "99.6 +- 0.0 (13)", "98.8 +- 0.4 (13)", "100.0 +- 0.0 (1)"]
