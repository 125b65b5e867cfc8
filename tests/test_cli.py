"""The lava-vle command line in process: one-line errors, help, report (no training)."""
import argparse
import json

import pytest

from lava_vle.cli import BENCHMARKS, build_parser, main

BAD = [
    ("train --task digits --epochs 0", "epochs=0 must be an integer >= 1"),
    ("train --task digits --lr nan", "lr=nan must be a finite number > 0"),
    ("train --task digits --lr -1", "lr=-1.0 must be a finite number > 0"),
    ("train --task digits --batch-size 0", "batch_size=0 must be an integer >= 1"),
    ("train --task mnist1d --width 0", "width=0 must be an integer >= 3"),
    ("train --task digits --limit-train 0", "limit_train=0 must be an integer >= 1"),
    ("train --task digits --limit-test 0", "limit_test=0 must be an integer >= 1"),
    ("train --task digits --seed -1", "seed=-1 must be an integer in 0..4294967295"),
    ("train --task digits --update-interval 0", "update_interval=0 must be an integer >= 1"),
    ("train --task digits --sigma-delta inf", "sigma_delta=inf must be a finite number >= 0"),
    ("train --task digits --rule bptt --precision fixed", "precision='fixed' trains with"),
    ("train --task digits --rule bptt --carry-state", "carry_state applies to rule='vle'"),
    ("train --task digits --epochs abc", "argument --epochs: invalid int value: 'abc'"),
    ("train --task mnist2d", "argument --task: invalid choice: 'mnist2d'"),
    ("train --task digits --data-dir x", "--data-dir applies to the smnist tasks only"),
    ("train --task digits --resume --overwrite", "--resume continues a checkpoint and "
                                                 "--overwrite discards it"),
    ("demo --steps 3", "argument --steps: '3' is not an integer >= 4"),
    ("compare --task digits --lrs abc --out x", "argument --lrs: 'abc' is not a comma-separated "
                                               "list of numbers"),
    ("compare --task digits --lrs 1e-3,0 --out x", "argument --lrs: '1e-3,0': give distinct "
                                                  "positive finite numbers"),
    ("demo --epochs -3", "argument --epochs: '-3' is not an integer >= 1"),
    ("bench nope", "argument NAME: invalid choice: 'nope'"),
    ("bench energy --bad", "lava-vle bench energy: error: unrecognized arguments: --bad"),
    ("bench gradient-quality --steps 0", "argument --steps: '0' is not an integer >= 1"),
    ("report {tmp}/missing", "missing is not a folder"),
    ("train --task digits --resume --out {tmp}/none", "--resume: no checkpoint in"),
    ("train --task digits --out {tmp}/file/run", "is not a writable folder: Not a directory"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[a for a, _ in BAD])
def test_a_user_error_is_one_line_on_stderr_with_exit_status_2(argv, message, tmp_path, capsys):
    (tmp_path / "file").write_text("")
    with pytest.raises(SystemExit) as done:
        main(argv.format(tmp=tmp_path).split())
    err = capsys.readouterr().err
    assert done.value.code == 2
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_help_shows_a_text_and_the_default_of_every_option(capsys):
    parser = build_parser()[0]
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, sub in subparsers.choices.items():
        for action in sub._actions:
            assert action.help, f"lava-vle {name} {action.option_strings or action.dest}: no help"
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 10)" in text and "--overwrite" in text
    assert "(default: the task's recipe, else 0.001)" in text  # --lr
    assert "mnist1d --rule vle: " in text  # the recipes are listed


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_bench_help_names_lava_vle_bench_name(name, capsys):
    with pytest.raises(SystemExit) as done:
        main(["bench", name, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: lava-vle bench {name}")


def test_report_names_and_skips_a_bad_results_json(tmp_path, capsys):
    good = {"task": "digits", "config": {"rule": "vle", "precision": "float", "lr": 0.01},
            "metric": "accuracy_percent", "test_metric": 50.0, "train_wall_s": 1.0,
            "network": {"parameters": 10},
            "history": [{"test_metric": 50.0, "samples_per_s": 100.0}]}
    for run, text in (("a-good", json.dumps(good)), ("b-truncated", json.dumps(good)[:40]),
                      ("c-foreign", '{"something": "else"}')):
        (tmp_path / run).mkdir()
        (tmp_path / run / "results.json").write_text(text)
    main(["report", str(tmp_path)])
    out, err = capsys.readouterr()
    assert "| a-good | digits |" in out
    assert err.count("skipped") == 2 and "b-truncated/results.json" in err and "c-foreign" in err
    main(["report", str(tmp_path / "a-good")])  # a run folder: its own row
    assert "| a-good | digits |" in capsys.readouterr().out
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit) as done:
        main(["report", str(tmp_path / "empty")])
    assert done.value.code == 2 and "no readable" in capsys.readouterr().err


def test_report_reads_the_trials_of_an_interrupted_compare(tmp_path, capsys):
    trial = tmp_path / "trials" / "vle-every-9" / "lr=0.001" / "seed-0"
    trial.mkdir(parents=True)
    (trial / "results.json").write_text(json.dumps(
        {"task": "digits", "config": {"rule": "vle", "precision": "float", "lr": 0.001},
         "metric": "accuracy_percent", "test_metric": 50.0, "train_wall_s": 1.0,
         "network": {"parameters": 10}, "history": [{"test_metric": 50.0,
                                                     "samples_per_s": 100.0}]}))
    main(["report", str(tmp_path)])
    out, err = capsys.readouterr()
    assert "| trials/vle-every-9/lr=0.001/seed-0 | digits |" in out
    assert "no compare.json" in err and "resumes it" in err


@pytest.mark.parametrize("name", ["summary.json", "compare.json"])
def test_report_names_a_damaged_summary(tmp_path, capsys, name):
    (tmp_path / name).write_text('{"rows": [')
    with pytest.raises(SystemExit) as done:
        main(["report", str(tmp_path)])
    err = capsys.readouterr().err
    assert done.value.code == 2 and f"{tmp_path / name} is damaged, not readable JSON" in err


def test_a_run_refused_by_its_settings_leaves_no_folder_behind(tmp_path, capsys):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as err:
        main(["train", "--task", "digits", "--learning-epoch", "9", "--out", str(out)])
    assert err.value.code == 2 and "learning_epoch=9" in capsys.readouterr().err
    assert not out.exists()


def test_version_prints_the_package_version(capsys):
    from lava_vle import __version__

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"lava-vle {__version__}"


def test_compare_help_offers_no_option_that_each_arm_sets_itself(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    options = [line.split()[0] for line in capsys.readouterr().out.splitlines()
               if line.startswith("  -")]
    assert "--lrs" in options
    assert not {"--rule", "--lr", "--bptt-layers"} & set(options)


def test_log_lines_read_as_sentences(tmp_path, capsys):
    main(["train", "--task", "digits", "--epochs", "1", "--hold", "2", "--limit-train", "64",
          "--limit-test", "32", "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert "loss on the task's own window" in out and "after 1 epoch (" in out
