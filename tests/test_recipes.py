"""`lava-vle train --task T --rule R` trains with the task's recipe; options given win."""
from dataclasses import fields
from pathlib import Path

import pytest

from lava_vle.cli import build_parser, train_config
from lava_vle.experiments.compare import load_summaries
from lava_vle.experiments.recipes_from_comparisons import (earlier_runs, pick, picks,
                                                            runs_as_summary)
from lava_vle.recipes import RECIPES, recipe
from lava_vle.train import TrainConfig


ROOT = Path(__file__).resolve().parents[1]


def config_of(*argv):
    parser, _ = build_parser()
    return train_config(parser.parse_args(["train", *argv]))


def test_train_without_options_uses_the_mnist1d_vle_recipe():
    config = config_of("--task", "mnist1d")
    assert (config.lr, config.update_interval, config.carry_state, config.lr_schedule) == (
        1e-3, 1, True, "plateau-frozen")
    assert (config.error_weights, config.input_timing, config.bias_init) == (
        "forward", "current", "uniform")
    bptt = config_of("--task", "mnist1d", "--rule", "bptt")
    assert (bptt.lr, bptt.update_interval, bptt.carry_state) == (1e-3, None, False)


def test_options_given_win_over_the_recipe_even_when_they_equal_the_plain_default():
    config = config_of("--task", "mnist1d", "--update-interval", "50", "--no-carry-state",
                       "--lr-schedule", "constant")
    assert (config.update_interval, config.carry_state, config.lr_schedule) == (50, False,
                                                                                  "constant")


def test_task_without_recipe_trains_with_the_train_config_defaults():
    assert "psmnist" not in RECIPES
    assert config_of("--task", "psmnist") == TrainConfig(task="psmnist")
    assert config_of("--task", "fashion-smnist-row", "--rule", "bptt") == TrainConfig(
        task="fashion-smnist-row", rule="bptt", lr=3e-3)


def test_fixed_point_takes_its_own_recipe_not_the_float_one():
    config = config_of("--task", "delayed-xor", "--precision", "fixed")
    assert (config.lr, config.batch_size, config.activation) == (0.03, 50, None)


@pytest.mark.parametrize("task", sorted(RECIPES))
@pytest.mark.parametrize("rule,precision", [("vle", "float"), ("bptt", "float"),
                                            ("exact", "float"), ("vle", "fixed")])
def test_every_recipe_is_a_valid_train_config_of_known_fields(task, rule, precision):
    options = recipe(task, rule, precision)
    assert set(options) <= {f.name for f in fields(TrainConfig)}
    TrainConfig(task=task, rule=rule, precision=precision, **options)  # validates


@pytest.mark.parametrize("task", sorted(RECIPES))
@pytest.mark.parametrize("rule", ["vle", "bptt"])
def test_a_recipe_is_the_task_as_defined_not_a_variant(task, rule):
    from lava_vle.experiments.targets import variant

    config = TrainConfig.from_recipe(task, rule)
    as_summary = {"hold": config.hold, "teach_window": config.teach_window,
                  "config": {"ema": config.ema, "recurrent_error": config.recurrent_error}}
    assert variant(as_summary) == ""


def test_a_variant_is_an_option_given_on_top_of_the_recipe():
    config = config_of("--task", "delayed-xor", "--ema", "0.99", "--recurrent-error",
                       "eprop-all")
    assert (config.ema, config.recurrent_error, config.update_interval) == (0.99, "eprop-all",
                                                                            10)


def test_recipe_selection_picks_the_lowest_validation_loss_and_flags_a_grid_edge(tmp_path):
    from lava_vle.experiments.recipe_selection import main

    selection = main(["--task", "digits", "--lrs", "1e-4,3e-3", "--seeds", "1", "--epochs",
                      "1", "--validation", "100", "--runs", str(tmp_path / "runs"),
                      "--out", str(tmp_path / "digits.json")])
    losses = [row["val_loss_mean"] for row in selection["rows"]]
    assert selection["picked_lr"] == [1e-4, 3e-3][losses.index(min(losses))]
    assert selection["at_grid_edge"] and "test_metric" in selection["rows"][0]["seeds"][0]


#: the single-rule candidates the recipe page was generated with (its command's --runs)
RUNS = sorted((ROOT / "docs" / "gle-reproduction").glob("validation-*"))
EARLIER = ROOT / "docs" / "recipe-selection" / "earlier"
COMPARED = picks(load_summaries(ROOT / "docs" / "compare") + [runs_as_summary(f) for f in RUNS]
                 + earlier_runs(EARLIER))


@pytest.mark.parametrize("task,rule", sorted(COMPARED))
def test_each_compared_tasks_float_recipe_is_its_validation_pick(task, rule):
    """Every option the comparisons varied takes the value of the arm with the
    best validation score (docs/recipe-selection/from-comparisons.md)."""
    chosen = COMPARED[(task, rule)]
    config = TrainConfig.from_recipe(task, rule)
    for name, value in chosen["picked"]["options"].items():
        if len({repr(row["options"][name]) for row in chosen["candidates"]}) > 1:
            assert getattr(config, name) == value, name


def test_the_recipe_selection_page_is_what_its_command_writes(tmp_path):
    from lava_vle.experiments.recipes_from_comparisons import main

    out = tmp_path / "page.md"
    main([str(ROOT / "docs" / "compare"), "--runs", *map(str, RUNS), "--earlier", str(EARLIER),
          "--out", str(out)])
    stored = (ROOT / "docs" / "recipe-selection" / "from-comparisons.md").read_text()
    assert out.read_text().split("\n", 3)[3] == stored.split("\n", 3)[3]


def test_an_earlier_runs_arms_stay_candidates_after_a_rerun_drops_them():
    """A re-run with the recipe an earlier run chose trains fewer arms (VLE's
    natural cadence became its recipe's); the earlier run's arms, labelled,
    still show what the recipe was chosen against."""
    chosen = COMPARED[("fashion-smnist-row", "vle")]
    arms = {(row["folder"], row["arm"]) for row in chosen["candidates"]}
    assert ("fashion-row-full (earlier run)", "vle-per-sequence") in arms
    assert ("fashion-row-full", "vle-every-9") in arms


def test_a_recipe_pick_is_the_best_validation_score_whatever_the_metrics_direction():
    rows = [{"validation": 0.3}, {"validation": 0.1}, {"validation": 0.2}]
    assert pick(rows, "nrmse") is rows[1]
    assert pick(rows, "accuracy_percent") is rows[0]
    tie = [{"validation": 1.0, "name": "plain"}, {"validation": 1.0, "name": "variant"}]
    assert pick(tie, "accuracy_percent")["name"] == "plain"


def test_a_candidates_options_are_its_own_arms_settings_where_the_row_records_them():
    """Each rule runs its own recipe in a comparison: BPTT's row must not be
    credited with the VLE arm's settings (the comparison's first)."""
    from lava_vle.experiments.recipes_from_comparisons import candidates

    vle = {"lr_schedule": "plateau-frozen", "input_timing": "current", "bias_init": "uniform"}
    bptt = {"lr_schedule": "plateau", "input_timing": "delayed", "bias_init": "zero"}
    summary = {"folder": "f", "task": "mnist1d", "epochs": 100, "selection": "s",
               "metric": "accuracy_percent", "config": {"task": "mnist1d", **vle},
               "rows": [{"arm": "vle-every-1", "rule": "vle", "lr": 1e-3, "update_interval": 1,
                         "validation": 91.0, "grid": {"lr=0.001": 91.0},
                         "config": {"task": "mnist1d", **vle}},
                        {"arm": "bptt-per-sequence", "rule": "bptt", "lr": 1e-3,
                         "update_interval": None, "validation": 80.0,
                         "grid": {"lr=0.001": 80.0}, "config": {"task": "mnist1d", **bptt}}]}
    found = candidates([summary])
    (bptt_row,) = next(rows for key, rows in found.items() if key[1] == "bptt")
    assert {k: bptt_row["options"][k] for k in bptt} == bptt
    (vle_row,) = next(rows for key, rows in found.items() if key[1] == "vle")
    assert {k: vle_row["options"][k] for k in vle} == vle
    del summary["rows"][1]["config"]  # a row recorded before: the comparison's settings
    (old,) = next(rows for key, rows in candidates([summary]).items() if key[1] == "bptt")
    assert old["options"]["lr_schedule"] == "plateau-frozen"


def write_seed_runs(folder, val_metrics, **config):
    import json

    for seed, val in enumerate(val_metrics):
        (folder / f"seed-{seed}").mkdir(parents=True)
        (folder / f"seed-{seed}" / "results.json").write_text(json.dumps({
            "metric": "accuracy_percent", "test_metric": 50.0, "train_wall_s": 1.0,
            "config": {"task": "mnist1d", "rule": "vle", "epochs": 100, "seed": seed, **config},
            "history": [{"epoch": 100, "val_metric": val}]}))
    return folder


def test_a_folder_of_seed_runs_with_a_held_out_split_is_one_more_candidate(tmp_path):
    runs = write_seed_runs(tmp_path / "conventions", [98.0, 99.0], validation=400,
                           update_interval=1, carry_state=True, lr_schedule="plateau-frozen",
                           error_weights="forward")
    summaries = load_summaries(ROOT / "docs" / "compare") + [runs_as_summary(runs)]
    chosen = picks(summaries)[("mnist1d", "vle")]
    assert chosen["picked"]["folder"] == "conventions"
    assert chosen["picked"]["validation"] == 98.5
    assert chosen["picked"]["options"]["error_weights"] == "forward"
    compared_only = picks(load_summaries(ROOT / "docs" / "compare"))[("mnist1d", "vle")]
    assert len(chosen["candidates"]) == len(compared_only["candidates"]) + 1


def test_seed_runs_without_a_held_out_split_are_refused_as_a_candidate(tmp_path):
    runs = write_seed_runs(tmp_path / "all", [90.0], update_interval=1)
    with pytest.raises(ValueError, match="without a held-out split"):
        runs_as_summary(runs)
