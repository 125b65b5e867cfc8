"""The paper's-table campaign: rows as compare runs, skipping, budget, a tiny run."""
from pathlib import Path

import pytest

from lava_vle.experiments.campaign import ROWS, row_arguments, run_campaign
from lava_vle.cli import build_parser, main
from lava_vle.experiments.summaries import COMPARE_JSON


@pytest.mark.parametrize("row", sorted(ROWS))
@pytest.mark.parametrize("scale", ["full", "tiny"])
def test_every_row_is_a_valid_local_compare_command(row, scale):
    argv = row_arguments(row, scale, Path("out"), device="cuda")
    args = build_parser()[0].parse_args(argv)
    assert (args.command, args.address, args.device, args.out) == ("compare", "local", "cuda",
                                                                   str(Path("out") / row))
    if scale == "tiny":
        assert (args.epochs, args.seeds) == (1, 1)
        assert row == "pattern" or args.limit_train == 300


def test_workers_train_that_many_trials_at_a_time_through_local_n():
    argv = row_arguments("fashion-smnist-row", "full", Path("out"), workers=36)
    assert build_parser()[0].parse_args(argv).address == "local:36"
    with pytest.raises(ValueError, match="workers=0 must be an integer >= 1"):
        row_arguments("pattern", "full", Path("out"), workers=0)


def test_rows_already_summarised_are_skipped_and_the_budget_stops_new_rows(tmp_path):
    (tmp_path / "smnist-row").mkdir()
    (tmp_path / "smnist-row" / COMPARE_JSON).write_text("{}")
    ran = []
    outcome = run_campaign(tmp_path, "tiny", rows=["smnist-row", "delayed-xor", "pattern"],
                           budget_minutes=1e-9, command=ran.append, log=lambda _: None)
    assert outcome["smnist-row"] == "done"
    assert ran == [row_arguments("delayed-xor", "tiny", tmp_path)]  # the first row always runs
    assert outcome == {"smnist-row": "done", "delayed-xor": "ran", "pattern": "not started"}


def test_unknown_row_and_scale_are_named():
    with pytest.raises(ValueError, match="row='cifar' must be one of"):
        row_arguments("cifar", "full", Path("out"))
    with pytest.raises(ValueError, match="scale='huge' must be one of"):
        row_arguments("pattern", "huge", Path("out"))


@pytest.mark.slow
def test_tiny_campaign_row_trains_both_rules_and_writes_the_compare_summary(tmp_path):
    run_campaign(tmp_path, "tiny", rows=["delayed-xor"], command=main, log=lambda _: None)
    assert (tmp_path / "delayed-xor" / COMPARE_JSON).is_file()


def test_plots_are_skipped_by_name_on_a_machine_without_matplotlib(capsys):
    from lava_vle.plots import without_matplotlib

    def missing(name):
        def draw():
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return draw

    without_matplotlib(missing("matplotlib"), "compare.png")
    assert "matplotlib is not installed: compare.png not drawn" in capsys.readouterr().out
    with pytest.raises(ModuleNotFoundError):
        without_matplotlib(missing("torch"), "compare.png")  # only matplotlib is optional
