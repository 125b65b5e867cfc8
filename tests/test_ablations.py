"""One-at-a-time ablations: each row's change is read from its runs' settings,
and its difference from the base is paired over the seeds both ran."""
import json

import pytest

from lava_vle.experiments.ablations import MARKERS, main


def write_runs(folder, tests, first_seed=0, val=None, **changed):
    for k, test in enumerate(tests):
        seed = first_seed + k
        config = {"task": "mnist1d", "rule": "vle", "lr": 1e-3, "seed": seed, **changed}
        history = [{"epoch": 1, **({} if val is None else {"val_metric": val[k]})}]
        (folder / f"seed-{seed}").mkdir(parents=True)
        (folder / f"seed-{seed}" / "results.json").write_text(json.dumps(
            {"config": config, "test_metric": test, "history": history, "train_wall_s": 60.0}))
    return folder


def test_a_row_names_the_setting_it_changed_and_its_paired_difference(tmp_path):
    base = write_runs(tmp_path / "base", [90.0, 92.0, 91.0])
    more = write_runs(tmp_path / "more", [93.0], first_seed=3)
    lower = write_runs(tmp_path / "lower", [89.0, 90.0, 90.0], lr=3e-4)
    rows = main(["--base", str(base), str(more), "--ablations", str(lower)]).splitlines()
    assert "| base | (the base recipe) | 0, 1, 2, 3 | 90.0 / 92.0 / 91.0 / 93.0 |" in rows[2]
    assert "| lower | lr: 0.001 -> 0.0003 | 0, 1, 2 |" in rows[3]
    assert "-1.3 +- 0.6 (seeds 0, 1, 2)" in rows[3]  # -1, -2, -1


def test_a_row_with_a_held_out_split_shows_its_validation_metric(tmp_path):
    base = write_runs(tmp_path / "base", [90.0, 92.0])
    held = write_runs(tmp_path / "held", [88.0, 89.0], val=[87.0, 89.0], validation=400)
    row = main(["--base", str(base), "--ablations", str(held)]).splitlines()[3]
    assert "validation: 0 -> 400" in row
    assert "| 88.0 +- 1.4 | 1.0 |" in row


def test_runs_of_one_row_must_share_their_settings(tmp_path):
    base = write_runs(tmp_path / "base", [90.0])
    write_runs(tmp_path / "base", [91.0], first_seed=1, lr=3e-4)
    with pytest.raises(ValueError, match=r"seed 1 differs .* \['lr'\]"):
        main(["--base", str(base)])


def test_a_seed_twice_in_the_base_is_refused(tmp_path):
    one, two = write_runs(tmp_path / "one", [90.0]), write_runs(tmp_path / "two", [91.0])
    with pytest.raises(ValueError, match="seed 0 appears twice"):
        main(["--base", str(one), str(two)])


def test_the_table_goes_between_the_pages_markers_and_nothing_else_changes(tmp_path):
    base = write_runs(tmp_path / "base", [90.0])
    page = tmp_path / "NOTES.md"
    page.write_text(f"before\n{MARKERS[0]}\nold\n{MARKERS[1]}\nafter\n")
    main(["--base", str(base), "--into", str(page)])
    text = page.read_text()
    assert text.startswith(f"before\n{MARKERS[0]}\n| row |") and "old" not in text
    assert text.endswith(f"{MARKERS[1]}\nafter\n")


def test_the_base_against_a_reference_compares_the_same_readouts_of_both_curves(tmp_path):
    from lava_vle.experiments.ablations import seed_runs, versus_reference

    base = tmp_path / "base"
    for seed, curve in enumerate([[80.0, 90.0, 91.0], [82.0, 88.0, 89.0]]):
        (base / f"seed-{seed}").mkdir(parents=True)
        history = [{"epoch": e + 1, "test_metric": m} for e, m in enumerate(curve)]
        (base / f"seed-{seed}" / "results.json").write_text(json.dumps(
            {"config": {"task": "mnist1d", "seed": seed}, "test_metric": curve[-1],
             "history": history, "train_wall_s": 1.0}))
    reference = {"seeds": {"12": [10.0, 85.0, 95.0, 92.0, 50.0],
                           "32": [10.0, 83.0, 93.0, 90.0, 50.0]}}
    rows = versus_reference(seed_runs([base]), reference).splitlines()
    assert rows[0].startswith("| readout at epoch 3 | this loop (2 seeds) | the reference (2")
    final, best = rows[2].split(" | "), rows[4].split(" | ")
    assert final[1:4] == ["90.00 +- 1.41 (89.0..91.0)", "91.00 +- 1.41 (90.0..92.0)", "-1.00"]
    assert best[1:4] == ["90.00 +- 1.41 (89.0..91.0)", "94.00 +- 1.41 (93.0..95.0)", "-4.00"]
    with pytest.raises(ValueError, match="end before epoch 3"):
        versus_reference(seed_runs([base]), {"seeds": {"12": [10.0, 85.0]}})


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # Welch's test of one constant seed
def test_the_reference_schedule_is_replayed_on_its_own_watched_loss(tmp_path):
    """The reference's plateau schedule, replayed with this project's rule on
    the test losses it watched, is compared with the rates this loop ran."""
    from lava_vle.experiments.ablations import replayed_rates, seed_runs, versus_reference

    base = tmp_path / "base" / "seed-0"
    base.mkdir(parents=True)
    rates = [1e-3] * 4 + [5e-4] * 2
    history = [{"epoch": e + 1, "test_metric": 90.0, "lr": lr} for e, lr in enumerate(rates)]
    config = {"task": "mnist1d", "seed": 0, "lr": 1e-3, "lr_schedule": "plateau-frozen"}
    (base / "results.json").write_text(json.dumps({"config": config, "test_metric": 90.0,
                                                   "history": history, "train_wall_s": 1.0}))
    flat = [2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # no fall after epoch 1: halved after 3 more
    assert replayed_rates(config, flat[1:]) == [1e-3] * 4 + [5e-4] * 2
    reference = {"seeds": {"1": [90.0] * 7, "2": [90.0] * 7}, "test_loss": {"1": flat, "2": flat}}
    rows = versus_reference(seed_runs([tmp_path / "base"]), reference)
    assert "| first epoch at half the rate | 5.00 +- 0.00 (5.0..5.0) | 5.00 +- 0.00" in rows
