"""The README's main job and the gradient-quality benchmark run end to end."""
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lava_vle.experiments.benchmarks import gradient_quality
from lava_vle.cli import demo

pytestmark = pytest.mark.slow  # runs the demo, benchmarks and the CLI


def test_demo_local_rule_lowers_output_error_in_float_and_fixed_point():
    summary = demo(epochs=4, steps=200)
    for precision in ("float", "fixed"):
        mse = summary[precision]["mse"]
        assert mse[-1] < 0.5 * mse[0]


def test_gradient_quality_benchmark_writes_json_and_plot(tmp_path):
    results = gradient_quality.main(["--out", str(tmp_path), "--steps", "300", "--seeds", "1"])
    saved = json.loads((tmp_path / "gradient_quality.json").read_text())
    assert saved["rows"] == results["rows"]
    assert (tmp_path / "gradient_quality.png").stat().st_size > 10_000
    slow_le = next(r for r in saved["rows"]
                   if r["inputs"] == "slow" and r["setting"].startswith("tau_r=tau_m (LE)"))
    assert min(slow_le["cosine_mean"]) > 0.9  # mirrored weights, slow inputs: aligned


def test_cli_entry_point_rejects_unknown_benchmark():
    proc = subprocess.run([sys.executable, "-m", "lava_vle.cli", "bench", "nope"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_readme_first_command_runs_twice_and_progress_is_one_line_per_epoch_off_a_terminal(
        tmp_path):
    """The README's set-up one-liner ends with a training command; run as
    written (default --out) twice in a fresh folder, with stderr not a terminal."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    command = re.search(r"\.venv/bin/lava-vle (train [^\n`]*)", readme).group(1).split()
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "lava_vle.cli", *command], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "\r" not in done.stderr and "batch/s" not in done.stderr  # no progress bar
        epochs = int(command[command.index("--epochs") + 1])
        assert sum(line.startswith("epoch") for line in done.stdout.splitlines()) == epochs


def test_train_speed_benchmark_measures_both_rules_and_bptt_memory_grows(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    results = train_speed.main(["--out", str(tmp_path), "--batch", "8", "--batches", "1",
                                "--lengths", "40", "400"])
    assert set(results["samples_per_s"]) == {"vle", "vle_per_step", "bptt"}
    speed = results["samples_per_s"]
    # the reported ratio is the ratio of the reported speeds (no timing in the assertion)
    assert results["ratio_vle_over_bptt"] == round(speed["vle"] / speed["bptt"], 2)
    assert results["machine"]["threads"] == 1
    bptt = results["peak_batch_memory_mib"]["bptt"]
    vle = results["peak_batch_memory_mib"]["vle"]
    assert bptt[1] > bptt[0]  # BPTT stores the trajectory
    assert vle[1] < bptt[1]
    assert (tmp_path / "train_speed.png").stat().st_size > 10_000


def test_train_speed_on_a_torch_device_times_both_rules_and_captured_windows_there(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    results = train_speed.main(["--out", str(tmp_path), "--batch", "4", "--batches", "1",
                                "--device", "cpu", "--capture", "4"])
    assert results["device"] == "cpu" and results["machine"]["accelerator"] is None
    assert set(results["samples_per_s"]) == {"vle", "vle_per_step", "bptt",
                                             "vle_per_step_captured"}
    assert results["configs"]["vle_per_step_captured"]["capture"] == 4
    assert results["configs"]["vle_per_step"]["device"] == "cpu"
    summary = train_speed.device_speed_summary(tmp_path, "cpu")
    assert summary["per_step_captured"] == {
        "batch_4": results["samples_per_s"]["vle_per_step_captured"]}
    assert results["lengths"] == [] and results["peak_batch_memory_mib"] == {"vle": [],
                                                                            "bptt": []}
    saved = json.loads((tmp_path / "train_speed_cpu_batch4.json").read_text())
    assert saved["samples_per_s"] == results["samples_per_s"]
    assert not (tmp_path / "train_speed.json").exists()


def test_energy_benchmark_reports_every_boundary_and_fewer_updates_with_learning_epochs(tmp_path):
    from lava_vle.experiments.benchmarks import energy
    from lava_vle.datasets import delayed_xor
    from lava_vle.task_networks import default_network
    from lava_vle.synops import dense_synaptic_ops

    results = energy.main(["--out", str(tmp_path), "--batch", "4", "--learning-epochs", "1", "64"])
    mnist, xor = results["networks"]
    rows = mnist["by_learning_epoch"]
    assert set(rows[1]["boundaries"]) == {"A", "B", "C", "D"}
    assert rows[64]["vle_counts"]["weight_updates"] < rows[1]["vle_counts"]["weight_updates"] / 16
    assert mnist["bptt_counts"]["trajectory_bytes"] > 0
    dense = dense_synaptic_ops(default_network(delayed_xor(n_train=4, n_test=4)), 130)["forward"]
    assert 0 < xor["by_learning_epoch"][1]["vle_counts"]["forward_events"] < dense  # spikes
    assert (tmp_path / "energy.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "energy.json").read_text()).keys() == results.keys()


def test_slayer_baseline_trains_on_delayed_xor_and_writes_results(tmp_path):
    from lava_vle.experiments.benchmarks import slayer_xor

    try:
        slayer_xor.import_slayer()
    except ImportError:
        pytest.skip("lava-dl is not installed (optional baseline)")
    results = slayer_xor.main(["--epochs", "2", "--n-train", "100", "--n-test", "40",
                               "--quiet", "--out", str(tmp_path)])
    assert len(results["history"]) == 2 and 0.0 <= results["test_metric"] <= 100.0
    assert np.isfinite(results["history"][-1]["train_loss"])
    assert (tmp_path / "results.json").exists() and (tmp_path / "learning_curves.png").exists()


@pytest.mark.slow
def test_train_speed_times_the_recurrent_recipes_against_bptt(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    results = train_speed.main(["--recipes", "--batches", "1", "--out", str(tmp_path)])
    for task in ("fashion-smnist-row", "pattern"):
        row = results["tasks"][task]
        assert row["vle_recipe"]["recurrent_error"] == "eprop"
        speed = row["samples_per_s"]
        assert row["ratio_vle_over_bptt"] == round(speed["vle"] / speed["bptt"], 2)
    assert (tmp_path / "train_speed_recipes.json").exists()


def test_gradient_quality_at_a_checkpoint_measures_the_trained_weights_not_the_initial(tmp_path):
    from lava_vle.datasets import load_dataset
    from lava_vle.train import TrainConfig, fit

    config = TrainConfig(task="digits", epochs=2, batch_size=16, lr=3e-2, limit_train=160,
                         limit_test=20)
    fit(load_dataset("digits"), config, tmp_path / "run", progress=False, log=lambda _: None)
    trained = gradient_quality.main(["--checkpoints", str(tmp_path / "run"), "--batch", "8",
                                     "--modes", "none", "--out", str(tmp_path)])
    initial = gradient_quality.measure_task("digits", [1], batch=8, seeds=(config.seed,),
                                            modes=("none",))
    assert trained["checkpoints"] == [str(tmp_path / "run")]
    assert trained["what"].endswith("at trained weights")
    assert trained["rows"][0]["cosine_mean"] != initial["rows"][0]["cosine_mean"]
    saved = json.loads((tmp_path / "gradient_digits_settle0_trained.json").read_text())
    assert saved["rows"] == trained["rows"]


def test_gradient_quality_refuses_checkpoints_of_different_tasks(tmp_path):
    from lava_vle.datasets import load_dataset
    from lava_vle.train import TrainConfig, fit

    for task, limit in (("digits", 32), ("delayed-xor", 8)):
        fit(load_dataset(task), TrainConfig(task=task, epochs=1, batch_size=8, limit_train=limit,
                                            limit_test=4),
            tmp_path / task, progress=False, log=lambda _: None)
    with pytest.raises(ValueError, match="one task, hold and teach window"):
        gradient_quality.main(["--checkpoints", str(tmp_path / "digits"),
                               str(tmp_path / "delayed-xor"), "--out", str(tmp_path)])


# a stand-in for a gle-code checkout: the modules and names the driver imports,
# each batch a short sleep (the real reference is timed by hand, docs/measurements.md)
GLE_STUB = {
    "lib/memory.py": "class Slicer:\n    kwargs = None\n",
    "lib/utils.py": ("def get_loss_and_derivative(loss, output_phi=None):\n"
                     "    return (lambda *a, **k: 0.0), (lambda *a, **k: 0.0)\n"),
    "experiments/mnist1d/networks.py": (
        "import torch\n"
        "print('a note the reference prints while it imports')\n"
        "class E2ELagMLPNet(torch.nn.Module):\n"
        "    def __init__(self, **kwargs):\n"
        "        super().__init__()\n"
        "        self.w = torch.nn.Parameter(torch.zeros(3))\n"),
    "experiments/mnist1d/mnist1d_training.py": (
        "import time\n"
        "def train(params, memory, model, loss_fn, loader, optimizer, epoch, fn_out, use_le):\n"
        "    assert use_le and params['batch_size'] == 100 and memory.kwargs == {}\n"
        "    for data, target in loader:\n"
        "        assert data.shape == (100, 360)\n"
        "    time.sleep(0.05)\n"),
}


def test_train_speed_against_the_gle_reference_takes_turns_and_reports_both(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    for name, text in GLE_STUB.items():
        (tmp_path / "gle" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "gle" / name).write_text(text)
    results = train_speed.main(["--gle-code", str(tmp_path / "gle"), "--batches", "2",
                                "--out", str(tmp_path / "out")])
    speed = results["samples_per_s"]
    assert 0 < speed["gle_reference"] <= 100 / 0.05
    assert results["ratio_vle_over_gle_reference"] == round(
        speed["vle_per_step"] / speed["gle_reference"], 2)
    assert results["vle_config"] == {"rule": "vle", "update_interval": 1, "carry_state": True}
    saved = json.loads((tmp_path / "out" / "train_speed_gleref.json").read_text())
    assert saved["samples_per_s"] == speed and saved["gle_torch"]
    assert (tmp_path / "out" / "train_speed_gleref.png").stat().st_size > 10_000
    products = results["products_only"]  # the step's matrix products alone: a ceiling
    assert products["ceiling_samples_per_s"] > 0 and products["blas_peak_gflops"] > 0
    assert products["ratio_over_gle_reference"] == pytest.approx(
        products["ceiling_samples_per_s"] / speed["gle_reference"], abs=0.01)


def test_the_step_products_count_three_padded_stacked_products():
    from lava_vle.experiments.benchmarks.step_arithmetic import multiply_adds

    # 2 projections padded to 4 x 4, batch 3: forward, error path and update
    assert multiply_adds(2, 4, 3) == 3 * 2 * 4 * 4 * 3


def test_train_speed_names_a_folder_that_is_not_the_gle_reference(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    with pytest.raises(SystemExit, match="not a checkout of unibe-cns/gle-code"):
        train_speed.main(["--gle-code", str(tmp_path), "--out", str(tmp_path)])


def test_train_speed_reports_why_the_gle_reference_stopped(tmp_path):
    from lava_vle.experiments.benchmarks import train_speed

    for name, text in GLE_STUB.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text.replace("import time", "import no_such_module"))
    with pytest.raises(RuntimeError, match="(?s)stopped.*no_such_module"):
        train_speed.main(["--gle-code", str(tmp_path), "--batches", "1", "--out", str(tmp_path)])


def test_gpu_speed_json_gathers_the_device_runs_by_configuration_and_batch(tmp_path):
    """.ci/gpu_campaign writes docs/gpu_speed.json from its --device runs."""
    from lava_vle.experiments.benchmarks.train_speed import main as train_speed

    for batch, scale in ((1000, 10), (100, 1)):
        (tmp_path / f"train_speed_cuda_batch{batch}.json").write_text(json.dumps(
            {"samples_per_s": {"vle": 2.0 * scale, "vle_per_step": 1.0 * scale,
                               "bptt": 3.0 * scale}, "machine": {"accelerator": "a GPU"}}))
    summary = train_speed(["--summary", str(tmp_path), "--device", "cuda", "--out",
                           str(tmp_path / "docs")])
    assert json.loads((tmp_path / "docs" / "gpu_speed.json").read_text()) == summary
    assert summary["device"] == "cuda" and summary["machine"] == {"accelerator": "a GPU"}
    assert summary["per_step_recipe"] == {"batch_100": 1.0, "batch_1000": 10.0}
    assert summary["vle_window_50"] == {"batch_100": 2.0, "batch_1000": 20.0}
    assert summary["bptt"] == {"batch_100": 3.0, "batch_1000": 30.0}
    assert set(summary["versions"]) == {"python", "numpy", "torch"} and summary["date"]
    with pytest.raises(FileNotFoundError, match="no train_speed_cuda_batch"):
        train_speed(["--summary", str(tmp_path / "docs"), "--device", "cuda", "--out",
                     str(tmp_path)])
