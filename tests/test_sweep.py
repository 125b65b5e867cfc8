"""`lava-vle sweep`: grid points x seeds on a local Ray instance, the summary over
seeds, reruns that skip finished trials and resume killed ones."""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from lava_vle.cli import add_train_options, train_config
from lava_vle.experiments.sweep import Trial, grid_points, make_trials, summarize
from lava_vle.train import CHECKPOINT

# 2 learning rates x 2 seeds on digits; 3 epochs of 1000 samples, each row held
# 16 steps so that an epoch lasts about a second even on an idle machine: a kill
# at the first checkpoint lands mid-way through a trial (unheld, an epoch took
# 0.05 s and the trial could finish before its worker saw the kill)
SWEEP = ["--task", "digits", "--grid", "lr=1e-3,3e-3", "--seeds", "2", "--epochs", "3",
         "--batch-size", "16", "--limit-train", "1000", "--hold", "16"]


def train_parser() -> tuple[argparse.ArgumentParser, list[argparse.Action]]:
    parser = argparse.ArgumentParser()
    return parser, add_train_options(parser)


def test_grid_is_the_product_of_its_keys_and_its_keys_are_train_options():
    _, options = train_parser()
    points = grid_points(["lr=1e-3,3e-3", "--carry-state=true,false"], options)
    assert points == [("lr=0.001,carry-state=true", ["--lr", "0.001", "--carry-state"]),
                      ("lr=0.001,carry-state=false", ["--lr", "0.001", "--no-carry-state"]),
                      ("lr=0.003,carry-state=true", ["--lr", "0.003", "--carry-state"]),
                      ("lr=0.003,carry-state=false", ["--lr", "0.003", "--no-carry-state"])]
    assert grid_points([], options) == [("", [])]
    for grid, message in ((["learning-rate=1"], "must be a training option, one of .*batch-size"),
                          (["seed=1,2"], "--seed and --seeds"),
                          (["lr=1,2", "lr=3"], "'lr' is given twice"),
                          (["lr=1,,2"], "distinct, non-empty values"),
                          (["lr=1e-3,0.001"], r"distinct, non-empty values \(as numbers: "
                                              r"0.001,0.001\)"),
                          (["batch-size=8,8.5"], "'8.5' of --batch-size is not an integer"),
                          (["lr"], "distinct, non-empty values"),
                          (["carry-state=yes"], "--carry-state is a flag, its values are true or false")):
        with pytest.raises(ValueError, match=message):
            grid_points(grid, options)


def test_trials_take_their_config_from_the_train_options_of_each_point_and_seed():
    parser, options = train_parser()
    base = ["--task", "digits", "--epochs", "2", "--batch-size", "16"]
    trials = make_trials(["batch-size=8,32"], 2, 5, options,
                         lambda extra: train_config(parser.parse_args([*base, *extra])))
    assert [(str(t.folder), t.config.batch_size, t.config.seed, t.config.epochs) for t in trials] \
        == [("batch-size=8/seed-5", 8, 5, 2), ("batch-size=8/seed-6", 8, 6, 2),
            ("batch-size=32/seed-5", 32, 5, 2), ("batch-size=32/seed-6", 32, 6, 2)]
    plain = make_trials([], 1, 0, options, lambda extra: train_config(parser.parse_args(
        ["--task", "digits", "--rule", "bptt", *extra])))
    assert [str(t.folder) for t in plain] == ["digits-bptt-float/seed-0"]
    with pytest.raises(ValueError, match="seeds=0 must be >= 1"):
        make_trials([], 0, 0, options, lambda extra: None)


def fake_results(folder: Path, config, test_metrics: list[float], metric: str) -> None:
    """A results.json as fit writes it, with the fields the summary reads, and
    the checkpoint it must agree with."""
    from dataclasses import asdict

    from lava_vle.checkpoints import write_checkpoint

    folder.mkdir(parents=True)
    history = [{"epoch": i + 1, "test_metric": m, "samples_per_s": 100.0 * (i + 1)}
               for i, m in enumerate(test_metrics)]
    write_checkpoint(folder, {"config": asdict(config), "epoch": len(history),
                              "history": history}, len(history))
    folder.joinpath("results.json").write_text(json.dumps({
        "task": config.task, "config": asdict(config), "metric": metric,
        "test_metric": test_metrics[-1], "history": history, "train_wall_s": 2.0,
        "network": {"parameters": 10}}))


def test_a_results_json_edited_by_hand_is_not_counted_as_finished(tmp_path):
    from lava_vle.train import TrainConfig

    trial = Trial("lr=1e-3", TrainConfig(task="pattern", epochs=2, seed=0))
    fake_results(tmp_path / trial.folder, trial.config, [0.5, 0.4], "nrmse")
    path = tmp_path / trial.folder / "results.json"
    results = json.loads(path.read_text())
    results["history"][-1]["test_metric"] = results["test_metric"] = 0.01
    path.write_text(json.dumps(results))
    with pytest.warns(UserWarning, match="does not match its checkpoint"):
        assert summarize([trial], tmp_path)["unfinished"] == ["lr=1e-3/seed-0"]



def test_a_trial_saved_before_a_setting_existed_counts_as_finished_at_its_default(tmp_path):
    """A results.json and checkpoint written before ``ema`` was a setting (the
    key absent from both) are a finished run at ema's default, not a
    mismatch that resumes the trial on every rerun."""
    from dataclasses import asdict

    from lava_vle.checkpoints import write_checkpoint
    from lava_vle.train import TrainConfig

    trial = Trial("lr=1e-3", TrainConfig(task="pattern", epochs=1, seed=0))
    older = {k: v for k, v in asdict(trial.config).items() if k != "ema"}
    history = [{"epoch": 1, "test_metric": 0.5, "samples_per_s": 100.0}]
    folder = tmp_path / trial.folder
    folder.mkdir(parents=True)
    write_checkpoint(folder, {"config": older, "epoch": 1, "history": history}, 1)
    folder.joinpath("results.json").write_text(json.dumps({
        "task": "pattern", "config": older, "metric": "nrmse", "test_metric": 0.5,
        "history": history, "train_wall_s": 2.0, "network": {"parameters": 10}}))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert summarize([trial], tmp_path)["unfinished"] == []
    with_ema = Trial("lr=1e-3", TrainConfig(task="pattern", epochs=1, seed=0, ema=0.9))
    assert summarize([with_ema], tmp_path)["unfinished"] == ["lr=1e-3/seed-0"]

@pytest.mark.parametrize("metric,best", [("accuracy_percent", max), ("nrmse", min)])
def test_summary_gives_mean_std_min_max_of_final_and_best_metric_over_seeds(tmp_path, metric,
                                                                            best):
    from lava_vle.train import TrainConfig

    curves = {0: [50.0, 70.0, 60.0], 1: [40.0, 30.0, 80.0], 2: [20.0, 90.0, 70.0]}
    trials = [Trial("lr=1e-3", TrainConfig(task="pattern", epochs=3, seed=s)) for s in range(4)]
    for trial in trials[:3]:
        fake_results(tmp_path / trial.folder, trial.config, curves[trial.config.seed], metric)
    summary = summarize(trials, tmp_path)
    assert summary["unfinished"] == ["lr=1e-3/seed-3"]  # no results.json: not counted
    (c,) = summary["configurations"]
    final, bests = [60.0, 80.0, 70.0], [best(curve) for curve in curves.values()]
    assert c["n"] == 3 and c["trials"] == ["lr=1e-3/seed-0", "lr=1e-3/seed-1", "lr=1e-3/seed-2"]
    assert c["final"].pop("values") == final and c["best"].pop("values") == bests
    assert c["final"] == pytest.approx({"mean": 70.0, "std": np.std(final, ddof=1),
                                        "min": 60.0, "max": 80.0, "n": 3})
    assert c["best"] == pytest.approx({"mean": np.mean(bests), "std": np.std(bests, ddof=1),
                                       "min": min(bests), "max": max(bests), "n": 3})
    assert c["curve"]["mean"] == pytest.approx(np.mean(list(curves.values()), axis=0))
    assert c["samples_per_s"] == pytest.approx(200.0) and c["train_wall_s"] == 2.0
    assert "seed" not in c["config"] and c["config"]["epochs"] == 3


# --- through Ray ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ray_env():
    """Environment of the sweep commands: Ray's files in a fresh short folder (its
    socket paths must stay short). Afterwards no process of those Ray instances
    may be left; the Ray agents of a SIGKILLed driver exit on their own within
    about a minute, after failing to report to the dead instance."""
    tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    env = dict(os.environ, RAY_TMPDIR=tmp, RAY_USAGE_STATS_ENABLED="0")
    yield env
    assert not ray_processes_after(tmp, 120), "Ray processes left running"
    shutil.rmtree(tmp, ignore_errors=True)


def ray_processes(ray_tmpdir: str) -> list[int]:
    """Running processes of the Ray instances in ``ray_tmpdir``: started with
    RAY_TMPDIR=ray_tmpdir, or holding a file there open (Ray's agents, whose
    environment Ray replaces, keep their log files open)."""
    marker = f"RAY_TMPDIR={ray_tmpdir}\0".encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (marker in (proc / "environ").read_bytes() or any(
                    os.readlink(fd).startswith(ray_tmpdir) for fd in (proc / "fd").iterdir())):
                found.append(int(proc.name))
        except OSError:  # gone, or not ours
            pass
    return found


def ray_processes_after(ray_tmpdir: str, timeout: float) -> list[int]:
    """The processes of :func:`ray_processes` still running after at most ``timeout`` s."""
    deadline = time.time() + timeout
    while (running := ray_processes(ray_tmpdir)) and time.time() < deadline:
        time.sleep(0.5)
    return running


def sweep_until_a_checkpoint(out: Path, env: dict, *extra: str) -> subprocess.Popen:
    """A sweep started in the background, once its first checkpoint is written
    (or after 120 s)."""
    victim = subprocess.Popen([sys.executable, "-m", "lava_vle.cli", "sweep", *SWEEP, "--out",
                               str(out), *extra], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 120
    while not list(out.glob(f"*/seed-*/{CHECKPOINT}")) and time.time() < deadline:
        time.sleep(0.01)
    return victim


def sweep(out: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lava_vle.cli", "sweep", *SWEEP, "--out",
                           str(out), *extra], capture_output=True, text=True, timeout=300,
                          env=env)


@pytest.fixture(scope="module")
def finished_sweep(ray_env, tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep")
    done = sweep(out, ray_env)
    assert done.returncode == 0, done.stderr
    assert not ray_processes_after(ray_env["RAY_TMPDIR"], 10), "Ray outlived the sweep"
    return out, done.stdout


def wait_until_unchanged(folder: Path, quiet_s: float) -> None:
    """Wait until no file below ``folder`` was added, removed or rewritten for ``quiet_s`` s."""
    def state():
        return sorted((str(path), path.stat().st_mtime_ns) for path in folder.rglob("*"))

    last, since = state(), time.time()
    while time.time() - since < quiet_s:
        time.sleep(0.2)
        if (now := state()) != last:
            last, since = now, time.time()


def comparable(summary: dict) -> list[dict]:
    """The summary without wall times and speeds (which differ from run to run)."""
    return [{k: v for k, v in c.items() if k not in ("train_wall_s", "samples_per_s")}
            for c in summary["configurations"]]


@pytest.mark.slow
def test_sweep_killed_mid_way_resumes_to_the_summary_of_an_uninterrupted_sweep(
        ray_env, finished_sweep, tmp_path):
    straight, _ = finished_sweep
    victim = sweep_until_a_checkpoint(tmp_path, ray_env)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    wait_until_unchanged(tmp_path, 2.0)  # the killed sweep's workers die soon after it
    midway = [path.parent for path in tmp_path.glob(f"*/seed-*/{CHECKPOINT}")
              if not (path.parent / "results.json").exists()]
    assert midway, "the sweep was not interrupted mid-way through a trial"
    rerun = sweep(tmp_path, ray_env)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(midway)} to resume from their checkpoint" in rerun.stdout, rerun.stdout
    assert comparable(json.loads((tmp_path / "summary.json").read_text())) == \
        comparable(json.loads((straight / "summary.json").read_text()))


@pytest.mark.slow
def test_sweep_trains_every_point_and_seed_and_summarizes_over_seeds(finished_sweep):
    out, stdout = finished_sweep
    summary = json.loads((out / "summary.json").read_text())
    assert [c["name"] for c in summary["configurations"]] == ["lr=0.001", "lr=0.003"]
    assert summary["unfinished"] == []
    for c in summary["configurations"]:
        finals = [json.loads((out / trial / "results.json").read_text())["test_metric"]
                  for trial in c["trials"]]
        assert c["n"] == 2 and c["trials"] == [f"{c['name']}/seed-0", f"{c['name']}/seed-1"]
        assert c["final"]["mean"] == pytest.approx(np.mean(finals))
        assert c["final"]["std"] == pytest.approx(np.std(finals, ddof=1))
        assert c["best"]["max"] >= c["final"]["max"] and c["metric"] == "accuracy %"
        assert c["config"]["lr"] == float(c["name"].split("=")[1]) and len(c["curve"]["mean"]) == 3
    assert all((out / name).exists() for name in ("summary.csv", "summary.md", "summary.png"))
    assert stdout.count("/4] lr=") == 4  # one line per finished trial
    report = subprocess.run([sys.executable, "-m", "lava_vle.cli", "report", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert report.stdout.strip() == (out / "summary.md").read_text().strip()
    assert report.stdout.count("| lr=") == 2


@pytest.mark.slow
def test_rerun_of_a_finished_sweep_trains_nothing_and_starts_no_ray(ray_env, finished_sweep):
    out, _ = finished_sweep
    results = sorted(out.glob("*/seed-*/results.json"))
    before = [path.stat().st_mtime_ns for path in results]
    sessions = sorted(Path(ray_env["RAY_TMPDIR"]).glob("ray/session_2*"))
    rerun = sweep(out, ray_env)
    assert rerun.returncode == 0, rerun.stderr
    assert "4 trials: 4 finished before, 0 to resume from their checkpoint, 0 to train" \
        in rerun.stdout
    assert [path.stat().st_mtime_ns for path in results] == before and len(results) == 4
    assert sorted(Path(ray_env["RAY_TMPDIR"]).glob("ray/session_2*")) == sessions  # no Ray


def test_a_second_sweep_on_the_same_folder_stops_naming_the_holders_pid(tmp_path):
    from lava_vle.experiments.sweep import LOCK, sweep_lock

    with sweep_lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
        with pytest.raises(FileExistsError, match=f"another sweep \\(PID {os.getpid()}"):
            with sweep_lock(tmp_path):
                pass
    assert not (tmp_path / LOCK).exists()
    (tmp_path / LOCK).write_text("999999999")  # a process that is gone
    with sweep_lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
    (tmp_path / LOCK).write_text("my notes")  # not a lock: the user's, kept
    with pytest.raises(FileExistsError, match="is not a sweep's lock.*nothing was removed"):
        with sweep_lock(tmp_path):
            pass
    assert (tmp_path / LOCK).read_text() == "my notes"


def test_an_unreachable_address_fails_at_once_naming_it():
    from lava_vle.experiments.sweep import check_reachable

    with pytest.raises(ConnectionError, match="--address 127.0.0.1:1: no Ray cluster answers"):
        check_reachable("127.0.0.1:1")


@pytest.mark.slow
def test_a_sweep_ended_by_sigterm_shuts_its_ray_down(tmp_path):
    """SIGTERM ends the sweep through ray.shutdown(): none of its Ray processes
    is left (with SIGKILL, Ray's agents would linger for about a minute)."""
    ray_tmp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    env = dict(os.environ, RAY_TMPDIR=ray_tmp, RAY_USAGE_STATS_ENABLED="0")
    victim = sweep_until_a_checkpoint(tmp_path, env)
    victim.send_signal(signal.SIGTERM)
    assert victim.wait(timeout=60) != 0
    assert not ray_processes_after(ray_tmp, 30), "Ray processes left running"
    shutil.rmtree(ray_tmp, ignore_errors=True)


# --- without Ray: --address local:N ----------------------------------------------------

def test_local_address_gives_the_trials_trained_at_a_time_and_names_a_bad_count():
    from lava_vle.experiments.sweep import local_workers

    assert [local_workers(a) for a in ("local", "local:1", "local:16", None, "10.0.0.1:6379",
                                       "auto")] == [1, 1, 16, None, None, None]
    for bad in ("local:0", "local:two", "local:-1"):
        with pytest.raises(ValueError, match=f"--address {bad}: N in local:N must be an "
                                             "integer >= 1"):
            local_workers(bad)


@pytest.mark.slow
def test_worker_processes_killed_mid_way_resume_to_the_summary_ray_gives_and_leave_none(
        finished_sweep, tmp_path):
    """``--address local:2``: two trials at a time in worker processes. Killed
    with SIGKILL, the sweep leaves no worker behind (they exit with it); the
    rerun resumes the interrupted trials and ends at the Ray sweep's summary."""
    straight, _ = finished_sweep
    marker = tempfile.mkdtemp(prefix="workers-", dir="/tmp")  # RAY_TMPDIR marks the processes
    env = dict(os.environ, RAY_TMPDIR=marker)
    victim = sweep_until_a_checkpoint(tmp_path, env, "--address", "local:2")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert not ray_processes_after(marker, 30), "a worker process outlived its sweep"
    midway = [path.parent for path in tmp_path.glob(f"*/seed-*/{CHECKPOINT}")
              if not (path.parent / "results.json").exists()]
    assert midway, "the sweep was not interrupted mid-way through a trial"
    rerun = sweep(tmp_path, env, "--address", "local:2")
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(midway)} to resume from their checkpoint" in rerun.stdout, rerun.stdout
    assert "failed" not in rerun.stdout, rerun.stdout
    assert comparable(json.loads((tmp_path / "summary.json").read_text())) == \
        comparable(json.loads((straight / "summary.json").read_text()))
    assert not ray_processes_after(marker, 10), "a worker process outlived its sweep"
    shutil.rmtree(marker, ignore_errors=True)


def test_an_address_that_answers_but_is_not_ray_fails_at_once_naming_it():
    """A plain HTTP server passed the connection check, then Ray retried for ever."""
    import http.server
    import threading

    from lava_vle.experiments.sweep import check_reachable

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(ConnectionError, match="something answers there, but not a Ray "
                                                  "cluster"):
            check_reachable(f"127.0.0.1:{server.server_port}", timeout_s=5)
    finally:
        server.shutdown()


def test_a_peer_that_answers_http2s_preface_with_settings_passes_as_grpc():
    import socket
    import threading

    from lava_vle.experiments.sweep import HTTP2_PREFACE, check_reachable

    listener = socket.create_server(("127.0.0.1", 0))

    def answer():
        connection, _ = listener.accept()
        with connection:
            received = b""
            while len(received) < len(HTTP2_PREFACE):
                received += connection.recv(64)
            connection.sendall(bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]))  # SETTINGS, empty

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    with listener:
        check_reachable(f"127.0.0.1:{listener.getsockname()[1]}", timeout_s=5)
    thread.join(5)


class FakeRay:
    """``ray.init`` stand-in that writes ``printed`` to file descriptor 2, as
    Ray's C++ client does, then raises ``failure`` (if any)."""

    def __init__(self, printed: str, failure: Exception = None):
        self.printed, self.failure = printed, failure

    def init(self, **options):
        import os
        os.write(2, self.printed.encode())
        if self.failure:
            raise self.failure


def test_a_cluster_that_refuses_the_token_is_named_with_where_the_token_goes(capfd):
    """A token-authenticated head gave 20 s of InvalidAuthToken lines, then named
    another address (seen with a real `RAY_AUTH_MODE=token ray start --head`)."""
    from lava_vle.experiments.sweep import join_cluster

    ray = FakeRay("gcs_client.cc:210: Failed to get cluster ID from GCS server: "
                  "Unauthenticated: RPC error: InvalidAuthToken: Authentication token is "
                  "missing or incorrect\n" * 3,
                  ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6390"))
    with pytest.raises(ConnectionError, match="requires an authentication token") as raised:
        join_cluster(ray, "127.0.0.1:6390", {})
    assert "~/.ray/auth_token" in str(raised.value) and "RAY_AUTH_TOKEN" in str(raised.value)
    assert "InvalidAuthToken" not in capfd.readouterr().err  # the 20 lines are held back


def test_joining_passes_other_failures_and_rays_output_through(capfd):
    from lava_vle.experiments.sweep import join_cluster

    join_cluster(FakeRay("connected\n"), "127.0.0.1:6390", {})
    assert "connected" in capfd.readouterr().err
    with pytest.raises(TimeoutError, match="other"):
        join_cluster(FakeRay("retrying\n", TimeoutError("other")), "127.0.0.1:6390", {})
    assert "retrying" in capfd.readouterr().err
