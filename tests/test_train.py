"""Trainers and the `lava-vle train` command line."""
import json
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lava_vle.datasets import digits
from lava_vle.train import CHECKPOINT, Trainer, TrainConfig, TrainingDiverged, fit

DIGITS = digits()


def quiet(*_):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("precision,lr", [("float", 3e-3), ("fixed", 0.032)])  # eta = lr / 32 = 1e-3
def test_vle_learns_digits_well_above_chance(tmp_path, precision, lr):
    config = TrainConfig(task="digits", rule="vle", precision=precision, epochs=3,
                         batch_size=32, lr=lr)
    results = fit(DIGITS, config, tmp_path, progress=False, log=quiet)
    assert results["test_metric"] > 40.0  # chance: 10 %
    assert (tmp_path / "learning_curves.png").exists() and (tmp_path / "outputs.png").exists()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["test_metric"] == results["test_metric"] and len(saved["history"]) == 3


def test_exact_adjoint_and_bptt_trainers_take_the_same_first_step():
    """Same network, same initial weights, same Adam: the two exact rules agree."""
    steps = {}
    for rule in ("exact", "bptt"):
        trainer = Trainer(DIGITS, TrainConfig(task="digits", rule=rule, batch_size=64, lr=1e-3))
        trainer.rule.batch(*trainer.sequences("train", np.arange(64)))
        steps[rule] = [a.copy() for a in trainer.rule.params.arrays()]
    for a, b in zip(steps["exact"], steps["bptt"]):
        np.testing.assert_allclose(a, b, atol=2e-5)


@pytest.mark.slow
@pytest.mark.parametrize("rule", ["vle", "bptt"])
def test_training_keeps_padding_and_non_recurrent_layers_at_zero(rule):
    from lava_vle.datasets import pattern_generation

    dataset = pattern_generation(steps=120)
    trainer = Trainer(dataset, TrainConfig(task="pattern", rule=rule, epochs=2, lr=1e-2))
    for _ in range(2):
        trainer.train_epoch(progress=False)
    p, sizes = trainer.rule.params, trainer.spec.sizes
    assert np.abs(p.R[0]).max() > 0 and np.all(p.R[1:] == 0)  # only layer 1 is recurrent
    for layer, (n_post, n_pre) in enumerate(zip(sizes[1:], sizes[:-1])):
        assert np.all(p.W[layer, n_post:] == 0) and np.all(p.W[layer, :, n_pre:] == 0)


@pytest.mark.slow
def test_resume_continues_to_the_same_result_as_an_uninterrupted_run(tmp_path):
    config = TrainConfig(task="digits", epochs=3, batch_size=64, lr=3e-3, limit_train=400)
    straight = fit(DIGITS, config, tmp_path / "straight", progress=False, log=quiet)
    fit(DIGITS, TrainConfig(**{**config.__dict__, "epochs": 1}), tmp_path / "split",
        progress=False, log=quiet)
    resumed = fit(DIGITS, config, tmp_path / "split", resume=True, progress=False, log=quiet)
    for key in ("train_loss", "test_loss", "test_metric"):
        assert [r[key] for r in resumed["history"]] == [r[key] for r in straight["history"]]
    after_one_epoch = TrainConfig(**{**config.__dict__, "epochs": 1})
    one = Trainer(DIGITS, after_one_epoch)
    one.train_epoch(progress=False)
    checkpoints = {}
    for run in ("straight", "split"):
        with open(tmp_path / run / CHECKPOINT, "rb") as fh:
            checkpoints[run] = pickle.load(fh)
    assert checkpoints["split"]["epoch"] == 3  # the resumed run rewrote its checkpoint
    straight, split = (checkpoints[run]["params"].arrays() for run in ("straight", "split"))
    assert all(np.array_equal(a, b) for a, b in zip(straight, split))
    assert not np.array_equal(split[0], one.rule.params.arrays()[0])


@pytest.mark.slow
def test_cosine_schedule_decays_per_epoch_and_resumes_to_the_same_weights(tmp_path):
    config = TrainConfig(task="digits", epochs=3, batch_size=64, lr=3e-3, limit_train=256,
                         lr_schedule="cosine")
    assert [config.lr_at(e) for e in range(3)] == pytest.approx([3e-3, 2.25e-3, 0.75e-3])
    straight = Trainer(DIGITS, config)
    for _ in range(3):
        straight.train_epoch(progress=False)
    assert straight.rule.lr == pytest.approx(0.75e-3)
    first = Trainer(DIGITS, config)
    first.train_epoch(progress=False)
    first.save_checkpoint(tmp_path)
    resumed = Trainer(DIGITS, config)
    with open(tmp_path / CHECKPOINT, "rb") as fh:
        resumed.load_state_dict(pickle.load(fh))
    for _ in range(2):
        resumed.train_epoch(progress=False)
    assert all(np.array_equal(a, b) for a, b in
               zip(straight.rule.params.arrays(), resumed.rule.params.arrays()))


def test_plateau_schedule_halves_lr_after_three_epochs_without_a_lower_train_loss():
    config = TrainConfig(task="digits", epochs=10, lr=1e-3, lr_schedule="plateau")
    losses = [5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 3.5, 3.2, 3.1]
    assert [config.lr_at(e, losses) for e in range(10)] == pytest.approx(
        [1e-3] * 5 + [5e-4] * 4 + [2.5e-4])


@pytest.mark.slow
def test_carry_state_changes_training_and_resumes_to_the_same_weights(tmp_path):
    base = dict(task="digits", epochs=2, batch_size=64, lr=3e-3, limit_train=256)
    carried = Trainer(DIGITS, TrainConfig(**base, carry_state=True))
    fresh = Trainer(DIGITS, TrainConfig(**base))
    for trainer in (carried, fresh):
        for _ in range(2):
            trainer.train_epoch(progress=False)
    assert np.abs(carried.rule.carried.u).max() > 0
    assert not np.array_equal(carried.rule.params.W, fresh.rule.params.W)
    first = Trainer(DIGITS, TrainConfig(**base, carry_state=True))
    first.train_epoch(progress=False)
    first.save_checkpoint(tmp_path)
    resumed = Trainer(DIGITS, TrainConfig(**base, carry_state=True))
    with open(tmp_path / CHECKPOINT, "rb") as fh:
        resumed.load_state_dict(pickle.load(fh))
    resumed.train_epoch(progress=False)
    assert all(np.array_equal(a, b) for a, b in
               zip(carried.rule.params.arrays(), resumed.rule.params.arrays()))


def test_options_that_do_not_apply_are_rejected_by_name():
    with pytest.raises(ValueError, match="carry_state applies to rule='vle'"):
        TrainConfig(task="digits", rule="bptt", carry_state=True)
    with pytest.raises(ValueError, match="lr_schedule='step' must be one of"):
        TrainConfig(task="digits", lr_schedule="step")
    with pytest.raises(ValueError, match="width=2 must be >= 3"):
        TrainConfig(task="mnist1d", width=2)
    with pytest.raises(ValueError, match="width applies to the mnist1d network only"):
        Trainer(DIGITS, TrainConfig(task="digits", width=16))


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "lava_vle.cli", "train", *args],
                          capture_output=True, text=True, timeout=300, **kwargs)


@pytest.mark.slow
def test_run_killed_mid_way_resumes_to_the_uninterrupted_result(tmp_path):
    args = ["--task", "digits", "--epochs", "12", "--batch-size", "16", "--quiet"]
    assert cli(*args, "--out", str(tmp_path / "straight")).returncode == 0
    victim = subprocess.Popen([sys.executable, "-m", "lava_vle.cli", "train", *args,
                               "--out", str(tmp_path / "killed")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checkpoint = tmp_path / "killed" / CHECKPOINT
    deadline = time.time() + 120
    while not checkpoint.exists() and time.time() < deadline:
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    with open(checkpoint, "rb") as fh:
        epochs_done = pickle.load(fh)["epoch"]
    assert 1 <= epochs_done < 12, "the run was not interrupted mid-way"
    resumed = cli(*args, "--out", str(tmp_path / "killed"), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    straight = json.loads((tmp_path / "straight" / "results.json").read_text())
    after = json.loads((tmp_path / "killed" / "results.json").read_text())
    assert after["test_metric"] == straight["test_metric"]
    assert [r["train_loss"] for r in after["history"]] == \
        [r["train_loss"] for r in straight["history"]]


@pytest.mark.slow
def test_diverging_run_raises_and_keeps_the_last_checkpoint(tmp_path):
    config = TrainConfig(task="digits", rule="exact", epochs=1, batch_size=64, lr=1.0)
    fit(DIGITS, config, tmp_path, progress=False, log=quiet)
    before = (tmp_path / CHECKPOINT).read_bytes()
    trainer = Trainer(DIGITS, TrainConfig(task="digits", rule="exact", epochs=2, batch_size=64,
                                          lr=1.0))
    trainer.rule.params.W[...] = np.nan
    with pytest.raises(TrainingDiverged, match=r"loss is nan at epoch 1.*lower the learning rate"):
        trainer.train_epoch(progress=False)
    assert (tmp_path / CHECKPOINT).read_bytes() == before


@pytest.mark.slow
def test_cli_errors_name_the_problem(tmp_path):
    wrong = cli("--task", "mnist2d", "--out", str(tmp_path / "a"))
    assert wrong.returncode != 0 and "mnist2d" in wrong.stderr and "digits" in wrong.stderr
    missing = cli("--task", "smnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "b"))
    assert missing.returncode != 0 and "train-images-idx3-ubyte" in missing.stderr
    assert cli("--task", "digits", "--epochs", "1", "--quiet",
               "--out", str(tmp_path / "c")).returncode == 0
    again = cli("--task", "digits", "--epochs", "1", "--out", str(tmp_path / "c"))
    assert again.returncode != 0 and "--resume" in again.stderr
    with pytest.raises(ValueError, match="precision='fixed' trains with the local rule only"):
        TrainConfig(task="digits", rule="bptt", precision="fixed")


@pytest.mark.slow
def test_report_tabulates_every_run_folder(tmp_path):
    from lava_vle.report import collect, markdown

    for rule in ("vle", "bptt"):
        fit(DIGITS, TrainConfig(task="digits", rule=rule, epochs=1, batch_size=64),
            tmp_path / f"digits-{rule}", progress=False, log=quiet)
    rows = collect(tmp_path)
    assert [r["rule"] for r in rows] == ["bptt", "vle"]
    table = markdown(rows)
    assert table.count("\n| digits-") == 2 and "accuracy %" in table
