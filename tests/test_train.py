"""Trainers and the `lava-vle train` command line."""
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lava_vle.datasets import digits
from lava_vle.train import (CHECKPOINT, FROZEN_WATCH_SEQUENCES, CheckpointError, Trainer,
                            TrainConfig, TrainingDiverged, fit, prepare_run_folder,
                            read_checkpoint)

DIGITS = digits()


def quiet(*_):
    pass


@pytest.mark.slow
@pytest.mark.parametrize("precision,lr", [("float", 3e-3), ("fixed", 0.032)])  # eta = lr / 32 = 1e-3
def test_vle_learns_digits_well_above_chance(tmp_path, precision, lr):
    config = TrainConfig(task="digits", rule="vle", precision=precision, epochs=5,
                         batch_size=32, lr=lr)
    results = fit(DIGITS, config, tmp_path, progress=False, log=quiet)
    assert results["test_metric"] > 35.0  # chance: 10 %
    assert (tmp_path / "learning_curves.png").exists() and (tmp_path / "outputs.png").exists()
    saved = json.loads((tmp_path / "results.json").read_text())
    assert saved["test_metric"] == results["test_metric"] and len(saved["history"]) == 5


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
    checkpoints = {run: read_checkpoint(tmp_path / run) for run in ("straight", "split")}
    assert checkpoints["split"]["epoch"] == 3  # the resumed run rewrote its checkpoint
    straight, split = (checkpoints[run]["params"] for run in ("straight", "split"))
    assert all(np.array_equal(a, b) for a, b in zip(straight, split))
    assert not np.array_equal(split[0], one.rule.params.arrays()[0])


@pytest.mark.slow
def test_cosine_schedule_decays_per_epoch_records_each_lr_and_resumes_to_the_same_weights(
        tmp_path):
    config = TrainConfig(task="digits", epochs=3, batch_size=64, lr=3e-3, limit_train=256,
                         lr_schedule="cosine")
    assert [config.lr_at(e) for e in range(3)] == pytest.approx([3e-3, 2.25e-3, 0.75e-3])
    straight = Trainer(DIGITS, config)
    for _ in range(3):
        straight.train_epoch(progress=False)
    assert straight.rule.lr == pytest.approx(0.75e-3)
    assert [row["lr"] for row in straight.history] == pytest.approx([3e-3, 2.25e-3, 0.75e-3])
    first = Trainer(DIGITS, config)
    first.train_epoch(progress=False)
    first.save_checkpoint(tmp_path)
    resumed = Trainer(DIGITS, config)
    resumed.load_state_dict(read_checkpoint(tmp_path))
    for _ in range(2):
        resumed.train_epoch(progress=False)
    assert all(np.array_equal(a, b) for a, b in
               zip(straight.rule.params.arrays(), resumed.rule.params.arrays()))


def test_plateau_schedule_halves_lr_after_three_epochs_without_a_lower_train_loss():
    config = TrainConfig(task="digits", epochs=10, lr=1e-3, lr_schedule="plateau")
    losses = [5.0, 4.0, 4.5, 4.2, 4.1, 3.0, 3.5, 3.2, 3.1]
    assert [config.lr_at(e, losses) for e in range(10)] == pytest.approx(
        [1e-3] * 5 + [5e-4] * 4 + [2.5e-4])


@pytest.mark.parametrize("schedule, halved", [("plateau", False), ("plateau-validation", True)])
def test_plateau_validation_schedule_watches_the_validation_loss_not_the_train_loss(
        schedule, halved):
    trainer = Trainer(DIGITS, TrainConfig(task="digits", epochs=10, lr=1e-3, validation=100,
                                          lr_schedule=schedule))
    falling_train, stalled_validation = [5.0, 4.0, 3.0, 2.0, 1.0], [2.0, 2.5, 2.4, 2.3, 2.2]
    trainer.history = [{"train_loss": t, "val_loss": v}
                       for t, v in zip(falling_train, stalled_validation)]
    trainer.epoch = len(trainer.history)
    assert trainer.lr() == pytest.approx(5e-4 if halved else 1e-3)


def test_plateau_counts_a_loss_lower_by_less_than_the_threshold_as_no_improvement():
    """torch's ReduceLROnPlateau (relative threshold 1e-4), as the GLE reference runs it."""
    config = TrainConfig(task="digits", epochs=10, lr=1e-3, lr_schedule="plateau")
    creeping = [5.0, 5.0 * (1 - 5e-5), 5.0 * (1 - 9e-5), 5.0 * (1 - 9.9e-5)]
    assert config.lr_at(4, creeping) == pytest.approx(5e-4)
    falling = [5.0, 5.0 * (1 - 2e-4), 5.0 * (1 - 4e-4), 5.0 * (1 - 6e-4)]
    assert config.lr_at(4, falling) == pytest.approx(1e-3)


def test_plateau_frozen_records_and_watches_the_frozen_weight_loss_of_training_sequences():
    trainer = Trainer(DIGITS, TrainConfig(task="digits", epochs=10, lr=1e-3, limit_train=64,
                                          limit_test=32, lr_schedule="plateau-frozen"))
    row = trainer.train_epoch(progress=False)
    frozen = trainer.evaluate("train", limit=FROZEN_WATCH_SEQUENCES)["loss"]
    assert row["frozen_train_loss"] == pytest.approx(frozen) and frozen != row["train_loss"]
    falling_train, stalled_frozen = [5.0, 4.0, 3.0, 2.0, 1.0], [2.0, 2.5, 2.4, 2.3, 2.2]
    trainer.history = [{"train_loss": t, "frozen_train_loss": f}
                       for t, f in zip(falling_train, stalled_frozen)]
    trainer.epoch = len(trainer.history)
    assert trainer.lr() == pytest.approx(5e-4)


def test_reference_conventions_that_a_path_does_not_implement_are_refused_by_name():
    with pytest.raises(ValueError, match="error_weights='forward' applies to rule='vle'.*"
                                         "feedback='random'"):
        TrainConfig(task="digits", error_weights="forward", feedback="random")
    with pytest.raises(ValueError, match="error_weights='forward' applies to rule='vle'"):
        TrainConfig(task="digits", rule="bptt", error_weights="forward")
    with pytest.raises(ValueError, match="input_timing='current' applies to rule='vle' and "
                                         "'bptt' in float .*rule='exact'"):
        TrainConfig(task="digits", rule="exact", input_timing="current")
    with pytest.raises(ValueError, match="dtype='float64' applies to the float rules"):
        TrainConfig(task="digits", precision="fixed", dtype="float64")
    with pytest.raises(ValueError, match="bias_init='normal' must be one of"):
        TrainConfig(task="digits", bias_init="normal")


def test_uniform_bias_init_draws_biases_within_the_weight_bound_and_keeps_the_weights():
    from lava_vle.spec import init_params

    spec = Trainer(DIGITS, TrainConfig(task="digits")).spec
    zero, uniform = init_params(spec, seed=3), init_params(spec, seed=3, bias_init="uniform")
    assert all(np.array_equal(a, b) for a, b in zip(zero.weights, uniform.weights))
    for bias, fan_in in zip(uniform.biases, spec.sizes[:-1]):
        assert 0 < np.abs(bias).max() <= 1 / np.sqrt(fan_in)


def test_fixed_point_refuses_the_float_rules_update_interval_and_records_none():
    with pytest.raises(ValueError, match="update_interval=9 applies to the float rules; "
                                         "fixed point's integer rule updates once per "
                                         "learning epoch"):
        TrainConfig(task="digits", precision="fixed", update_interval=9)
    assert TrainConfig(task="digits", precision="fixed").update_interval is None


def test_a_float64_trainer_keeps_float64_weights():
    trainer = Trainer(DIGITS, TrainConfig(task="digits", epochs=1, limit_train=32,
                                          dtype="float64"))
    trainer.train_epoch(progress=False)
    assert trainer.rule.params.W.dtype == np.float64


def test_plateau_validation_schedule_needs_a_validation_split():
    with pytest.raises(ValueError, match="lr_schedule='plateau-validation'.*validation=0"):
        TrainConfig(task="digits", lr_schedule="plateau-validation")


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
    resumed.load_state_dict(read_checkpoint(tmp_path))
    resumed.train_epoch(progress=False)
    assert all(np.array_equal(a, b) for a, b in
               zip(carried.rule.params.arrays(), resumed.rule.params.arrays()))


def test_a_carried_state_rule_evaluates_from_its_carried_state_repeated_over_the_batch():
    """As the GLE reference: a network that never starts from rest in training
    is evaluated from the state training left, each row repeated to fill the
    evaluation batch; the evaluation leaves that state as it was."""
    trainer = Trainer(DIGITS, TrainConfig(task="digits", epochs=1, batch_size=4, lr=3e-3,
                                          limit_train=8, carry_state=True))
    trainer.train_epoch(progress=False)
    rule = trainer.rule
    carried = rule.carried.copy()
    x, _ = trainer.sequences("test", np.arange(10))
    outputs = rule.forward(x)
    rows = np.arange(10) % 4
    assert np.array_equal(rule.net.tile_batch(carried, 10).u, carried.u[:, rows])
    state = rule.net.tile_batch(carried, 10)
    expected = rule.net.run(rule.params, x, state, x_prev=rule.carried_input[rows])[0]
    assert np.array_equal(outputs, expected)
    assert not np.allclose(outputs, rule.net.run(rule.params, x)[0])  # not from rest
    assert np.array_equal(rule.carried.u, carried.u)


def test_a_shared_evaluation_hands_its_final_state_with_decayed_errors_to_training():
    """evaluation_state='shared' (the GLE reference's protocol): the test run
    steps the error dendrites with no target error, and the next training
    batch starts from the first rows of the state it left; 'copy' leaves the
    carried state alone."""
    base = dict(task="digits", epochs=2, batch_size=4, lr=3e-3, limit_train=8, limit_test=10,
                carry_state=True)
    shared = Trainer(DIGITS, TrainConfig(**base, evaluation_state="shared"))
    copy = Trainer(DIGITS, TrainConfig(**base))
    for trainer in (shared, copy):
        trainer.rule.batch(*trainer.sequences("train", np.arange(4)))
    rule = shared.rule
    assert np.abs(rule.carried.e_target).max() > 0  # training left a target error
    before = rule.carried.copy()
    x, _ = shared.sequences("test", np.arange(10))
    rows = np.arange(10) % 4
    state = rule.net.tile_batch(before, 10)
    state.e_target = np.zeros_like(state.e_target)
    expected, final = rule.net.run(rule.params, x, state, errors=True,
                                   x_prev=rule.carried_input[rows])
    outputs = rule.forward(x, keep_state=True)
    assert np.array_equal(outputs, expected)
    assert np.array_equal(rule.forward(x), outputs)  # evaluations still start from training's
    assert not np.array_equal(final.v, before.v)  # the errors ran on
    start, x_prev = rule.start(x[:, :4])
    assert np.array_equal(start.u, final.u[:, :4])  # training goes on from its first rows
    assert np.array_equal(start.v, final.v[:, :4]) and np.array_equal(x_prev, x[-1, :4])
    assert np.abs(start.e_target).max() == 0
    with pytest.raises(ValueError, match="keep_state=True needs evaluation_state='shared'"):
        copy.rule.forward(x, keep_state=True)
    shared.train_epoch(progress=False)  # its test run: one batch of all 10, handed on
    assert rule.handed[0].u.shape[1] == 10 and rule.carried.u.shape[1] == 4
    assert copy.train_epoch(progress=False) and copy.rule.handed is None


@pytest.mark.slow
def test_a_shared_evaluation_resumes_to_the_same_weights_and_reports_its_epochs_number(tmp_path):
    base = dict(task="digits", epochs=2, batch_size=8, lr=3e-3, limit_train=32, limit_test=16,
                carry_state=True, evaluation_state="shared")
    straight = fit(DIGITS, TrainConfig(**base), tmp_path / "straight", progress=False, log=quiet)
    assert straight["test_metric"] == straight["history"][-1]["test_metric"]
    fit(DIGITS, TrainConfig(**{**base, "epochs": 1}), tmp_path / "resumed", progress=False,
        log=quiet)
    resumed = fit(DIGITS, TrainConfig(**base), tmp_path / "resumed", resume=True,
                  progress=False, log=quiet)
    def losses(results):
        return [(row["train_loss"], row["test_loss"]) for row in results["history"]]

    assert losses(resumed) == losses(straight)  # the handed state was checkpointed
    copy = fit(DIGITS, TrainConfig(**{**base, "evaluation_state": "copy"}), tmp_path / "copy",
               progress=False, log=quiet)
    assert copy["history"][1]["train_loss"] != straight["history"][1]["train_loss"]


def test_options_that_do_not_apply_are_rejected_by_name():
    with pytest.raises(ValueError, match="carry_state applies to rule='vle'"):
        TrainConfig(task="digits", rule="bptt", carry_state=True)
    with pytest.raises(ValueError, match="evaluation_state='shared' needs carry_state=True"):
        TrainConfig(task="digits", evaluation_state="shared")
    with pytest.raises(ValueError, match="evaluation_state='all' must be one of"):
        TrainConfig(task="digits", carry_state=True, evaluation_state="all")
    with pytest.raises(ValueError, match="lr_schedule='step' must be one of"):
        TrainConfig(task="digits", lr_schedule="step")
    with pytest.raises(ValueError, match="width=2 must be an integer >= 3"):
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
    epochs_done = read_checkpoint(tmp_path / "killed")["epoch"]
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
    with pytest.raises(TrainingDiverged, match=r"the weights hold NaN or inf at epoch 1, batch 1: "
                                               r"lower the learning rate"):
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
    from lava_vle.experiments.report import collect, markdown

    for rule in ("vle", "bptt"):
        fit(DIGITS, TrainConfig(task="digits", rule=rule, epochs=1, batch_size=64),
            tmp_path / f"digits-{rule}", progress=False, log=quiet)
    rows = collect(tmp_path)
    assert [r["rule"] for r in rows] == ["bptt", "vle"]
    table = markdown(rows)
    assert table.count("\n| digits-") == 2 and "accuracy %" in table


SMALL_RUN = dict(task="digits", epochs=2, batch_size=64, lr=3e-3, limit_train=128, limit_test=64)


def one_epoch_checkpoint(folder, **settings):
    """A run folder holding the checkpoint after one epoch (no results)."""
    trainer = Trainer(DIGITS, TrainConfig(**{**SMALL_RUN, **settings}))
    trainer.train_epoch(progress=False)
    trainer.save_checkpoint(folder)
    return trainer


@pytest.mark.parametrize("rule,precision,carry", [("vle", "float", True), ("bptt", "float", False),
                                                  ("vle", "fixed", False)])
def test_checkpoint_is_npz_and_json_without_pickle_and_restores_the_rule_exactly(
        tmp_path, rule, precision, carry):
    lr = 0.032 if precision == "fixed" else 3e-3
    trainer = one_epoch_checkpoint(tmp_path, rule=rule, precision=precision, carry_state=carry,
                                   lr=lr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-epoch0001.npz",
                                                          "checkpoint.json"]
    with np.load(tmp_path / "checkpoint-epoch0001.npz", allow_pickle=False) as npz:
        assert npz.files  # plain arrays
    manifest = json.loads((tmp_path / CHECKPOINT).read_text())
    assert manifest["format"] == "lava-vle checkpoint" and manifest["state"]["epoch"] == 1
    restored = Trainer(DIGITS, trainer.config)
    restored.load_state_dict(read_checkpoint(tmp_path))
    for trained in (trainer, restored):
        trained.train_epoch(progress=False)
    for key in ("train_loss", "test_loss", "test_metric"):
        assert [row[key] for row in restored.history] == [row[key] for row in trainer.history]
    arrays = (lambda t: t.rule.params.weight_acc) if precision == "fixed" else \
        (lambda t: t.rule.params.arrays())
    assert all(np.array_equal(a, b) for a, b in zip(arrays(trainer), arrays(restored)))


def corrupt(folder, how):
    """Damage the checkpoint in ``folder`` as a crash, a disk or a user might."""
    manifest, arrays = folder / CHECKPOINT, folder / "checkpoint-epoch0001.npz"
    if how == "truncated manifest":
        manifest.write_bytes(manifest.read_bytes()[:100])
    elif how == "random manifest":
        manifest.write_bytes(np.random.default_rng(0).bytes(300))
    elif how == "foreign json":
        manifest.write_text('{"name": "some other tool", "version": 3}')
    elif how == "flipped bytes":
        data = bytearray(arrays.read_bytes())
        data[len(data) // 2:len(data) // 2 + 64] = bytes(64)
        arrays.write_bytes(bytes(data))
    elif how == "edited state":
        manifest.write_text(manifest.read_text().replace('"epoch": 1', '"epoch": 7'))
    elif how == "missing arrays":
        arrays.unlink()
    elif how == "old pickle":
        manifest.unlink()
        arrays.unlink()
        (folder / "checkpoint.pkl").write_bytes(b"\x80\x04\x95...")
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("how,message", [
    ("truncated manifest", r"checkpoint.json: not a readable checkpoint manifest \(truncated"),
    ("random manifest", r"checkpoint.json: not a readable checkpoint manifest"),
    ("foreign json", r"checkpoint.json: not a lava-vle checkpoint"),
    ("flipped bytes", r"checkpoint-epoch0001.npz: checksum mismatch"),
    ("edited state", r"checkpoint-epoch0001.npz: checksum mismatch"),
    ("missing arrays", r"checkpoint.json: its arrays file checkpoint-epoch0001.npz is missing"),
    ("old pickle", r"checkpoint.pkl: a pickle checkpoint of an older lava-vle, not loaded")])
def test_a_damaged_or_foreign_checkpoint_is_one_line_naming_the_file_and_stays_untouched(
        tmp_path, how, message):
    one_epoch_checkpoint(tmp_path)
    before = corrupt(tmp_path, how)
    with pytest.raises(CheckpointError, match=message) as err:
        read_checkpoint(tmp_path)
    assert "\n" not in str(err.value) and str(tmp_path) in str(err.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_a_resume_with_other_settings_names_each_differing_key(tmp_path):
    one_epoch_checkpoint(tmp_path)
    other = Trainer(DIGITS, TrainConfig(**{**SMALL_RUN, "lr": 0.5, "batch_size": 32}))
    with pytest.raises(CheckpointError) as err:
        other.load_state_dict(read_checkpoint(tmp_path))
    assert "batch_size: 64 in the checkpoint, 32 now" in str(err.value)
    assert "lr: 0.003 in the checkpoint, 0.5 now" in str(err.value)
    assert "epochs" not in str(err.value)


def test_resume_with_fewer_epochs_than_done_says_so(tmp_path):
    trainer = one_epoch_checkpoint(tmp_path)
    trainer.train_epoch(progress=False)
    trainer.save_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match=r"2 epochs are done, more than epochs=1: "
                                              r"pass --epochs 2 or more"):
        fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 1}), tmp_path, resume=True,
            progress=False, log=quiet)


def test_run_folder_is_checked_before_training(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError, match=r"--out .*a-file/run is not a writable folder"):
        fit(DIGITS, TrainConfig(**SMALL_RUN), tmp_path / "a-file" / "run", log=quiet)
    one_epoch_checkpoint(tmp_path / "run")
    with pytest.raises(FileExistsError, match="--resume to continue it, --overwrite to start"):
        fit(DIGITS, TrainConfig(**SMALL_RUN), tmp_path / "run", log=quiet)
    with pytest.raises(ValueError, match="choose one"):
        fit(DIGITS, TrainConfig(**SMALL_RUN), tmp_path / "run", resume=True, overwrite=True)
    killed = tmp_path / "killed"  # the first checkpoint's write cut short: no checkpoint yet
    killed.mkdir()
    (killed / "checkpoint-epoch0001.npz.tmp").write_bytes(b"half an npz")
    prepare_run_folder(killed)
    with pytest.raises(FileNotFoundError, match="--resume: no checkpoint in"):
        prepare_run_folder(killed, resume=True)
    one_epoch_checkpoint(killed)
    assert sorted(p.name for p in killed.iterdir()) == ["checkpoint-epoch0001.npz",
                                                        "checkpoint.json"]


USER_FILES = {"checkpoint-notes.txt": "mine", "checkpoint-epoch-notes.txt": "mine too",
              "checkpoint.probe": "a name lava-vle once probed with", "notes.txt": "kept",
              "results.json.bak": "{}", "checkpoints/best.npz": "a folder of mine"}


def write_user_files(folder):
    for name, text in USER_FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)


def test_overwrite_removes_only_the_files_a_run_writes(tmp_path):
    run = tmp_path / "run"
    fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 1}), run, log=quiet, progress=False)
    written = sorted(p.name for p in run.iterdir())
    write_user_files(run)
    fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 1}), run, log=quiet, progress=False,
        overwrite=True)
    assert all((run / name).read_text() == text for name, text in USER_FILES.items())
    assert sorted(p.name for p in run.iterdir()) == sorted(
        set(written) | {name.split("/")[0] for name in USER_FILES})


@pytest.mark.parametrize("name", ["results.json", "checkpoint-epoch0007.npz", "outputs.png"])
def test_overwrite_refuses_before_removing_anything_when_a_run_file_name_is_a_folder(
        tmp_path, name):
    one_epoch_checkpoint(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / name).mkdir()
    with pytest.raises(FileExistsError, match=f"{name}: not a file.*nothing was removed"):
        fit(DIGITS, TrainConfig(**SMALL_RUN), tmp_path, log=quiet, overwrite=True)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_checkpoints_remove_only_their_own_older_arrays(tmp_path):
    write_user_files(tmp_path)
    for epochs in (1, 2):
        one_epoch_checkpoint(tmp_path)
    assert all((tmp_path / name).read_text() == text for name, text in USER_FILES.items())


def test_a_cosine_run_resumed_with_other_epochs_is_refused_naming_the_schedule(tmp_path):
    one_epoch_checkpoint(tmp_path, lr_schedule="cosine")
    with pytest.raises(CheckpointError, match="epochs: 2 in the checkpoint, 3 now .the cosine "
                                              "schedule decays over all epochs"):
        fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 3, "lr_schedule": "cosine"}),
            tmp_path, resume=True, log=quiet)


def test_a_resume_on_other_data_is_refused_by_the_checkpoints_data_fingerprint(tmp_path):
    from dataclasses import replace

    one_epoch_checkpoint(tmp_path)
    permuted = replace(DIGITS, y_train=np.roll(DIGITS.y_train, 1))
    with pytest.raises(CheckpointError, match="trained on other data"):
        fit(permuted, TrainConfig(**SMALL_RUN), tmp_path, resume=True, log=quiet)
    fit(DIGITS, TrainConfig(**SMALL_RUN), tmp_path, resume=True, log=quiet, progress=False)


def test_numpy_numbers_in_a_config_are_python_numbers_and_reach_results_json(tmp_path):
    config = TrainConfig(**{**SMALL_RUN, "epochs": np.int64(1), "batch_size": np.int32(64),
                            "lr": np.float32(3e-3)})
    assert type(config.epochs) is int and type(config.lr) is float
    results = fit(DIGITS, config, tmp_path, log=quiet, progress=False)
    assert json.loads((tmp_path / "results.json").read_text())["config"]["epochs"] == 1
    assert results["config"]["batch_size"] == 64


def test_a_diverging_run_is_named_in_a_warning(tmp_path):
    lines = []
    fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 1, "lr": 1e6}), tmp_path,
        log=lines.append, progress=False)
    assert any("warning: epoch 1" in line and "diverging; lower the learning rate (lr=1e+06)"
               in line for line in lines)
    steady = []
    fit(DIGITS, TrainConfig(**{**SMALL_RUN, "epochs": 1}), tmp_path / "steady",
        log=steady.append, progress=False)
    assert not any("diverging" in line for line in steady)


def test_without_torch_vle_trains_and_bptt_names_the_extra_to_install():
    """torch is an optional extra: the core trains with numpy alone and BPTT
    says which extra brings torch."""
    import subprocess
    import sys

    code = """
import sys

class NoTorch:  # as if torch were not installed
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError(f"No module named {name!r}")

sys.meta_path.insert(0, NoTorch())
from lava_vle import TrainConfig, Trainer, load_dataset
data = load_dataset("digits")
Trainer(data, TrainConfig(task="digits", epochs=1, limit_train=32, limit_test=8)).train_epoch(False)
try:
    Trainer(data, TrainConfig(task="digits", rule="bptt", limit_train=32)).train_epoch(False)
except ImportError as err:
    print(err)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert 'BPTT needs torch, which is not installed: pip install "lava-vle[torch]"' in out


def test_a_training_epoch_leaves_the_multiprocessing_start_method_to_lava():
    """Lava's runtime sets the start method when first imported and fails if
    one is set; a trainer's progress bar must not set it (tqdm's default lock
    would), so Lava processes can be built after training in one session."""
    code = ("from lava_vle import Trainer, TrainConfig, load_dataset\n"
            "config = TrainConfig(task='digits', epochs=1, batch_size=32, limit_train=64, "
            "limit_test=32)\n"
            "Trainer(load_dataset('digits'), config).train_epoch(progress=True)\n"
            "import multiprocessing\n"
            "multiprocessing.set_start_method('fork')  # what Lava does at import\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
