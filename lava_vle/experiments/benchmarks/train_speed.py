"""Training speed and memory: VLE local rule vs BPTT on the same network, one run.

The MNIST-1D reference network (1 -> 6 x 53 -> 10, 14,956 parameters) trains
on random sequences of MNIST-1D's shape with both rules, through the real
trainers (:class:`lava_vle.train.Trainer`): same batches, same Adam, float32.
Timed: VLE with an update every 50 steps, the per-step recipe (update every
step, state carried across batches) and BPTT, batches taking turns, thread
pools pinned (``--threads``, default 1). Reported: median samples/s (wall
and process CPU time) and the ratios, and the peak memory one training
batch adds, against sequence length (each measured in a fresh subprocess:
VLE is online and keeps no trajectory, BPTT stores it).

    python -m lava_vle.experiments.benchmarks.train_speed --out results/train_speed

``--recipes``: each recurrent task's VLE recipe (row-wise Fashion-MNIST: e-prop
and 6 settle steps; pattern generation: e-prop) against its BPTT recipe on
data of the task's shape, the same way (batches taking turns, medians).

``--gle-code DIR``: the per-step recipe against the public GLE reference
code (a checkout of unibe-cns/gle-code at ``DIR``, run as it is by
``--gle-python``, an interpreter of its own environment with torch; see
:mod:`lava_vle.experiments.benchmarks.gle_reference_driver`), same network, recipe and
batch (100 sequences of 360 steps), one thread each, the two programs
taking turns batch by batch.

``--device cuda``: both rules on a torch device (VLE as BPTT: float32
tensors there), each timed batch ended by a device synchronisation; the
memory probes, which read the host's resident memory, are left out.

With ``--gle-code`` also, in turn, the recipe's three matrix products
alone (:mod:`~lava_vle.experiments.benchmarks.step_arithmetic`): the
samples/s the recipe cannot pass while its step runs them as it does.

``--capture K``: also the per-step recipe in captured windows
(:mod:`lava_vle.captured`: K update windows per compiled call, on
``--device`` or torch's CPU backend), timed in turn with the others (with
``--gle-code`` too).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lava_vle.command_parser import CommandParser, at_least
from lava_vle.experiments.benchmarks.step_arithmetic import (multiply_adds, peak_gflops,
                                                             products_seconds)

RULES = ("vle", "bptt")
HOST = "cpu (VLE numpy, BPTT torch)"  # what "device" records without --device


def synthetic_mnist1d(steps: int, n: int, seed: int = 0):
    """Random sequences shaped like MNIST-1D, dt = 0.2 (speed and memory do not
    depend on the data; longer sequences are longer in time)."""
    from lava_vle.datasets import SequenceDataset

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=n)
    ones = np.ones(steps, np.float32)
    return SequenceDataset("mnist1d", x, y, x[:1], y[:1], "classification", 10, ones, ones,
                           dt=0.2, info={"synthetic": True})


# the configurations timed: (rule, TrainConfig options)
CONFIGS = {"vle": ("vle", {"update_interval": 50}),
           "vle_per_step": ("vle", {"update_interval": 1, "carry_state": True}),
           "bptt": ("bptt", {})}
CAPTURED = "vle_per_step_captured"  # --capture K: the per-step recipe, K steps per call


def configs(capture: int = 0, device: Optional[str] = None) -> dict:
    """The configurations timed, each with its torch device (None: numpy VLE,
    BPTT on the CPU); ``capture``: also the per-step recipe in compiled calls
    of ``capture`` steps (on ``device``, default the CPU)."""
    timed = {name: (rule, {**options, **({"device": device} if device else {})})
             for name, (rule, options) in CONFIGS.items()}
    if capture:
        timed[CAPTURED] = ("vle", {**CONFIGS["vle_per_step"][1], "capture": capture,
                                   "device": device or "cpu"})
    return timed


def trainer_for(rule: str, steps: int, batch: int, n_batches: int, **options):
    from lava_vle.train import Trainer, TrainConfig

    dataset = synthetic_mnist1d(steps, batch * n_batches)
    return Trainer(dataset, TrainConfig(task="mnist1d", rule=rule, batch_size=batch, **options))


def timed_batch(trainer, x, y, device: Optional[str]) -> tuple[float, float]:
    """Wall and process CPU seconds of one training batch, up to the end of
    its last kernel on ``device``."""
    from lava_vle.arrays import synchronize

    synchronize(device)
    start, start_cpu = time.perf_counter(), time.process_time()
    trainer.rule.batch(x, y)
    synchronize(device)
    return time.perf_counter() - start, time.process_time() - start_cpu


def pin_threads(threads: int) -> None:
    """BLAS/OpenMP pools and torch's intra-op pool to ``threads`` each."""
    import torch
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads)
    torch.set_num_threads(threads)


def samples_per_second(steps: int, batch: int, n_batches: int,
                       device: Optional[str] = None, capture: int = 0) -> dict:
    """Median samples/s (wall and process CPU time) of each configuration
    (:func:`configs`: numpy VLE and CPU BPTT, or both on torch ``device``).

    After one warm-up batch each (which compiles the captured windows), the
    timed batches take turns between the configurations, so a change in
    machine load reaches all of them alike.
    """
    trainers = {name: trainer_for(rule, steps, batch, n_batches + 1, **options)
                for name, (rule, options) in configs(capture, device).items()}
    batches = {name: list(t.batches(0)) for name, t in trainers.items()}
    wall = {name: [] for name in trainers}
    cpu = {name: [] for name in trainers}
    for k in range(n_batches + 1):
        for name, trainer in trainers.items():
            x, y = trainer.sequences("train", batches[name][k])
            seconds, cpu_seconds = timed_batch(trainer, x, y, device)
            if k:  # the first batch warms up
                wall[name].append(batch / seconds)
                cpu[name].append(batch / cpu_seconds)
    return {"wall": {k: float(np.median(v)) for k, v in wall.items()},
            "cpu": {k: float(np.median(v)) for k, v in cpu.items()}}


# the recurrent tasks whose recipes --recipes times: (steps, inputs, outputs,
# classification, taught steps at the end, batch)
RECIPE_TASKS = {"fashion-smnist-row": (28, 28, 10, True, 3, 100),
                "pattern": (500, 4, 3, False, 500, 1)}


def synthetic_task(task: str, n: int, seed: int = 0):
    """Random data of ``task``'s shape and teaching window (RECIPE_TASKS)."""
    from lava_vle.datasets import SequenceDataset

    steps, n_in, n_out, classification, taught, _ = RECIPE_TASKS[task]
    rng = np.random.default_rng(seed)
    x = rng.random((n, steps, n_in)).astype(np.float32)
    window = np.zeros(steps, np.float32)
    window[steps - taught:] = 1.0
    y = (rng.integers(0, n_out, n) if classification
         else rng.normal(size=(n, steps, n_out)).astype(np.float32))
    dt = 1.0 if classification else 0.1
    return SequenceDataset(task, x, y, x[:1], y[:1], "classification" if classification
                           else "regression", n_out, window, window.copy(), dt)


def recipe_speeds(n_batches: int = 3, device: Optional[str] = None) -> dict:
    """Median samples/s (wall, CPU) of each recurrent task's VLE and BPTT recipe
    (on torch ``device`` if given)."""
    from lava_vle.recipes import recipe
    from lava_vle.train import Trainer, TrainConfig

    rows = {}
    for task, (*_, batch) in RECIPE_TASKS.items():
        data = synthetic_task(task, batch * (n_batches + 1))
        trainers = {rule: Trainer(data, TrainConfig(task=task, rule=rule, **{
            **recipe(task, rule), "batch_size": batch, "device": device})) for rule in RULES}
        wall = {rule: [] for rule in RULES}
        cpu = {rule: [] for rule in RULES}
        order = list(trainers["vle"].batches(0))
        for k in range(n_batches + 1):
            for rule, trainer in trainers.items():
                x, y = trainer.sequences("train", order[k])
                seconds, cpu_seconds = timed_batch(trainer, x, y, device)
                if k:
                    wall[rule].append(batch / seconds)
                    cpu[rule].append(batch / cpu_seconds)
        speed = {rule: round(float(np.median(wall[rule])), 1) for rule in RULES}
        cpu_speed = {rule: round(float(np.median(cpu[rule])), 1) for rule in RULES}
        rows[task] = {"batch": batch, "vle_recipe": recipe(task, "vle"),
                      "bptt_recipe": recipe(task, "bptt"), "samples_per_s": speed,
                      "samples_per_cpu_s": cpu_speed,
                      "ratio_vle_over_bptt": round(speed["vle"] / speed["bptt"], 2)}
    return rows


GLE_DRIVER = Path(__file__).with_name("gle_reference_driver.py")
GLE_BATCH, GLE_STEPS = 100, 360  # the reference's MNIST-1D batch and sequence (dt 0.2)


def _git_commit(folder: Path) -> Optional[str]:
    """The checkout's commit; None where ``folder`` is not a git checkout's root
    (an archive, or a folder inside some other repository)."""
    if not (folder / ".git").exists():
        return None
    probe = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"],
                           capture_output=True, text=True)
    return probe.stdout.strip() if probe.returncode == 0 else None


def gle_reference_speeds(gle_code: Path, python: str, n_batches: int = 3,
                         capture: int = 0) -> dict:
    """Median samples/s (wall, CPU) of the per-step recipe here (numpy; with
    ``capture``, also in compiled calls of ``capture`` steps on torch's CPU
    backend) and of the GLE reference's own MNIST-1D recipe in its process
    and environment, batches taking turns (after one warm-up batch each)."""
    gle_code = Path(gle_code).resolve()
    if not (gle_code / "experiments" / "mnist1d" / "networks.py").is_file():
        raise SystemExit(f"--gle-code {gle_code}: not a checkout of unibe-cns/gle-code "
                         "(experiments/mnist1d/networks.py is missing)")
    timed = {name: config for name, config in configs(capture).items()
             if name in ("vle_per_step", CAPTURED)}
    trainers = {name: trainer_for(rule, GLE_STEPS, GLE_BATCH, n_batches + 1, **options)
                for name, (rule, options) in timed.items()}
    order = list(trainers["vle_per_step"].batches(0))
    speeds = {name: {"wall": [], "cpu": []} for name in ["gle_reference", *trainers]}
    spec = trainers["vle_per_step"].spec
    stack = (spec.n_layers, max(spec.sizes), GLE_BATCH)
    ceilings = []  # samples/s of the recipe's three matrix products alone
    with tempfile.TemporaryFile("w+") as err, subprocess.Popen(
            [python, str(GLE_DRIVER), str(gle_code)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=err, text=True) as ref:

        def reply() -> str:
            line = ref.stdout.readline()
            if not line:
                err.seek(0)
                raise RuntimeError(f"the GLE reference ({python} {GLE_DRIVER.name}) stopped:\n"
                                   + err.read()[-2000:])
            return line.strip()

        while reply() != "ready":  # the reference prints notes while it imports
            pass
        for k in range(n_batches + 1):
            ref.stdin.write("batch\n")
            ref.stdin.flush()
            timing = json.loads(reply())
            runs = {"gle_reference": (timing["wall_s"], timing["cpu_s"])}
            for name, trainer in trainers.items():
                x, y = trainer.sequences("train", order[k])
                runs[name] = timed_batch(trainer, x, y, None)
            products = products_seconds(*stack)
            if k:
                for name, (wall, cpu) in runs.items():
                    speeds[name]["wall"].append(GLE_BATCH / wall)
                    speeds[name]["cpu"].append(GLE_BATCH / cpu)
                ceilings.append(GLE_BATCH / (GLE_STEPS * products))
        ref.stdin.close()
    wall = {name: round(float(np.median(v["wall"])), 1) for name, v in speeds.items()}
    cpu = {name: round(float(np.median(v["cpu"])), 1) for name, v in speeds.items()}
    result = {"gle_code": "unibe-cns/gle-code (a checkout outside this repository)",
              "gle_code_commit": _git_commit(gle_code), "gle_torch": timing["torch"],
              "gle_python_version": timing["python"], "batch": GLE_BATCH, "steps": GLE_STEPS,
              "timed_batches": n_batches,
              "vle_config": {"rule": timed["vle_per_step"][0], **timed["vle_per_step"][1]},
              "compiled_kernels": kernels_enabled(),
              "samples_per_s": wall, "samples_per_cpu_s": cpu,
              "ratio_vle_over_gle_reference": round(wall["vle_per_step"]
                                                    / wall["gle_reference"], 2),
              "ratio_vle_over_gle_reference_cpu": round(
                  cpu["vle_per_step"] / cpu["gle_reference"], 2)}
    ceiling = float(np.median(ceilings))
    step_s = GLE_BATCH / (GLE_STEPS * ceiling)
    padded = multiply_adds(*stack)
    result["products_only"] = {
        "what": "the step's three stacked matrix products alone, tight loop, in turn "
                "(lava_vle.experiments.benchmarks.step_arithmetic)",
        "ceiling_samples_per_s": round(ceiling, 1), "step_ms": round(1e3 * step_s, 4),
        "multiply_adds_per_step": padded, "gflops": round(2 * padded / step_s / 1e9, 1),
        "blas_peak_gflops": round(peak_gflops(), 1),
        "share_of_recipe_step": round(wall["vle_per_step"] / ceiling, 2),
        "ratio_over_gle_reference": round(ceiling / wall["gle_reference"], 2)}
    if capture:
        result["captured_config"] = {"rule": timed[CAPTURED][0], **timed[CAPTURED][1]}
        result["ratio_captured_over_gle_reference"] = round(wall[CAPTURED]
                                                            / wall["gle_reference"], 2)
        result["ratio_captured_over_gle_reference_cpu"] = round(cpu[CAPTURED]
                                                                / cpu["gle_reference"], 2)
    return result


def kernels_enabled() -> bool:
    from lava_vle import kernels

    return kernels.ENABLED


def accelerator(device: Optional[str]) -> Optional[str]:
    """The name of the GPU behind a CUDA ``device``, else None."""
    if device is None or not device.startswith("cuda"):
        return None
    import torch

    return torch.cuda.get_device_name(device)


def machine(threads: int, load_before: float, device: Optional[str] = None) -> dict:
    """What a speed record names of the machine: cores, threads, the GPU behind
    ``device`` and the 1-minute load average before and after the run."""
    return {"cpus": os.cpu_count(), "threads": threads, "accelerator": accelerator(device),
            "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def batch_peak_memory_mib(rule: str, steps: int, batch: int) -> float:
    """Peak resident memory one training batch adds above the state before it.

    Runs in a fresh process (``--probe``): after a 2-step, 1-sample warm-up
    (imports, first calls), Linux's peak-RSS mark is reset
    (``echo 5 > /proc/self/clear_refs``) and VmHWM read after the batch.
    """
    warm = trainer_for(rule, 2, 1, 1)
    warm.rule.batch(*warm.sequences("train", np.arange(1)))
    trainer = trainer_for(rule, steps, batch, 1)
    x, y = trainer.sequences("train", np.arange(batch))
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    baseline = _status_kib("VmRSS")
    trainer.rule.batch(x, y)
    return max(0, _status_kib("VmHWM") - baseline) / 1024


def measure(batch: int = 100, n_batches: int = 3, steps: int = 360,
            lengths: Sequence[int] = (90, 180, 360, 720), threads: int = 1,
            device: Optional[str] = None, capture: int = 0) -> dict:
    pin_threads(threads)
    load_before = os.getloadavg()[0]
    speed = samples_per_second(steps, batch, n_batches, device, capture)
    memory = {rule: [] for rule in RULES}
    for length in lengths if device is None else ():  # host memory only
        for rule in RULES:
            probe = subprocess.run(
                [sys.executable, "-m", "lava_vle.experiments.benchmarks.train_speed", "--probe", rule,
                 str(length), str(batch)], capture_output=True, text=True, check=True)
            memory[rule].append(float(probe.stdout.strip().splitlines()[-1]))
    # the ratios are of the samples/s reported (rounded), so the JSON agrees with itself
    wall = {k: round(v, 1) for k, v in speed["wall"].items()}
    cpu = {k: round(v, 1) for k, v in speed["cpu"].items()}
    return {"network": "MNIST-1D reference, 1 -> 6 x 53 -> 10", "batch": batch, "steps": steps,
            "timed_batches": n_batches,
            "configs": {name: {"rule": rule, **options}
                        for name, (rule, options) in configs(capture, device).items()},
            "device": device or HOST,
            "machine": machine(threads, load_before, device),
            "samples_per_s": wall, "samples_per_cpu_s": cpu,
            "ratio_vle_over_bptt": round(wall["vle"] / wall["bptt"], 2),
            "ratio_vle_per_step_over_bptt": round(wall["vle_per_step"] / wall["bptt"], 2),
            "ratio_vle_over_bptt_cpu": round(cpu["vle"] / cpu["bptt"], 2),
            "lengths": list(lengths) if device is None else [],
            "peak_batch_memory_mib": {k: [round(m, 1) for m in v] for k, v in memory.items()}}


def main(argv: Optional[Sequence[str]] = None) -> Optional[dict]:
    parser = CommandParser(prog="lava-vle bench train-speed", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/train_speed", help="output folder")
    parser.add_argument("--batch", type=at_least(1), default=100, help="sequences per batch")
    parser.add_argument("--batches", type=at_least(1), default=3, help="timed batches per rule")
    parser.add_argument("--lengths", type=at_least(1), nargs="+", default=[90, 180, 360, 720],
                        help="sequence lengths of the memory measurement")
    parser.add_argument("--threads", type=at_least(1), default=1,
                        help="threads of the BLAS and torch pools (pinned for both rules)")
    parser.add_argument("--device", help="torch device of both rules ('cuda'; default: VLE on "
                                         "numpy, BPTT on the CPU)")
    parser.add_argument("--summary", type=Path, metavar="FOLDER",
                        help="write OUT/gpu_speed.json from the --device runs in FOLDER "
                             "(.ci/gpu_campaign)")
    parser.add_argument("--recipes", action="store_true",
                        help="time the recurrent tasks' VLE recipes (e-prop) against BPTT")
    parser.add_argument("--gle-code", type=Path, metavar="DIR",
                        help="time the per-step recipe against the GLE reference code "
                             "(a checkout of unibe-cns/gle-code), the two taking turns")
    parser.add_argument("--gle-python", default=sys.executable,
                        help="interpreter of the reference's own environment (needs torch; "
                             "default: this one)")
    parser.add_argument("--capture", type=at_least(0), default=0, metavar="K",
                        help="also time the per-step recipe in compiled calls of K update "
                             "windows (lava_vle.captured; on --device, default torch's CPU)")
    parser.add_argument("--probe", nargs=3, metavar=("RULE", "STEPS", "BATCH"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        rule, steps, batch = args.probe
        print(batch_peak_memory_mib(rule, int(steps), int(batch)))
        return None
    if args.gle_code is not None:
        return _report_gle_reference(args)
    if args.summary is not None:
        summary = device_speed_summary(args.summary, args.device or "cpu")
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "gpu_speed.json").write_text(json.dumps(summary, indent=2))
        print(f"wrote {out}/gpu_speed.json: per-step recipe {summary['per_step_recipe']} "
              f"samples/s on {summary['device']}")
        return summary
    if args.recipes:
        pin_threads(args.threads)
        load = os.getloadavg()[0]
        rows = recipe_speeds(args.batches, args.device)
        results = {"tasks": rows, "device": args.device or HOST,
                   "machine": machine(args.threads, load, args.device)}
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        name = "train_speed_recipes" + (f"_{args.device.replace(':', '')}"
                                        if args.device else "")
        (out / f"{name}.json").write_text(json.dumps(results, indent=2))
        for task, row in rows.items():
            print(f"{task}: samples/s VLE recipe {row['samples_per_s']['vle']}, BPTT "
                  f"{row['samples_per_s']['bptt']}: VLE / BPTT {row['ratio_vle_over_bptt']}")
        print(f"wrote {out}/{name}.json")
        return results
    results = measure(args.batch, args.batches, lengths=args.lengths, threads=args.threads,
                      device=args.device, capture=args.capture)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    name = "train_speed" + (f"_{args.device.replace(':', '')}_batch{args.batch}"
                            if args.device else "")
    (out / f"{name}.json").write_text(json.dumps(results, indent=2))
    if args.device is None:  # the plot shows the memory against length too
        from lava_vle.plots import plot_train_speed

        plot_train_speed(results, out / f"{name}.png")
    s = results["samples_per_s"]
    print(f"samples/s: VLE {s['vle']}, VLE per step {s['vle_per_step']}, BPTT {s['bptt']}; "
          f"VLE / BPTT {results['ratio_vle_over_bptt']} (CPU time "
          f"{results['ratio_vle_over_bptt_cpu']}), per step / BPTT "
          f"{results['ratio_vle_per_step_over_bptt']}")
    for rule in RULES if results["lengths"] else ():
        print(f"peak batch memory {rule}: " + ", ".join(
            f"T={t}: {m} MiB" for t, m in zip(results["lengths"],
                                               results["peak_batch_memory_mib"][rule])))
    print(f"wrote {out}/{name}.json" + ("" if args.device else " and .png"))
    return results


#: samples/s per batch size the issue asks for on one H100/H200 (per-step recipe, batch 100)
GPU_GOAL_PER_STEP_BATCH_100 = 5000


def device_speed_summary(folder: Path, device: str) -> dict:
    """``gpu_speed.json``: the samples/s of ``train_speed_<device>_batch<B>.json``
    files in ``folder`` (written with ``--device``) by configuration and
    batch: ``per_step_recipe`` (VLE, an optimiser step every time step),
    ``vle_window_50`` (VLE every 50 steps), ``bptt`` (once per sequence) and,
    where a run had ``--capture``, ``per_step_captured``, with the machine,
    the date and the versions."""
    import platform
    import time as clock

    import torch

    name = device.replace(":", "")
    runs = sorted(Path(folder).glob(f"train_speed_{name}_batch*.json"),
                  key=lambda p: int(p.stem.rsplit("batch", 1)[1]))
    if not runs:
        raise FileNotFoundError(f"no train_speed_{name}_batch*.json in {folder}: run this "
                                f"benchmark with --device {device} --out {folder} first")
    summary = {"device": device, "date": clock.strftime("%Y-%m-%d"),
               "versions": {"python": platform.python_version(), "numpy": np.__version__,
                            "torch": torch.__version__},
               "goal": {"per_step_recipe_batch_100": GPU_GOAL_PER_STEP_BATCH_100},
               "per_step_recipe": {}, "vle_window_50": {}, "bptt": {}, "machine": None}
    for path in runs:
        record = json.loads(path.read_text())
        batch = f"batch_{path.stem.rsplit('batch', 1)[1]}"
        speeds = record["samples_per_s"]
        summary["per_step_recipe"][batch] = speeds["vle_per_step"]
        summary["vle_window_50"][batch] = speeds["vle"]
        summary["bptt"][batch] = speeds["bptt"]
        if CAPTURED in speeds:
            summary.setdefault("per_step_captured", {})[batch] = speeds[CAPTURED]
        summary["machine"] = record["machine"]
    return summary


def _report_gle_reference(args: argparse.Namespace) -> dict:
    pin_threads(1)
    load = os.getloadavg()[0]
    results = gle_reference_speeds(args.gle_code, args.gle_python, args.batches, args.capture)
    results["machine"] = machine(1, load)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "train_speed_gleref.json").write_text(json.dumps(results, indent=2))
    from lava_vle.plots import plot_gle_reference_speed, without_matplotlib

    without_matplotlib(lambda: plot_gle_reference_speed(results, out / "train_speed_gleref.png"),
                       "the GLE reference speed plot")
    s, c = results["samples_per_s"], results["samples_per_cpu_s"]
    print(f"samples/s: VLE per-step recipe {s['vle_per_step']}, GLE reference "
          f"{s['gle_reference']}: {results['ratio_vle_over_gle_reference']}x "
          f"(per CPU-second {c['vle_per_step']} vs {c['gle_reference']}: "
          f"{results['ratio_vle_over_gle_reference_cpu']}x)")
    if args.capture:
        print(f"captured windows ({args.capture} steps per call): {s[CAPTURED]} samples/s, "
              f"{results['ratio_captured_over_gle_reference']}x the reference")
    p = results["products_only"]
    print(f"the step's three matrix products alone: {p['ceiling_samples_per_s']} samples/s "
          f"({p['gflops']} GFLOP/s, BLAS peak {p['blas_peak_gflops']}), "
          f"{p['ratio_over_gle_reference']}x the reference: a ceiling for this recipe")
    print(f"wrote {out}/train_speed_gleref.json and .png")
    return results


if __name__ == "__main__":
    main()
