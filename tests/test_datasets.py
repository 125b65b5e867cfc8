"""lava_vle.datasets: generators, the IDX reader, windows, NRMSE and the registry."""
import gzip
import random
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lava_vle import datasets as D
from lava_vle.datasets import (DATASETS, IDX_FILES, SequenceDataset, delayed_xor, digits,
                               fashion_mnist, load_dataset, load_mnist_idx, mnist1d, nrmse,
                               one_hot_targets, pattern_generation, read_idx)


def check_common(ds: SequenceDataset):
    """Invariants every dataset promises (independent of SequenceDataset.validate)."""
    for x in (ds.x_train, ds.x_test):
        assert x.dtype == np.float32 and x.ndim == 3
        assert np.all(np.isfinite(x))
    assert ds.x_train.shape[1:] == ds.x_test.shape[1:]
    steps = ds.x_train.shape[1]
    for w in (ds.loss_weight, ds.readout_weight):
        assert w.dtype == np.float32 and w.shape == (steps,)
    if ds.task == "classification":
        for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
            assert y.dtype == np.int64 and y.shape == (x.shape[0],)
            assert y.min() >= 0 and y.max() < ds.n_out
    else:
        for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
            assert y.dtype == np.float32 and y.shape == (x.shape[0], steps, ds.n_out)


def ones_at(steps, start, stop=None):
    w = np.zeros(steps, dtype=np.float32)
    w[start:stop] = 1
    return w


# ---------------------------------------------------------------------------
# container
# ---------------------------------------------------------------------------

def test_container_rejects_bad_fields():
    x = np.zeros((2, 5, 1), np.float32)
    good = dict(name="t", x_train=x, y_train=np.array([0, 1]), x_test=x,
                y_test=np.array([1, 0]), task="classification", n_out=2,
                loss_weight=np.ones(5, np.float32), readout_weight=np.ones(5, np.float32),
                dt=1.0, info={})
    ds = SequenceDataset(**good)
    assert (ds.steps, ds.n_in, ds.n_train, ds.n_test) == (5, 1, 2, 2)
    bad = [("x_train", x.astype(np.float64)), ("y_train", np.array([0, 2])),
           ("y_test", np.array([0.0, 1.0])), ("loss_weight", np.ones(4, np.float32)),
           ("readout_weight", np.zeros(5, np.float32)), ("task", "ranking"), ("dt", 0.0),
           ("x_test", np.zeros((2, 6, 1), np.float32))]
    for field_name, value in bad:
        with pytest.raises(ValueError):
            SequenceDataset(**{**good, field_name: value})


# ---------------------------------------------------------------------------
# MNIST-1D
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def mnist1d_default():
    return mnist1d()


def test_mnist1d_layout(mnist1d_default):
    ds = mnist1d_default
    check_common(ds)
    assert ds.x_train.shape == (4000, 360, 1) and ds.x_test.shape == (1000, 360, 1)
    assert ds.n_out == 10 and ds.task == "classification" and ds.name == "mnist1d"
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert set(np.unique(ds.y_test)) == set(range(10))
    np.testing.assert_array_equal(ds.loss_weight, np.ones(360, np.float32))
    np.testing.assert_array_equal(ds.readout_weight, np.ones(360, np.float32))
    assert ds.dt == pytest.approx(0.2)
    # the generator standardises the whole (train + test) set
    x_all = np.concatenate([ds.x_train, ds.x_test]).astype(np.float64)
    assert abs(x_all.mean()) < 1e-3 and x_all.std() == pytest.approx(1.0, abs=1e-3)
    assert ds.info["generator_args"]["final_seq_length"] == 360
    assert ds.info["generator_args"]["seed"] == 42
    assert "interpolation" in ds.info["supersampling"]


def test_mnist1d_is_the_packages_generator_output(mnist1d_default):
    from mnist1d.data import get_dataset_args, make_dataset
    args = get_dataset_args()
    args.final_seq_length = 360
    ref = make_dataset(args)
    np.testing.assert_array_equal(mnist1d_default.x_train[:, :, 0],
                                  ref["x"].astype(np.float32))
    np.testing.assert_array_equal(mnist1d_default.y_test, ref["y_test"])


def test_mnist1d_is_interpolated_not_repeated(mnist1d_default):
    # repeating 72 samples 5 times would give runs of 5 equal values
    x = mnist1d_default.x_train[:50, :, 0]
    runs = np.mean(x[:, 1:] == x[:, :-1])
    assert runs < 0.05


def test_mnist1d_deterministic_and_seeded(mnist1d_default):
    again = mnist1d()
    np.testing.assert_array_equal(again.x_train, mnist1d_default.x_train)
    np.testing.assert_array_equal(again.y_train, mnist1d_default.y_train)
    a = mnist1d(seed=1, num_samples=200)
    b = mnist1d(seed=2, num_samples=200)
    assert a.x_train.shape == (160, 360, 1) and a.x_test.shape == (40, 360, 1)
    assert not np.array_equal(a.x_train, b.x_train)


def test_mnist1d_leaves_global_rng_alone():
    np.random.seed(7)
    random.seed(7)
    expected = (np.random.random(), random.random())
    np.random.seed(7)
    random.seed(7)
    mnist1d(num_samples=50, steps=72)
    assert (np.random.random(), random.random()) == expected


def test_mnist1d_steps_dt_cache_and_errors(tmp_path):
    ds = mnist1d(steps=72, num_samples=100, cache_dir=tmp_path)
    assert ds.x_train.shape == (80, 72, 1) and ds.dt == pytest.approx(1.0)
    assert not ds.info["from_cache"]
    files = list(tmp_path.glob("mnist1d-*.npz"))
    assert len(files) == 1
    again = mnist1d(steps=72, num_samples=100, cache_dir=tmp_path)
    assert again.info["from_cache"]
    np.testing.assert_array_equal(again.x_test, ds.x_test)
    np.testing.assert_array_equal(again.y_train, ds.y_train)
    other = mnist1d(steps=72, num_samples=100, iid_noise_scale=0.1, cache_dir=tmp_path)
    assert not other.info["from_cache"] and len(list(tmp_path.glob("mnist1d-*.npz"))) == 2
    with pytest.raises(ValueError, match="no_such_arg"):
        mnist1d(no_such_arg=1)
    with pytest.raises(ValueError, match="steps"):
        mnist1d(steps=1)


# ---------------------------------------------------------------------------
# IDX reader
# ---------------------------------------------------------------------------

IDX_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B,
             np.dtype(np.int32): 0x0C, np.dtype(np.float32): 0x0D,
             np.dtype(np.float64): 0x0E}


def idx_bytes(arr: np.ndarray) -> bytes:
    """Encode ``arr`` as an IDX file, independently of the reader under test."""
    header = bytes([0, 0, IDX_CODES[arr.dtype], arr.ndim])
    header += b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, arr: np.ndarray, gz: bool = False) -> Path:
    data = idx_bytes(arr)
    if gz:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def make_mnist_dir(directory: Path, n_train=12, n_test=5, gz=False, seed=0, side=28):
    rng = np.random.default_rng(seed)
    data = {
        "train_images": rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
        "train_labels": rng.integers(0, 10, n_train).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
        "test_labels": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for key, arr in data.items():
        write_idx(directory / IDX_FILES[key], arr, gz=gz)
    return data


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(sorted(IDX_CODES, key=str)),
       shape=st.lists(st.integers(0, 4), min_size=1, max_size=4),
       seed=st.integers(0, 2**16))
def test_read_idx_roundtrip(tmp_path_factory, dtype, shape, seed):
    rng = np.random.default_rng(seed)
    arr = (rng.normal(size=shape) * 100).astype(dtype)
    directory = tmp_path_factory.mktemp("idx")
    for gz in (False, True):
        out = read_idx(write_idx(directory / "a-idx", arr, gz=gz))
        assert out.dtype == dtype.newbyteorder("=") and out.shape == tuple(shape)
        np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_idx_pixel_and_row(tmp_path, gz):
    data = make_mnist_dir(tmp_path, gz=gz)
    ds = load_mnist_idx(tmp_path)
    check_common(ds)
    assert ds.name == "smnist" and ds.n_out == 10 and ds.dt == 1.0
    assert ds.x_train.shape == (12, 784, 1) and ds.x_test.shape == (5, 784, 1)
    img = data["train_images"][3].astype(np.float64) / 255
    np.testing.assert_allclose(ds.x_train[3, :, 0], img.ravel(), rtol=1e-6)
    np.testing.assert_array_equal(ds.y_train, data["train_labels"])
    np.testing.assert_array_equal(ds.y_test, data["test_labels"])
    assert ds.x_train.min() >= 0 and ds.x_train.max() <= 1
    np.testing.assert_array_equal(ds.loss_weight, ones_at(784, 784 - 78))
    np.testing.assert_array_equal(ds.readout_weight, ds.loss_weight)

    row = load_mnist_idx(tmp_path, variant="row", limit_train=4, limit_test=100)
    check_common(row)
    assert row.name == "smnist-row"
    assert row.x_train.shape == (4, 28, 28) and row.x_test.shape == (5, 28, 28)
    np.testing.assert_allclose(row.x_test[2], data["test_images"][2] / 255, rtol=1e-6)
    np.testing.assert_array_equal(row.loss_weight, ones_at(28, 25))
    half = load_mnist_idx(tmp_path, variant="row", teach_fraction=0.5)
    np.testing.assert_array_equal(half.readout_weight, ones_at(28, 14))
    tiny = load_mnist_idx(tmp_path, variant="row", teach_fraction=0.001)
    np.testing.assert_array_equal(tiny.loss_weight, ones_at(28, 27))


def test_load_mnist_idx_dotted_names_and_registry(tmp_path):
    data = make_mnist_dir(tmp_path, side=4)
    (tmp_path / "train-images-idx3-ubyte").rename(tmp_path / "train-images.idx3-ubyte")
    ds = load_dataset("smnist-row", directory=tmp_path)
    assert ds.name == "smnist-row" and ds.x_train.shape == (12, 4, 4)
    np.testing.assert_allclose(ds.x_train[0], data["train_images"][0] / 255, rtol=1e-6)
    assert load_dataset("smnist", directory=tmp_path).x_test.shape == (5, 16, 1)
    with pytest.raises(ValueError, match="variant"):
        load_dataset("smnist", directory=tmp_path, variant="row")
    with pytest.raises(ValueError, match="variant"):
        load_dataset("fashion-smnist", directory=tmp_path, variant="row")


def test_idx_corrupt_files(tmp_path):
    make_mnist_dir(tmp_path)
    labels = tmp_path / IDX_FILES["train_labels"]
    good = labels.read_bytes()
    labels.write_bytes(b"\x12\x34" + good[2:])
    with pytest.raises(ValueError, match="magic"):
        load_mnist_idx(tmp_path)
    labels.write_bytes(good[:-3])
    with pytest.raises(ValueError, match="truncated"):
        load_mnist_idx(tmp_path)
    labels.write_bytes(idx_bytes(np.zeros(11, np.uint8)))
    with pytest.raises(ValueError, match="12 images but"):
        load_mnist_idx(tmp_path)
    labels.write_bytes(idx_bytes(np.full(12, 10, np.uint8)))
    with pytest.raises(ValueError, match="0..9"):
        load_mnist_idx(tmp_path)
    labels.write_bytes(idx_bytes(np.zeros(12, np.int32)))
    with pytest.raises(ValueError, match="unsigned-byte"):
        load_mnist_idx(tmp_path)
    labels.unlink()
    (tmp_path / (IDX_FILES["train_labels"] + ".gz")).write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="corrupt"):
        load_mnist_idx(tmp_path)
    with pytest.raises(ValueError, match="variant"):
        load_mnist_idx(tmp_path, variant="column")
    with pytest.raises(ValueError, match="limit_train"):
        load_mnist_idx(tmp_path, limit_train=0)


def test_idx_missing_files(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError) as err:
        load_mnist_idx(empty)
    msg = str(err.value)
    assert str(empty) in msg and "put the MNIST IDX files in" in msg
    for base in IDX_FILES.values():
        assert base in msg
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_mnist_idx(tmp_path / "nowhere")
    partial = tmp_path / "partial"
    make_mnist_dir(partial)
    (partial / IDX_FILES["test_labels"]).unlink()
    with pytest.raises(FileNotFoundError, match="lacks t10k-labels-idx1-ubyte"):
        load_mnist_idx(partial)
    with pytest.raises(FileNotFoundError) as err:
        fashion_mnist(directory=empty)
    assert "apt-get install dataset-fashion-mnist" in str(err.value)
    assert str(empty) in str(err.value)
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_dataset("fashion-smnist-row", directory=empty)


def test_fashion_mnist_reads_given_directory(tmp_path):
    make_mnist_dir(tmp_path, gz=True)
    ds = fashion_mnist(directory=tmp_path, variant="row")
    assert ds.name == "fashion-smnist-row" and ds.x_train.shape == (12, 28, 28)
    assert fashion_mnist(directory=tmp_path).name == "fashion-smnist"


@pytest.mark.skipif(not Path(D.FASHION_MNIST_DIR).is_dir(),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_debian_package():
    ds = fashion_mnist(limit_train=100, limit_test=50)
    check_common(ds)
    assert ds.x_train.shape == (100, 784, 1) and ds.x_test.shape == (50, 784, 1)
    assert ds.x_train.max() == pytest.approx(1.0) and len(np.unique(ds.y_train)) == 10


# ---------------------------------------------------------------------------
# delayed XOR
# ---------------------------------------------------------------------------

def decode_bits(ds: SequenceDataset, x: np.ndarray):
    """Decode (A, B) from the spike trains using the documented layout."""
    info = ds.info
    groups, windows = info["groups"], info["windows"]
    shared = info["args"]["shared_channels"]

    def count(group, window):
        (c0, c1), (s, e) = groups[group], windows[window]
        return x[:, s:e, c0:c1].sum(axis=(1, 2))

    bits = []
    for which in ("A", "B"):
        zero, one = (("bit=0", "bit=1") if shared else (f"{which}=0", f"{which}=1"))
        n0, n1 = count(zero, which), count(one, which)
        assert np.all(n0 != n1)
        bits.append((n1 > n0).astype(np.int64))
    return bits


def test_delayed_xor_layout_and_labels():
    ds = delayed_xor()
    check_common(ds)
    assert ds.x_train.shape == (2000, 130, 25) and ds.x_test.shape == (500, 130, 25)
    assert ds.n_out == 2 and ds.dt == 1.0 and ds.name == "delayed-xor"
    for x in (ds.x_train, ds.x_test):
        assert set(np.unique(x)) == {0.0, 1.0}
    np.testing.assert_array_equal(ds.loss_weight, ones_at(130, 110))
    np.testing.assert_array_equal(ds.readout_weight, ones_at(130, 110))
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        a, b = decode_bits(ds, x)
        np.testing.assert_array_equal(y, a ^ b)
        # all four combinations, balanced classes
        combos = np.bincount(2 * a + b, minlength=4)
        assert combos.min() >= 0.2 * len(y)
        assert abs(y.mean() - 0.5) < 0.05
        # exactly one group per bit is active, only inside its window
        k = 5
        for g, (c0, c1) in ds.info["groups"].items():
            s, e = ds.info["windows"][g[0] if g[0] in "AB" else "answer"]
            assert c1 - c0 == k
            outside = np.concatenate([x[:, :s, c0:c1], x[:, e:, c0:c1]], axis=1)
            assert outside.sum() == 0
        (c0, c1), (s, e) = ds.info["groups"]["cue"], ds.info["windows"]["answer"]
        assert np.all(x[:, s:e, c0:c1].sum(axis=(1, 2)) > 0)
        active = x[:, 0:20, 0:5].sum((1, 2)) > 0
        np.testing.assert_array_equal(active, a == 0)
    # poisson rate: about rate * steps * channels spikes per active group
    a, _ = decode_bits(ds, ds.x_train)
    counts = ds.x_train[a == 1, 0:20, 5:10].sum(axis=(1, 2))
    assert counts.mean() == pytest.approx(0.2 * 20 * 5, rel=0.1)


def test_delayed_xor_deterministic():
    a = delayed_xor(n_train=64, n_test=32, seed=3)
    b = delayed_xor(n_train=64, n_test=32, seed=3)
    c = delayed_xor(n_train=64, n_test=32, seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.x_train, c.x_train)
    assert not np.array_equal(a.x_train[:32], a.x_test)


@settings(max_examples=25, deadline=None)
@given(bit=st.integers(1, 8), gap=st.integers(0, 5), delay=st.integers(0, 10),
       answer=st.integers(1, 6), k=st.integers(1, 3), rate=st.floats(0.05, 1.0),
       spikes=st.sampled_from(["poisson", "regular"]), cue=st.booleans(),
       shared=st.booleans(), seed=st.integers(0, 1000))
def test_delayed_xor_any_layout_decodes(bit, gap, delay, answer, k, rate, spikes, cue,
                                        shared, seed):
    ds = delayed_xor(n_train=24, n_test=8, seed=seed, bit_steps=bit, gap_steps=gap,
                     delay_steps=delay, answer_steps=answer, n_channels_per_bit=k, rate=rate,
                     spikes=spikes, cue=cue, shared_channels=shared)
    steps = 2 * bit + gap + delay + answer
    n_groups = (2 if shared else 4) + int(cue)
    assert ds.x_train.shape == (24, steps, n_groups * k)
    np.testing.assert_array_equal(ds.loss_weight, ones_at(steps, steps - answer))
    a, b = decode_bits(ds, ds.x_train)
    np.testing.assert_array_equal(ds.y_train, a ^ b)
    assert np.bincount(ds.y_train, minlength=2).tolist() == [12, 12]


def test_delayed_xor_regular_spikes_and_noise():
    ds = delayed_xor(n_train=40, n_test=4, spikes="regular", rate=0.25, cue=False)
    assert ds.x_train.shape[2] == 20
    a, _ = decode_bits(ds, ds.x_train)
    group = ds.x_train[a == 0, 0:20, 0:5]
    # every channel spikes exactly every 4 steps: 5 spikes in 20 steps
    assert np.all(group.sum(axis=1) == 5)
    noisy = delayed_xor(n_train=200, n_test=4, noise_rate=0.01, seed=1)
    silent = noisy.x_train[:, 60:110]          # the delay: only noise spikes
    assert 0 < silent.mean() < 0.03
    with pytest.raises(ValueError, match="rate"):
        delayed_xor(rate=0.0)
    with pytest.raises(ValueError, match="spikes"):
        delayed_xor(spikes="bursty")


# ---------------------------------------------------------------------------
# pattern generation and NRMSE
# ---------------------------------------------------------------------------

def test_pattern_generation_layout():
    ds = pattern_generation()
    check_common(ds)
    assert ds.task == "regression" and ds.n_out == 3 and ds.dt == pytest.approx(0.1)
    assert ds.x_train.shape == (1, 500, 4) and ds.y_train.shape == (1, 500, 3)
    np.testing.assert_array_equal(ds.x_test, ds.x_train)
    np.testing.assert_array_equal(ds.y_test, ds.y_train)
    np.testing.assert_array_equal(ds.loss_weight, np.ones(500, np.float32))
    np.testing.assert_array_equal(ds.readout_weight, ones_at(500, 50))
    np.testing.assert_allclose(np.abs(ds.y_train[0]).max(axis=0), 1.0, rtol=1e-6)
    # a sum of 3 distinct harmonics of the pattern period: exactly 3 DFT bins in 1..6
    power = np.abs(np.fft.rfft(ds.y_train[0].astype(np.float64), axis=0))
    for c in range(3):
        strong = np.flatnonzero(power[:, c] > 1e-3 * power[:, c].max())
        assert len(strong) == 3 and strong.min() >= 1 and strong.max() <= 6
    # clock: 4 bumps, peak 1 at steps 0, 125, 250, 375
    assert np.all(ds.x_train > 0) and ds.x_train.max() <= 1
    np.testing.assert_array_equal(ds.x_train[0].argmax(axis=0), [0, 125, 250, 375])
    const = pattern_generation(input="constant", n_channels=2, steps=200, warmup_steps=0)
    np.testing.assert_array_equal(const.x_train, np.ones((1, 200, 1), np.float32))
    assert const.y_train.shape == (1, 200, 2)
    np.testing.assert_array_equal(const.readout_weight, np.ones(200, np.float32))


def test_pattern_generation_deterministic():
    a, b, c = pattern_generation(seed=5), pattern_generation(seed=5), pattern_generation(seed=6)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    assert not np.allclose(a.y_train, c.y_train)
    with pytest.raises(ValueError, match="input"):
        pattern_generation(input="noise")
    with pytest.raises(ValueError, match="warmup_steps"):
        pattern_generation(steps=10, warmup_steps=10)


def test_nrmse():
    ds = pattern_generation()
    y, w = ds.y_test, ds.readout_weight
    assert nrmse(y, y, w) == 0.0
    assert nrmse(np.zeros_like(y), y, w) == pytest.approx(1.0, abs=0.1)
    measured = y[:, w > 0]
    mean = np.broadcast_to(measured.mean(axis=(0, 1)), y.shape)
    assert nrmse(mean, y, w) == pytest.approx(1.0, rel=1e-9)
    assert nrmse(y + 0.1, y, w) > 0.1
    # garbage in the warm-up (weight 0) is not measured
    garbage = y.copy()
    garbage[:, :50] = 100.0
    assert nrmse(garbage, y, w) == 0.0
    assert nrmse(garbage, y) > 10
    # (T, C) input is accepted; a known value: error of constant 0.5 on a +-1 square wave
    sq = np.where(np.arange(100) % 2 == 0, 1.0, -1.0)[:, None]
    assert nrmse(sq + 0.5, sq) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="shape"):
        nrmse(y[:, :10], y)
    with pytest.raises(ValueError, match="constant"):
        nrmse(np.zeros((5, 1)), np.ones((5, 1)))
    with pytest.raises(ValueError, match="weight"):
        nrmse(y, y, np.zeros(500))


# ---------------------------------------------------------------------------
# digits
# ---------------------------------------------------------------------------

def test_digits_layout_and_split():
    from sklearn.datasets import load_digits
    ds = digits()
    check_common(ds)
    assert ds.x_train.shape[1:] == (8, 8) and ds.n_out == 10 and ds.dt == 1.0
    assert ds.n_train + ds.n_test == 1797
    assert ds.x_train.min() >= 0 and ds.x_train.max() == 1.0
    np.testing.assert_array_equal(ds.loss_weight, np.ones(8, np.float32))
    np.testing.assert_array_equal(ds.readout_weight, np.ones(8, np.float32))
    full = np.bincount(load_digits().target, minlength=10)
    test_counts = np.bincount(ds.y_test, minlength=10)
    np.testing.assert_array_equal(test_counts + np.bincount(ds.y_train, minlength=10), full)
    assert np.all(np.abs(test_counts - 0.25 * full) <= 0.5)
    # every image is one of sklearn's, its label matches, no image used twice
    ref = {im.tobytes(): lab for im, lab in zip((load_digits().images / 16).astype(np.float32),
                                                 load_digits().target)}
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        for im, lab in zip(x[:50], y[:50]):
            assert ref[im.tobytes()] == lab


def test_digits_deterministic_and_options():
    a, b, c = digits(seed=1), digits(seed=1), digits(seed=2)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)
    r = digits(repeat=3, teach_fraction=0.5)
    assert r.x_train.shape[1:] == (24, 8)
    np.testing.assert_array_equal(r.x_train, np.repeat(digits(seed=0).x_train, 3, axis=1))
    np.testing.assert_array_equal(r.loss_weight, ones_at(24, 12))
    with pytest.raises(ValueError, match="test_fraction"):
        digits(test_fraction=1.0)


# ---------------------------------------------------------------------------
# one-hot targets, registry, lazy imports
# ---------------------------------------------------------------------------

def test_one_hot_targets():
    ds = delayed_xor(n_train=16, n_test=8)
    t = one_hot_targets(ds, "train")
    assert t.shape == (16, 130, 2) and t.dtype == np.float32
    np.testing.assert_array_equal(t.argmax(-1), np.repeat(ds.y_train[:, None], 130, 1))
    np.testing.assert_array_equal(t.sum(-1), 1.0)
    sub = one_hot_targets(ds, "test", indices=[3, 1])
    np.testing.assert_array_equal(sub[:, 0].argmax(-1), ds.y_test[[3, 1]])
    pat = pattern_generation()
    assert one_hot_targets(pat, "test") is pat.y_test
    with pytest.raises(ValueError, match="split"):
        one_hot_targets(ds, "valid")


def test_registry():
    assert set(DATASETS) == {"mnist1d", "smnist", "smnist-row", "psmnist", "fashion-smnist",
                             "fashion-smnist-row", "delayed-xor", "pattern", "digits"}
    with pytest.raises(ValueError) as err:
        load_dataset("cifar")
    for name in DATASETS:
        assert name in str(err.value)
    ds = load_dataset("delayed-xor", n_train=8, n_test=4)
    assert ds.name == "delayed-xor" and ds.n_train == 8
    assert load_dataset("pattern", n_channels=2).n_out == 2
    assert load_dataset("digits").name == "digits"


def test_import_is_numpy_only():
    code = ("import sys, lava_vle.datasets; "
            "print(sorted(m for m in ('mnist1d', 'sklearn', 'scipy', 'torch', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_a_dataset_option_the_task_does_not_know_is_refused_by_name_before_training():
    from lava_vle.datasets.registry import dataset_options
    from lava_vle.train import TrainConfig

    with pytest.raises(ValueError, match="dataset_kwargs 'steps': not an option of dataset "
                                         "'digits'"):
        TrainConfig(task="digits", dataset_kwargs={"steps": 5})
    with pytest.raises(ValueError, match="'colour': not an option of dataset 'pattern'"):
        D.load_dataset("pattern", colour=1)
    assert {"directory", "limit_train"} <= dataset_options("smnist-row")
    assert "steps" in dataset_options("mnist1d")


def test_a_damaged_cache_file_is_named_and_generated_again(tmp_path):
    mnist1d(steps=72, num_samples=100, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("mnist1d-*.npz")
    cached.write_bytes(cached.read_bytes()[:100])  # truncated
    with pytest.warns(UserWarning, match="a damaged cache file .*generating the data again"):
        again = mnist1d(steps=72, num_samples=100, cache_dir=tmp_path)
    assert again.x_train.shape == (80, 72, 1) and not again.info["from_cache"]
    assert mnist1d(steps=72, num_samples=100, cache_dir=tmp_path).info["from_cache"]


def test_an_unwritable_cache_folder_is_named_and_the_data_still_loads(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    with pytest.warns(UserWarning, match="cache folder .*a-file is not writable"):
        ds = mnist1d(steps=72, num_samples=100, cache_dir=blocked)
    assert ds.x_train.shape == (80, 72, 1)


def test_a_truncated_gzip_idx_file_is_named(tmp_path):
    from lava_vle.datasets.mnist_wheel import md5

    path = tmp_path / "train-labels-idx1-ubyte.gz"
    data = gzip.compress(np.random.default_rng(0).bytes(100_000))
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=f"{path.name}: a damaged file .*delete it"):
        md5(path)
