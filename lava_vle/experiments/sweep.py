"""``lava-vle sweep``: training runs over a grid of options and seeds, on Ray.

Every grid point x seed is a :class:`Trial`, an independent run of
:func:`lava_vle.train.fit` in its own folder ``OUT/NAME/seed-SEED`` (with
its own checkpoints), scheduled as a Ray task. Without an address Ray starts
in-process on this machine (as many CPUs as this process may use); with one
it joins a running cluster, and ``OUT`` must then be a folder every node
sees at the same path. Running the same sweep again skips the finished
trials (``results.json`` of the same configuration), resumes the interrupted
ones from their last checkpoint, and starts no Ray at all when nothing is
left to train. :func:`summarize` gives the statistics over seeds that
:func:`write_summary` stores as ``summary.json``, ``.csv``, ``.md`` and
``.png``.

Ray is an optional dependency (``pip install "lava-vle[sweep]"``), imported
only inside :func:`start_ray`.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import itertools
import json
import logging
import os
import socket
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from lava_vle.experiments.summaries import seed_stats
from lava_vle.experiments.report import SWEEP_SUMMARY, run_row, sweep_markdown
from lava_vle.checkpoints import CheckpointError, read_checkpoint
from lava_vle.train import CHECKPOINT, TrainConfig, saved_config

RESULTS = "results.json"
STATS = ("mean", "std", "min", "max")
FLAG_VALUES = ("true", "false")  # what a grid key that is a flag (--carry-state) takes
LOCK = ".sweep.lock"  # in a sweep folder while a sweep writes into it
LOCAL = "local"  # --address local[:N]: train here without Ray (in this process, or N at a time)


@dataclass
class Trial:
    """One training run of a sweep: its configuration's name and its config."""

    name: str
    config: TrainConfig

    @property
    def folder(self) -> Path:
        """The run's folder relative to the sweep folder: ``NAME/seed-SEED``."""
        return Path(self.name) / f"seed-{self.config.seed}"


def grid_points(grid: Sequence[str], options: Sequence[argparse.Action]
                ) -> list[tuple[str, list[str]]]:
    """Every point of the grid ``KEY=V1,V2 ...`` (the product over the keys) as
    its name (``KEY=V,KEY=V``; empty without a grid) and the command-line
    options that set it.

    A key names one of the training ``options`` (``lr``, ``batch-size`` or
    ``--batch-size``); a flag (``carry-state``) takes ``true`` or ``false``.
    ``seed`` is not a key: ``--seed`` and ``--seeds`` give the seeds.
    """
    by_key = {option.option_strings[0].lstrip("-"): option for option in options}
    keys = sorted(set(by_key) - {"seed"})
    axes, seen = [], set()
    for item in grid:
        key, _, values = item.partition("=")
        key = key.lstrip("-").replace("_", "-")
        if key not in keys:
            raise ValueError(f"--grid {item!r}: the key must be a training option, one of "
                             f"{', '.join(keys)} (seeds: --seed and --seeds)")
        if key in seen:
            raise ValueError(f"--grid key {key!r} is given twice")
        seen.add(key)
        option, flag = by_key[key], by_key[key].option_strings[0]
        values = [_normalized(option, value) for value in values.split(",")]
        if "" in values or len(set(values)) < len(values):
            raise ValueError(f"--grid {item!r} must be {key}=V1,V2,... with distinct, "
                             f"non-empty values (as numbers: {','.join(values)})")
        if option.nargs == 0 and not set(values) <= set(FLAG_VALUES):
            raise ValueError(f"--grid {item!r}: {flag} is a flag, its values are "
                             f"{' or '.join(FLAG_VALUES)}")
        axes.append([(f"{key}={value}", _grid_argv(option, value)) for value in values])
    return [(",".join(name for name, _ in point), sum((argv for _, argv in point), []))
            for point in itertools.product(*axes)]


def _normalized(option: argparse.Action, value: str) -> str:
    """A grid value in one spelling (``1e-3`` and ``0.001`` are ``0.001``), so
    equal values make one trial and one folder name."""
    if option.type in (int, float) and value:
        try:
            return repr(option.type(value))
        except ValueError:
            raise ValueError(f"--grid value {value!r} of {option.option_strings[0]} is not "
                             f"{'an integer' if option.type is int else 'a number'}") from None
    return value


def _grid_argv(option: argparse.Action, value: str) -> list[str]:
    """The command-line words that set ``option`` to ``value``; a flag's
    ``false`` is its ``--no-`` form (its default may be a recipe's ``true``)."""
    if option.nargs != 0:
        return [option.option_strings[0], value]
    if value == "true":
        return [option.option_strings[0]]
    return [option.option_strings[-1]] if len(option.option_strings) > 1 else []


def make_trials(grid: Sequence[str], seeds: int, first_seed: int,
                options: Sequence[argparse.Action],
                configure: Callable[[list[str]], TrainConfig]) -> list[Trial]:
    """Every grid point x the seeds ``first_seed .. first_seed + seeds - 1``;
    ``configure`` turns a trial's command-line options (its grid point and
    ``--seed``) into its :class:`TrainConfig`. Without a grid the one
    configuration is named ``TASK-RULE-PRECISION``."""
    if seeds < 1:
        raise ValueError(f"seeds={seeds} must be >= 1")
    trials = []
    for name, argv in grid_points(grid, options):
        for seed in range(first_seed, first_seed + seeds):
            config = configure([*argv, "--seed", str(seed)])
            trials.append(Trial(name or f"{config.task}-{config.rule}-{config.precision}",
                                config))
    return trials


def finished_results(folder: Path, config: TrainConfig) -> Optional[dict]:
    """The results of the run in ``folder`` if it finished with ``config`` and
    agree with its checkpoint (whose manifest carries a checksum): the same
    configuration and history, and the final test metric the last epoch's.
    ``None`` otherwise (no ``results.json``, another configuration, a file cut
    short by a kill or edited by hand, which is named in a warning): the run
    is then resumed from its checkpoint, which rewrites the results."""
    try:
        results = json.loads((folder / RESULTS).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    wanted = asdict(config)
    if (not isinstance(results, dict) or not isinstance(results.get("config"), dict)
            or saved_config(results["config"]) != wanted):
        return None
    try:
        state = read_checkpoint(folder)
        agrees = (saved_config(state["config"]) == wanted
                  and state["history"] == results["history"]
                  and abs(results["test_metric"] - results["history"][-1]["test_metric"]) < 1e-9)
    except (FileNotFoundError, CheckpointError, KeyError, IndexError, TypeError) as err:
        agrees, why = False, f"its checkpoint cannot vouch for it ({err})"
    else:
        why = "it does not match its checkpoint (checksummed): edited or foreign"
    if not agrees:
        warnings.warn(f"{folder / RESULTS}: {why}; the run is resumed from its checkpoint "
                      "instead of counted as finished")
        return None
    return results


@functools.cache
def exit_with_parent(interval_s: float = 0.1) -> None:
    """Exit this process within ``interval_s`` once its parent is gone (once per
    process). A Ray worker's parent is the raylet; a local one dies with the
    sweep command, and a worker in the middle of a trial would otherwise train
    on, beside the rerun that resumes the same trial."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit_with_parent", daemon=True).start()


def train_trial(config: TrainConfig, folder: str, in_worker: bool = True) -> dict:
    """Train one trial quietly in ``folder``, resuming from its checkpoint if
    there is one; return its results (``in_worker``: in a Ray worker, which
    then exits with its parent)."""
    from lava_vle.datasets import load_dataset
    from lava_vle.train import fit

    if in_worker:
        exit_with_parent()
    folder = Path(folder)
    dataset = load_dataset(config.task, **config.dataset_kwargs)
    return fit(dataset, config, folder, resume=(folder / CHECKPOINT).exists(), progress=False,
               log=lambda *_: None)


def available_cpus() -> int:
    """The number of cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def start_ray(address: Optional[str]):
    """Import Ray and start it here (``address`` None) or join the cluster at
    ``address``; workers' output is not forwarded. Returns the ``ray`` module."""
    try:
        import ray
    except ImportError:
        raise ImportError('lava-vle sweep needs Ray: pip install "lava-vle[sweep]"') from None
    quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
    # Ray's default (token authentication on) is kept; only its notice that it
    # is on, printed at every start, is left out
    logging.getLogger("ray._private.authentication.authentication_token_setup").addFilter(
        lambda record: not record.getMessage().startswith("Token authentication is enabled"))
    if address:
        check_reachable(address)
        join_cluster(ray, address, quiet)
    else:
        ray.init(num_cpus=available_cpus(), include_dashboard=False, **quiet)
    return ray


def join_cluster(ray, address: str, options: dict) -> None:
    """``ray.init(address=...)``; where the cluster refuses this machine's
    authentication token (Ray's C++ client then retries for about 20 s, one
    stderr line a second, and fails naming another address), raise
    ConnectionError naming the token and where Ray looks for it. What Ray
    prints meanwhile is held back and shown unless it was that refusal."""
    with tempfile.TemporaryFile(mode="w+b") as log:
        failure = None
        with stderr_into(log):
            try:
                ray.init(address=address, **options)
            except Exception as err:  # Ray raises several kinds here; re-raised below
                failure = err
        log.seek(0)
        printed = log.read().decode(errors="replace")
    refused = "InvalidAuthToken" in printed or "Unauthenticated" in printed
    if failure is not None and refused:
        raise ConnectionError(
            f"--address {address}: the Ray cluster there requires an authentication token and "
            "refused this machine's (none found, or another cluster's): copy the head's token "
            "(`ray get-auth-token` on the head) into ~/.ray/auth_token, or set RAY_AUTH_TOKEN "
            "(or RAY_AUTH_TOKEN_PATH), with RAY_AUTH_MODE=token") from None
    sys.stderr.write(printed)
    if failure is not None:
        raise failure


@contextlib.contextmanager
def stderr_into(file) -> Iterator[None]:
    """Send this process's file descriptor 2 (C++ libraries' logs too) into ``file``."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(file.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def check_reachable(address: str, timeout_s: float = 10.0) -> None:
    """Raise ConnectionError naming ``address`` (``host:port``, optionally
    ``ray://``) unless something there accepts a connection within
    ``timeout_s`` (Ray itself would retry for minutes)."""
    if address == "auto":
        return
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        connection = socket.create_connection((host or "127.0.0.1", int(port)),
                                              timeout=timeout_s)
    except (OSError, ValueError) as err:
        raise ConnectionError(f"--address {address}: no Ray cluster answers there ({err}); "
                              "start one with `ray start --head`, or leave --address out to "
                              "start Ray on this machine") from None
    with connection:
        if not speaks_grpc(connection):
            raise ConnectionError(f"--address {address}: something answers there, but not a "
                                  "Ray cluster (no gRPC reply); give the address `ray start "
                                  "--head` printed, or leave --address out to start Ray on "
                                  "this machine")


#: HTTP/2's connection preface and an empty SETTINGS frame (RFC 9113, section 3.4)
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def speaks_grpc(connection: socket.socket) -> bool:
    """Whether the peer answers HTTP/2's preface with a SETTINGS frame, as every
    gRPC server (Ray's GCS and its client server among them) does; a plain HTTP
    server or another protocol does not (Ray would retry it for ever)."""
    try:
        connection.sendall(HTTP2_PREFACE)
        header = b""
        while len(header) < 9:
            chunk = connection.recv(9 - len(header))
            if not chunk:
                return False
            header += chunk
    except OSError:
        return False
    return header[3] == 4  # the frame type: SETTINGS


@contextlib.contextmanager
def sweep_lock(out: Path):
    """Hold ``out/.sweep.lock`` (this process's PID) while a sweep writes into
    ``out``; a second sweep on the same folder stops with one line naming the
    holder's PID (a lock left by a process that is gone is taken over)."""
    out.mkdir(parents=True, exist_ok=True)
    lock = out / LOCK
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            try:
                holder = int(lock.read_text().strip() or 0)
                os.kill(holder, 0)
            except (ProcessLookupError, FileNotFoundError):
                lock.unlink(missing_ok=True)  # stale: its process is gone
                continue
            except PermissionError:
                pass  # alive, another user's
            except (ValueError, UnicodeDecodeError, IsADirectoryError):
                raise FileExistsError(f"{lock} is not a sweep's lock (a sweep writes its process "
                                      "id there): move it away, or pass another --out; nothing "
                                      "was removed") from None
            raise FileExistsError(f"{out} is in use by another sweep (PID {holder}, {lock}): "
                                  "wait for it to finish, or pass another --out") from None
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def train_on_ray(trials: Sequence[Trial], out: Path, address: Optional[str],
                 cpus_per_trial: float, gpus_per_trial: float, log=print) -> None:
    """Train ``trials`` as Ray tasks of ``cpus_per_trial`` CPUs and
    ``gpus_per_trial`` GPUs each; log one line per finished (or failed) trial.
    A SIGTERM ends the sweep as Ctrl-C does, through ``ray.shutdown()``, so
    no Ray process outlives it (a SIGKILL cannot be caught: Ray's agents then
    exit by themselves within about a minute)."""
    import signal

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    main = threading.current_thread() is threading.main_thread()  # signals go there only
    previous = signal.signal(signal.SIGTERM, terminate) if main else None
    ray = start_ray(address)
    try:
        resources = ray.cluster_resources()
        for name, per_trial in (("CPU", cpus_per_trial), ("GPU", gpus_per_trial)):
            if per_trial > resources.get(name, 0):
                raise ValueError(f"{name.lower()}s_per_trial={per_trial:g} must be <= "
                                 f"{resources.get(name, 0):g}, the {name}s of the Ray cluster")
        log(f"Ray: {resources['CPU']:g} CPUs, {resources.get('GPU', 0):g} GPUs; "
            f"{cpus_per_trial:g} CPUs and {gpus_per_trial:g} GPUs per trial; Ray's session "
            f"files under {os.environ.get('RAY_TMPDIR', '/tmp')}/ray")
        task = ray.remote(train_trial).options(num_cpus=cpus_per_trial, num_gpus=gpus_per_trial)
        pending = {task.remote(trial.config, str((out / trial.folder).resolve())): trial
                   for trial in trials}
        while pending:
            (ref,), _ = ray.wait(list(pending), num_returns=1)
            trial = pending.pop(ref)
            done = f"[{len(trials) - len(pending)}/{len(trials)}] {trial.folder}"
            try:
                results = ray.get(ref)
            except ray.exceptions.RayError as err:
                cause = getattr(err, "cause", None) or err
                log(f"{done}: failed: {type(cause).__name__}: {cause}")
                continue
            log(_finished_line(done, results, str(trial.folder)))
    finally:
        ray.shutdown()
        if main:
            signal.signal(signal.SIGTERM, previous)


def _finished_line(done: str, results: dict, folder: str) -> str:
    row = run_row(results, folder)
    return (f"{done}: test {row['metric']}: final {row['final']:.2f}, best {row['best']:.2f} "
            f"({row['epochs']} epochs, {row['train_wall_s']:.1f} s training, "
            f"{row['samples_per_s']:.0f} samples/s)")


def train_here(trials: Sequence[Trial], out: Path, log=print) -> None:
    """``--address local``: train ``trials`` in this process, one after the
    other (no Ray: a machine without it, a GPU job, a debugger); log one line
    per finished (or diverged) trial."""
    from lava_vle.train import TrainingDiverged

    for i, trial in enumerate(trials, 1):
        done = f"[{i}/{len(trials)}] {trial.folder}"
        try:
            results = train_trial(trial.config, str(out / trial.folder), in_worker=False)
        except TrainingDiverged as err:
            log(f"{done}: failed: TrainingDiverged: {err}")
            continue
        log(_finished_line(done, results, str(trial.folder)))


def local_workers(address: Optional[str]) -> Optional[int]:
    """How many trials ``--address`` trains at a time without Ray: ``local``
    1 (in this process), ``local:N`` N (worker processes); None for Ray."""
    if address is None or not (address == LOCAL or address.startswith(LOCAL + ":")):
        return None
    count = address.partition(":")[2] or "1"
    if not (count.isdigit() and int(count) >= 1):
        raise ValueError(f"--address {address}: N in local:N must be an integer >= 1 "
                         "(trials trained at a time)")
    return int(count)


def train_in_processes(trials: Sequence[Trial], out: Path, workers: int,
                       cpus_per_trial: float = 1.0, log=print) -> None:
    """``--address local:N``: train ``trials`` N at a time in fresh worker
    processes (spawned, each pinned to ``cpus_per_trial`` BLAS/OpenMP threads:
    a machine without Ray, such as a GPU machine without a package registry);
    log one line per finished (or failed) trial. The workers exit with this
    process, and an interrupted trial resumes from its checkpoint next time."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    threads = str(max(1, int(cpus_per_trial)))
    pinned = {name: threads for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                         "MKL_NUM_THREADS")}
    saved = {name: os.environ.get(name) for name in pinned}
    os.environ.update(pinned)  # inherited by the spawned workers when they start
    pool = ProcessPoolExecutor(min(workers, len(trials)),
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        pending = {pool.submit(train_trial, trial.config, str((out / trial.folder).resolve()))
                   : trial for trial in trials}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                trial = pending.pop(future)
                done = f"[{len(trials) - len(pending)}/{len(trials)}] {trial.folder}"
                try:
                    results = future.result()
                except Exception as err:  # a diverged or broken trial; the others go on
                    log(f"{done}: failed: {type(err).__name__}: {err}")
                    continue
                log(_finished_line(done, results, str(trial.folder)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def summarize(trials: Sequence[Trial], out: Path) -> dict:
    """The sweep over seeds: per configuration with finished trials, ``n``;
    ``mean``, ``std``, ``min`` and ``max`` of the final and the best test
    metric (best: highest accuracy, lowest NRMSE); mean train wall time and
    samples/s; mean and std of the test metric per epoch (``curve``); the
    trial folders. ``unfinished`` lists the folders of the other trials."""
    configurations, unfinished = [], []
    for name in dict.fromkeys(trial.name for trial in trials):
        group, rows, curves = [trial for trial in trials if trial.name == name], [], []
        for trial in group:
            results = finished_results(out / trial.folder, trial.config)
            if results is None:
                unfinished.append(str(trial.folder))
                continue
            rows.append(run_row(results, str(trial.folder)))
            curves.append([epoch["test_metric"] for epoch in results["history"]])
        if not rows:
            continue
        curves = np.array(curves)
        config = {key: value for key, value in asdict(group[0].config).items() if key != "seed"}
        configurations.append({
            "name": name, "config": config, "metric": rows[0]["metric"], "n": len(rows),
            "final": seed_stats([row["final"] for row in rows]),
            "best": seed_stats([row["best"] for row in rows]),
            "train_wall_s": float(np.mean([row["train_wall_s"] for row in rows])),
            "samples_per_s": float(np.mean([row["samples_per_s"] for row in rows])),
            "curve": {"epoch": list(range(1, curves.shape[1] + 1)),
                      "mean": curves.mean(axis=0).tolist(),
                      "std": [seed_stats(column)["std"] for column in curves.T]},
            "trials": [row["run"] for row in rows]})
    return {"configurations": configurations, "unfinished": unfinished}


def write_summary(summary: dict, out: Path) -> None:
    """Write ``summary.json``; ``summary.csv`` and ``summary.md`` (one row per
    configuration); ``summary.png`` (mean +/- std learning curves)."""
    from lava_vle.plots import plot_sweep_curves, without_matplotlib

    out.mkdir(parents=True, exist_ok=True)
    (out / SWEEP_SUMMARY).write_text(json.dumps(summary, indent=2))
    measures = [(which, stat) for which in ("final", "best") for stat in STATS]
    with open(out / "summary.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["configuration", "task", "rule", "precision", "metric", "n",
                         *(f"{which}_{stat}" for which, stat in measures),
                         "train_wall_s", "samples_per_s", "trials"])
        for c in summary["configurations"]:
            cfg = c["config"]
            writer.writerow([c["name"], cfg["task"], cfg["rule"], cfg["precision"], c["metric"],
                             c["n"], *(c[which][stat] for which, stat in measures),
                             c["train_wall_s"], c["samples_per_s"], " ".join(c["trials"])])
    (out / "summary.md").write_text(sweep_markdown(summary) + "\n")
    if summary["configurations"]:
        without_matplotlib(lambda: plot_sweep_curves(summary, out / "summary.png"),
                           "summary.png")


def run_sweep(trials: Sequence[Trial], out: Path, address: Optional[str] = None,
              cpus_per_trial: float = 1.0, gpus_per_trial: float = 0.0, log=print) -> dict:
    """Train the trials that have not finished (resuming those with a
    checkpoint) on Ray, then write and return the summary (:func:`summarize`)."""
    if not cpus_per_trial > 0:
        raise ValueError(f"cpus_per_trial={cpus_per_trial} must be > 0")
    if not gpus_per_trial >= 0:
        raise ValueError(f"gpus_per_trial={gpus_per_trial} must be >= 0")
    out = Path(out)
    with sweep_lock(out):
        return _run_sweep(trials, out, address, cpus_per_trial, gpus_per_trial, log)


def _run_sweep(trials: Sequence[Trial], out: Path, address: Optional[str],
               cpus_per_trial: float, gpus_per_trial: float, log) -> dict:
    todo = [trial for trial in trials
            if finished_results(out / trial.folder, trial.config) is None]
    resume = sum((out / trial.folder / CHECKPOINT).exists() for trial in todo)
    log(f"{len(trials)} trials: {len(trials) - len(todo)} finished before, {resume} to resume "
        f"from their checkpoint, {len(todo) - resume} to train")
    if todo:
        start = time.perf_counter()
        workers = local_workers(address)
        if workers == 1:
            train_here(todo, out, log)
        elif workers:
            train_in_processes(todo, out, workers, cpus_per_trial, log)
        else:
            train_on_ray(todo, out, address, cpus_per_trial, gpus_per_trial, log)
        log(f"trained {len(todo)} trials in {time.perf_counter() - start:.1f} s")
    summary = summarize(trials, out)
    write_summary(summary, out)
    return summary
