"""The ``lava-vle`` command line.

    lava-vle train --task digits --rule vle|exact|bptt --precision float|fixed
    lava-vle sweep --task digits --seeds 3 --grid lr=1e-3,3e-3 --out results/sweep
                                       every grid point x seed a training run, on Ray
    lava-vle compare --task pattern --lrs 1e-3,3e-3,1e-2 --seeds 3 --out results/cmp
                                       VLE vs BPTT matched (equal and natural cadence,
                                       lr picked on a validation split), on Ray
    lava-vle campaign --out results/campaign --scale full --device cuda   the paper's table
    lava-vle evaluate RUN --backend lava --precision fixed
                                       a trained run's test metric in the simulator or Lava
    lava-vle export RUN --format nir   a trained run as a NIR graph
    lava-vle report results/           markdown table of the training runs (or the sweep) in a folder
    lava-vle demo                      train a small VLE network, float and fixed point
    lava-vle resources --task mnist1d  Loihi 2 neurocores, memory and limit checks
    lava-vle bench gradient-quality    local rule vs exact gradient (JSON + plot)
    lava-vle bench lava-speed          Lava runtime steps/s vs stock LIF + Dense
    lava-vle bench train-speed         VLE vs BPTT samples/s and memory
    lava-vle bench energy              energy per training sample, VLE vs BPTT
    lava-vle bench learning-engine     VLE on stock LearningDense vs our learning-epoch rule

A user error (a bad option, a damaged checkpoint, an unwritable folder, a
missing optional package) is one line on stderr and exit status 2; a
diverged run exits with 1.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional, Sequence

import numpy as np

from lava_vle.datasets import DATASETS
from lava_vle.command_parser import CommandParser, at_least, positive_floats
from lava_vle.spec import DEFAULT_RECURRENT_ERROR, RECURRENT_ERROR_MODES
from lava_vle.validation import check_int

if TYPE_CHECKING:
    from lava_vle.train import TrainConfig


BENCHMARKS = {"gradient-quality": "lava_vle.experiments.benchmarks.gradient_quality",
              "lava-speed": "lava_vle.experiments.benchmarks.lava_speed",
              "train-speed": "lava_vle.experiments.benchmarks.train_speed",
              "energy": "lava_vle.experiments.benchmarks.energy",
              "learning-engine": "lava_vle.experiments.benchmarks.learning_engine",
              "slayer-xor": "lava_vle.experiments.benchmarks.slayer_xor"}


# the teacher's output needs one step per population to cross the network:
# with fewer steps both outputs are zero and there is nothing to learn
DEMO_MIN_STEPS = 4


def demo(epochs: int = 20, steps: int = 400) -> dict:
    """Teacher-student demo: the local VLE rule learns online, no backward pass."""
    from lava_vle.progress import progress_bar
    from lava_vle.simulator import Simulator
    from lava_vle.synops import dense_synaptic_ops
    from lava_vle.synthetic_tasks import demo_spec, demo_task

    check_int("epochs", epochs, 1)
    check_int("steps", steps, DEMO_MIN_STEPS)
    spec = demo_spec()
    ts = demo_task(spec, steps)
    print(f"VLE network 2 -> 16 -> 16 -> 2 ({spec.n_parameters()} parameters), dt={spec.dt}, "
          f"{steps} steps per epoch; task: reproduce a fixed teacher network's output")
    summary = {}
    for precision in ("float", "fixed"):
        sim = Simulator(spec, ts.student, precision=precision)
        start = time.perf_counter()
        mse = [float(np.mean((sim.run(ts.x, ts.target).outputs - ts.target) ** 2))]
        for _ in progress_bar(range(epochs), desc=f"{precision:>5} training", unit="epoch",
                              disable=None):  # None: a bar only on a terminal
            sim.run(ts.x, ts.target, plasticity="apply", eta=0.01)
            mse.append(float(np.mean((sim.run(ts.x, ts.target).outputs - ts.target) ** 2)))
        wall = time.perf_counter() - start
        synops = epochs * dense_synaptic_ops(spec, steps)["forward"]
        print(f"{precision:>5}: output MSE {mse[0]:.2e} -> {mse[-1]:.2e} "
              f"({lower(mse[0], mse[-1])}) in {plural(epochs, 'epoch')}, {wall:.1f} s; "
              f"{synops:,} forward synaptic ops (graded, dense)")
        summary[precision] = {"mse": mse, "wall_s": wall}
    return summary


def lower(before: float, after: float) -> str:
    """``"12x lower"``, or ``"not lower"`` where the error did not fall."""
    return f"{before / after:.3g}x lower" if 0 < after < before else "not lower"


def metric_words(metric: str) -> tuple[str, str]:
    """``("accuracy", " %")`` or ``("NRMSE", "")``: how a run's metric reads."""
    return ("accuracy", " %") if metric == "accuracy_percent" else ("NRMSE", "")


def plural(count: int, noun: str) -> str:
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def add_train_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Add the options of one training run (``train`` and ``sweep`` share them);
    return them (``sweep --grid`` keys must name one of them)."""
    add = parser.add_argument
    return [
        add("--task", required=True, choices=sorted(DATASETS), metavar="TASK",
            help=f"the benchmark task: {', '.join(sorted(DATASETS))}"),
        add("--rule", default="vle", choices=["vle", "exact", "bptt", "hybrid"],
            help="VLE's local rule, its exact (adjoint) gradient, BPTT, or a hybrid: BPTT's "
                 "gradient for the lowest --bptt-layers populations, the local rule above"),
        add("--bptt-layers", type=int,
            help="--rule hybrid: populations 1..K take truncated BPTT's gradient (default 1)"),
        add("--precision", default="float", choices=["float", "fixed"],
            help="float, or Loihi-2 fixed point (the integer local rule)"),
        add("--epochs", type=int, default=10,
            help="number of epochs (with --resume: the total, done ones included)"),
        add("--batch-size", type=int, help=f"sequences per batch ({_RECIPE} 100)"),
        add("--lr", type=float,
            help="learning rate of the batch-mean update (Adam/SGD in float; fixed "
                 f"point: the integer local rule with eta = lr / batch size) ({_RECIPE} 0.001)"),
        add("--update-interval", type=int,
            help="optimiser step every N time steps: VLE float (1 = every step; "
                 f"{_RECIPE} 50), BPTT truncated to windows of N steps ({_RECIPE} once "
                 "per sequence)"),
        add("--hold", type=int, default=1,
            help="simulation steps per input: each input is held K steps at dt / K, time "
                 "constants and the loss window keep their meaning in inputs"),
        add("--teach-window", type=int,
            help="teach the loss on the last W inputs (default: the task's window)"),
        add("--clip", type=float,
            help="float rules: clip each update to this global norm (default: no clipping)"),
        add("--ema", type=float,
            help="float rules: evaluate an exponential moving average of the weights over "
                 "the batches with this decay (e.g. 0.99; Polyak averaging; 0: none, also "
                 "where the task's recipe has one)"),
        add("--validation", type=int, default=0,
            help="hold out the last N training sequences as a validation split, evaluated "
                 "every epoch (to pick settings on; never the test set)"),
        add("--optimizer", choices=["adam", "sgd"],
            help=f"float rules (fixed point always uses its integer SGD) ({_RECIPE} adam)"),
        add("--lr-schedule", choices=["constant", "cosine", "plateau", "plateau-validation",
                                      "plateau-frozen"],
            help="per-epoch learning rate: constant, cosine decay towards 0, or "
                 "halved after 3 epochs without a lower loss (torch's ReduceLROnPlateau): "
                 "the online train loss (plateau), the validation loss (plateau-validation: "
                 "needs --validation), or the loss of the epoch's weights, frozen, on the "
                 "first 1,000 training sequences (plateau-frozen: what the GLE reference "
                 f"watches, on its test set) ({_RECIPE} constant)"),
        add("--carry-state", action=argparse.BooleanOptionalAction,
            help="VLE float: each batch runs on from the previous batch's final "
                 f"state instead of from rest (as the GLE reference does) ({_RECIPE} off)"),
        add("--width", type=int,
            help="hidden width of the MNIST-1D network (default 53; 89: 41,128 parameters)"),
        add("--feedback", default="mirrored", choices=["mirrored", "random"],
            help="error path: the forward weights transposed, or fixed random "
                 "matrices (feedback alignment)"),
        add("--recurrent-error", choices=list(RECURRENT_ERROR_MODES),
            help="how recurrent layers get errors and learn (see NetworkSpec) "
                 f"({_RECIPE} {DEFAULT_RECURRENT_ERROR})"),
        add("--learning-epoch", type=int, default=1,
            help="VLE: synapses keep pre/post traces and change once every N time "
                 "steps, as the Loihi 2 learning engine (1 = every step)"),
        add("--sigma-delta", type=float, default=0.0,
            help="sigma-delta threshold of the hidden layers' rates"),
        add("--error-sigma-delta", type=float, default=0.0,
            help="sigma-delta threshold of the hidden layers' errors"),
        add("--activation", choices=["tanh", "hard_tanh", "relu", "linear"],
            help=f"hidden activation ({_RECIPE} tanh; fixed point: hard_tanh; linear: a "
                 "linear network, which `lava-vle export --format nir` can write)"),
        add("--seed", type=int, default=0,
            help="seed of the initial weights and the shuffling (0..2**32-1)"),
        add("--data-dir", help="folder of the MNIST IDX files (smnist tasks)"),
        add("--limit-train", type=int, help="use only the first N training samples"),
        add("--limit-test", type=int, help="use only the first N test samples"),
        add("--settle-steps", type=int,
            help="VLE float: after each training sequence run on for N steps with zero "
                 f"input, still learning, so late errors reach the lower layers ({_RECIPE} 0)"),
    ] + _loop_options(add)


def _loop_options(add: Callable[..., argparse.Action]) -> list[argparse.Action]:
    """The training options of the learning loop's arrays and conventions."""
    return [
        add("--device", help="VLE and BPTT in float: step torch tensors on this torch device "
                             "('cuda', 'cuda:1', 'cpu') instead of numpy arrays (default: numpy "
                             "on the CPU)"),
        add("--dtype", choices=["float32", "float64"],
            help="float rules: the trainer's precision (default float32)"),
        add("--error-weights", choices=["updated", "forward"],
            help="VLE float, mirrored feedback: the error path reads the weights after the "
                 "last optimiser step (updated), or those of the step's forward pass, one "
                 "update behind (forward: the GLE reference's timing) (default updated)"),
        add("--input-timing", choices=["delayed", "current"],
            help="VLE and BPTT in float: the first layer reads x[t-1] at step t through a "
                 "synapse, as the simulator and Lava do (delayed), or x[t] (current: the GLE "
                 "reference's timing) (default delayed)"),
        add("--bias-init", choices=["zero", "uniform"],
            help="initial biases: zero, or uniform in +-1/sqrt(fan in) like the weights "
                 "(torch's nn.Linear, the GLE reference) (default zero)"),
        add("--evaluation-state", choices=["copy", "shared"],
            help="VLE float with --carry-state: each epoch's evaluation runs on a copy of "
                 "the carried state (copy), or runs the error dendrites on with no target "
                 "error and training goes on from the state the test run left (shared: the "
                 "GLE reference's protocol) (default copy)"),
    ]


_RECIPE = "default: the task's recipe, else"
# training options whose default is the task's recipe (lava_vle.recipes), or
# TrainConfig's own where the recipe has none
RECIPE_OPTIONS = ("batch_size", "lr", "update_interval", "optimizer", "lr_schedule",
                  "carry_state", "recurrent_error", "activation", "settle_steps", "ema",
                  "dtype", "error_weights", "input_timing", "bias_init", "bptt_layers",
                  "evaluation_state")


def recipes_epilog() -> str:
    """The recipes, for ``--help``."""
    from lava_vle.recipes import RECIPES, describe

    lines = ["recipes (the defaults of options not given; see lava_vle/recipes.py):"]
    for task in RECIPES:
        for rule, precision in (("vle", "float"), ("bptt", "float"), ("vle", "fixed")):
            lines.append(f"  {task} --rule {rule}{' --precision fixed' * (precision == 'fixed')}: "
                         f"{describe(task, rule, precision)}")
    lines.append("  other tasks: the plain defaults")
    return "\n".join(lines)


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The :class:`~lava_vle.train.TrainConfig` of parsed training options (the one
    place that maps options to a configuration, for ``train`` and ``sweep``):
    the plain defaults, then the task's recipe (:mod:`lava_vle.recipes`), then
    the options given (:meth:`TrainConfig.from_recipe`)."""
    from lava_vle.train import TrainConfig

    dataset_kwargs = {}
    if args.data_dir:
        if "smnist" not in args.task:
            raise ValueError(f"--data-dir applies to the smnist tasks only, not {args.task!r}")
        dataset_kwargs["directory"] = args.data_dir
    options = {name: getattr(args, name) for name in RECIPE_OPTIONS
               if getattr(args, name) is not None}
    if options.get("ema") == 0:  # --ema 0: no average, also where the recipe has one
        options["ema"] = None
    return TrainConfig.from_recipe(
        args.task, args.rule, args.precision, epochs=args.epochs, seed=args.seed,
        width=args.width, sigma_delta=args.sigma_delta, error_sigma_delta=args.error_sigma_delta,
        feedback=args.feedback, learning_epoch=args.learning_epoch,
        limit_train=args.limit_train, limit_test=args.limit_test, dataset_kwargs=dataset_kwargs,
        device=args.device, hold=args.hold, teach_window=args.teach_window, clip=args.clip,
        validation=args.validation, capture=getattr(args, "capture", 0), **options)


def train(args: argparse.Namespace) -> dict:
    """``lava-vle train``: one training run with progress, checkpoints and results."""
    from lava_vle.datasets import load_dataset
    from lava_vle.recipes import describe
    from lava_vle.train import TrainingDiverged, fit

    config = train_config(args)
    dataset = load_dataset(args.task, **config.dataset_kwargs)
    out = Path(args.out or f"results/{args.task}-{args.rule}-{args.precision}")
    n_train = len(dataset.x_train[:config.limit_train])
    n_test = len(dataset.x_test[:config.limit_test])
    print(f"{args.task}: {n_train} train / {n_test} test sequences "
          f"of {dataset.x_train.shape[1]} steps; rule {args.rule}, {args.precision}; -> {out}")
    if config.hold > 1 or config.teach_window:
        print(f"time resolution: each input held {config.hold} steps (dt / {config.hold}), "
              + (f"loss on the last {config.teach_window} inputs" if config.teach_window
                 else "loss on the task's own window"))
    print(f"settings: batch {config.batch_size}, lr {config.lr} ({config.lr_schedule}), "
          + (f"BPTT truncated to windows of {config.update_interval} steps, "
             if config.rule == "bptt" and config.update_interval else "")
          + (f"{config.optimizer}, update every {config.update_interval} steps"
             + (", carried state" if config.carry_state else "")
             + (f", {config.settle_steps} settle steps" if config.settle_steps else "")
             + f", recurrent error {config.recurrent_error}; "
             if config.precision == "float" and config.rule == "vle" else "")
          + f"recipe: {describe(args.task, args.rule, args.precision)}")
    try:
        results = fit(dataset, config, out, resume=args.resume, progress=not args.quiet,
                      overwrite=args.overwrite)
    except TrainingDiverged as err:
        raise SystemExit(f"lava-vle train: {err}")  # exit status 1
    except KeyboardInterrupt:
        print(f"\ninterrupted: the checkpoint of the last completed epoch is kept in {out}; "
              "rerun with --resume to continue")
        raise SystemExit(130)
    name, unit = metric_words(results["metric"])
    synops = results["effective_synops_per_sample"]
    print(f"test {name}: {results['test_metric']:.2f}{unit} after "
          f"{plural(len(results['history']), 'epoch')} ({results['train_wall_s']:.1f} s training, "
          f"{results['network']['parameters']} parameters)")
    if synops is None:
        print("synaptic ops: not counted for the hybrid rule")
    else:
        how = ("effective, measured" if synops.get("rule", "vle") == "vle" else
               f"{synops['rule']}: dense forward and backward pass through time")
        print(f"synaptic ops per training sample ({how}): {synops['forward']:,.0f} forward, "
              f"{synops['error_path']:,.0f} error path, "
              f"{synops['weight_updates']:,.0f} weight updates")
    print(f"wrote {out}/results.json, learning_curves.png, outputs.png")
    return results


def report(folder: str, readme: Optional[str] = None) -> None:
    """``lava-vle report``: the results page of the comparisons (``compare.json``)
    in ``folder`` and its sub-folders (``readme``: also put their summary
    table into that file, between its results-table markers), else the table
    of the sweep, else of the runs in ``folder``; a results.json that cannot
    be read is named on stderr and skipped."""
    from lava_vle.experiments.compare import NOTES, load_summaries, replace_table, results_page
    from lava_vle.experiments.summaries import COMPARE_JSON
    from lava_vle.experiments.report import SWEEP_SUMMARY, collect, markdown, table

    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder (of run folders with results.json, "
                                "a sweep, or comparisons)")
    summaries = load_summaries(root)
    if summaries:
        notes = root / NOTES
        print(results_page(summaries, f"lava-vle report {folder}",
                           notes.read_text() if notes.is_file() else ""))
        if readme:
            replace_table(Path(readme), summaries)
        return
    if (root / SWEEP_SUMMARY).exists():
        print(table(root))
        return
    if (root / "trials").is_dir():
        print(f"lava-vle report: no {COMPARE_JSON} in {root} (an interrupted compare?): the "
              "trials it finished, one row each; the same compare command resumes it",
              file=sys.stderr)
    skipped: list[str] = []
    rows = collect(root, skipped)
    for problem in skipped:
        print(f"lava-vle report: skipped {problem}", file=sys.stderr)
    if not rows:
        raise FileNotFoundError(f"no readable {root}/*/results.json")
    print(markdown(rows))


def resources(args: argparse.Namespace) -> dict:
    """``lava-vle resources``: the Loihi 2 resource estimate of a benchmark network
    (:mod:`lava_vle.loihi2`), or with ``--markdown`` docs/loihi2.md for all of
    them. A network that breaks a capacity limit exits with status 1 naming it."""
    from lava_vle import loihi2

    if args.markdown:
        given = [f"--{name.replace('_', '-')}"
                 for name, default in RESOURCE_NETWORK_OPTIONS.items()
                 if getattr(args, name) != default]
        if given:
            raise ValueError(f"{', '.join(given)}: only with --task (--markdown tabulates the "
                             "benchmark networks as they are)")
        print(loihi2.markdown_report(), end="")
        return {}
    spec = loihi2.benchmark_network(args.task, args.width, args.feedback, args.recurrent_error,
                                    args.learning_epoch, args.activation, args.sigma_delta,
                                    args.error_sigma_delta)
    est = loihi2.estimate(spec, args.task + (f", width {args.width}" if args.width else ""))
    print(loihi2.format_estimate(est))
    if args.json:
        loihi2.write_json(est, args.json)
        print(f"wrote {args.json}")
    if not est.fits:
        raise SystemExit("lava-vle resources: does not fit on Loihi 2: " + "; ".join(est.failures))
    return est.to_dict()


# the options of `lava-vle resources` that change the network, and their defaults
# (--markdown takes none of them)
RESOURCE_NETWORK_OPTIONS = {"width": None, "feedback": "mirrored", "recurrent_error": None,
                            "learning_epoch": 1, "activation": None, "sigma_delta": 0.0,
                            "error_sigma_delta": 0.0, "json": None}


def sweep(args: argparse.Namespace, options: list[argparse.Action],
          configure: Callable[[list[str]], TrainConfig]) -> dict:
    """``lava-vle sweep``: every grid point x seed a training run on Ray; the
    results over seeds in ``--out`` (see :mod:`lava_vle.experiments.sweep`)."""
    from lava_vle.experiments.report import sweep_markdown
    from lava_vle.experiments.sweep import make_trials, run_sweep

    try:
        trials = make_trials(args.grid, args.seeds, args.seed, options, configure)
        summary = run_sweep(trials, args.out, args.address, args.cpus_per_trial,
                            args.gpus_per_trial)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished trials and the others' checkpoints are kept in "
              f"{args.out}; rerun the same command to continue")
        raise SystemExit(130)
    print(sweep_markdown(summary))
    print(f"wrote {args.out}/summary.json, summary.csv, summary.md, summary.png")
    if summary["unfinished"]:
        raise SystemExit(f"lava-vle sweep: {len(summary['unfinished'])} trials did not finish "
                         f"({', '.join(summary['unfinished'])}); see the lines above")
    return summary


def compare(args: argparse.Namespace, configure: Callable[[list[str]], TrainConfig]) -> dict:
    """``lava-vle compare``: VLE vs BPTT matched (see :mod:`lava_vle.experiments.compare`)."""
    from lava_vle.experiments.compare import Arm, arms, markdown, run_compare
    from lava_vle.datasets import load_dataset, with_time_resolution
    from lava_vle.recipes import recipe
    from lava_vle.train import VLE_UPDATE_INTERVAL

    given = {"--lr", "--rule", "--update-interval", "--seed"} & {
        word.split("=", 1)[0] for word in args.argv}
    if given:
        raise ValueError(f"compare sets {', '.join(sorted(given))} itself (use --lrs, --seeds, "
                         "--updates-per-sequence and --first-seed)")
    vle = configure(["--seed", str(args.first_seed)])  # --rule is refused: vle's settings
    dataset = load_dataset(args.task, **vle.dataset_kwargs)
    steps = with_time_resolution(dataset, vle.hold, vle.teach_window).steps
    natural = recipe(args.task, "vle").get("update_interval", VLE_UPDATE_INTERVAL)
    arm_list = arms(args.cadences, args.updates_per_sequence, natural, steps, vle.settle_steps)
    n_train = len(dataset.x_train)
    validation = args.validation or min(2000, n_train // 10)

    def base(arm: Arm, lr: float, seed: int) -> TrainConfig:
        argv = ["--rule", arm.rule, "--lr", repr(lr), "--seed", str(seed)]
        if arm.update_interval is not None:
            argv += ["--update-interval", str(arm.update_interval)]
        return configure(argv)

    lrs = args.lrs
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    summary = run_compare(base, arm_list, lrs, seeds, n_train, validation, Path(args.out),
                          "accuracy_percent" if dataset.task == "classification" else "nrmse",
                          args.address, args.cpus_per_trial,
                          settings={"command": "lava-vle compare " + " ".join(
                                        portable_path(word) for word in args.argv),
                                    "updates_per_sequence": args.updates_per_sequence,
                                    "steps_per_sequence": steps,
                                    "vle_settle_steps": vle.settle_steps,
                                    "vle_natural_interval_steps": natural})
    print(markdown(summary))
    written = [name for name in ("compare.json", "compare.md", "compare.png")
               if (Path(args.out) / name).is_file()]
    print(f"wrote {args.out}/{', '.join(written)}")
    return summary


def portable_path(word: str) -> str:
    """A command-line word as a results page records it: an absolute path below
    the current folder made relative to it, one elsewhere as ``$OUT/<name>``
    (a page names no folder of the machine that ran it)."""
    path = Path(word)
    if not path.is_absolute():
        return word
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return f"$OUT/{path.name}"


def _add_train(sub: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    p_train = sub.add_parser("train", help="train a benchmark task",
                             description="Train a benchmark task; a checkpoint every epoch.",
                             epilog=recipes_epilog())
    add_train_options(p_train)
    p_train.add_argument("--out", help="results folder (default results/TASK-RULE-PRECISION)")
    p_train.add_argument("--resume", action="store_true",
                         help="continue the checkpoint in --out (same settings, --epochs may "
                              "grow)")
    p_train.add_argument("--overwrite", action="store_true",
                         help="discard the checkpoint and results.json in --out and start again")
    p_train.add_argument("--quiet", action="store_true",
                         help="no progress bars (they only show on a terminal anyway)")
    p_train.add_argument("--capture", type=int, default=0, metavar="K",
                         help="on a torch --device: VLE runs K update windows per compiled "
                              "call (torch.compile: no host synchronisation inside), BPTT "
                              "compiles each window's passes; compiling takes a minute or two "
                              "(default 0: step by step)")


def _add_sweep(sub: argparse._SubParsersAction) -> list[argparse.Action]:
    """Add the ``sweep`` command; returns the training options ``--grid`` may vary."""
    p_sweep = sub.add_parser("sweep", help="train every grid point x seed on Ray; "
                                           "statistics over the seeds",
                             description="Train every grid point x seed on Ray; statistics "
                                         "over the seeds.", epilog=recipes_epilog())
    sweep_options = add_train_options(p_sweep)
    p_sweep.add_argument("--grid", nargs="+", action="extend", default=[], metavar="KEY=V1,V2",
                         help="train every combination of these values of training options "
                              "(e.g. lr=1e-3,3e-3 batch-size=16,32; flags: true,false)")
    p_sweep.add_argument("--seeds", type=at_least(1), default=3,
                         help="seeds per grid point: --seed, --seed + 1, ...")
    p_sweep.add_argument("--out", required=True,
                         help="sweep folder: NAME/seed-SEED per trial, summary.json/.csv/.md/.png")
    p_sweep.add_argument("--address", help="join the Ray cluster at this address (default: "
                                           "start Ray on this machine; 'local': train the "
                                           "trials one after the other here, without Ray; "
                                           "'local:N': N at a time in worker processes)")
    p_sweep.add_argument("--cpus-per-trial", type=float, default=1.0,
                         help="CPUs per trial: what Ray reserves, or the BLAS threads of each "
                              "local:N worker")
    p_sweep.add_argument("--gpus-per-trial", type=float, default=0.0,
                         help="GPU share Ray reserves per trial (0.25: four trials per GPU)")
    return sweep_options


def _add_compare(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command."""
    p_compare = sub.add_parser(
        "compare", help="VLE vs BPTT matched: same network, data, epochs, lr grid and seeds",
        description="VLE vs BPTT, matched: every arm (VLE every U steps vs truncated BPTT "
                    "every U steps; VLE at its recipe's cadence vs BPTT once per sequence) "
                    "trains every lr of --lrs with every seed; each arm's lr is picked on a "
                    "validation split (the last --validation training sequences; pattern: a "
                    "second pattern), and the test metric of the picked lr is reported over "
                    "the seeds with the optimiser steps per sequence. The other training "
                    "options apply to every arm.", epilog=recipes_epilog())
    for action in add_train_options(p_compare):
        if action.dest in ("rule", "lr", "bptt_layers"):  # every arm sets its own
            action.help = argparse.SUPPRESS
    p_compare.add_argument("--lrs", type=positive_floats, default="1e-3,3e-3,1e-2",
                           help="the learning-rate grid every arm trains")
    p_compare.add_argument("--seeds", type=at_least(1), default=3, help="seeds per lr and arm")
    p_compare.add_argument("--first-seed", type=at_least(0), default=0,
                           help="seeds are --first-seed, --first-seed + 1, ...")
    p_compare.add_argument("--updates-per-sequence", type=at_least(1), default=4,
                           help="equal cadence: optimiser steps per sequence of both rules "
                                "(U = ceil(T / this))")
    p_compare.add_argument("--cadences", nargs="+", choices=["equal", "natural"],
                           default=["equal", "natural"], help="which cadences to compare")
    p_compare.add_argument("--out", required=True,
                           help="folder: trials/ARM/lr=LR/seed-SEED and compare.json/.md/.png")
    p_compare.add_argument("--address", help="join the Ray cluster at this address ('local': "
                                             "train here, one trial after another, without Ray; "
                                             "'local:N': N at a time in worker processes)")
    p_compare.add_argument("--cpus-per-trial", type=float, default=1.0,
                           help="CPUs per trial: what Ray reserves, or the BLAS threads of each "
                                "local:N worker")


def _add_demo(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command."""
    p_demo = sub.add_parser("demo", help="train a small VLE network (float and fixed point)",
                            description=demo.__doc__)
    p_demo.add_argument("--epochs", type=at_least(1), default=20, help="training epochs")
    p_demo.add_argument("--steps", type=at_least(DEMO_MIN_STEPS), default=400,
                        help=f"time steps per epoch (at least {DEMO_MIN_STEPS}: the signal "
                             "takes 3 to cross the network)")


def _add_report(sub: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    p_report = sub.add_parser("report", help="markdown table of training results",
                              description="Markdown of the comparisons (compare.json, "
                                          "*/compare.json: the results page), of the sweep "
                                          "(summary.json) or of the runs (*/results.json) in "
                                          "a folder.")
    p_report.add_argument("--readme", help="comparisons: also write the summary table of those "
                                           "of the paper's tasks as defined (no variant) into "
                                           "this file, between its results-table markers")
    p_report.add_argument("folder", nargs="?", default="results",
                          help="folder holding one folder per run, or a sweep folder")


def _add_resources(sub: argparse._SubParsersAction) -> None:
    """Add the ``resources`` command."""
    p_resources = sub.add_parser(
        "resources", help="Loihi 2 resource estimate of a benchmark network",
        description="Loihi 2 resource estimate of the fixed-point network `lava-vle train "
                    "--task T --precision fixed` builds: compartments, synapses, memory, "
                    "learning traces and terms, microcode, neurocores and chips per population "
                    "and projection, each checked against a published limit (source and year). "
                    "Exit status 1 when the network breaks a capacity limit.")
    which = p_resources.add_mutually_exclusive_group(required=True)
    which.add_argument("--task", choices=sorted(DATASETS), metavar="TASK",
                       help=f"the benchmark network of this task: {', '.join(sorted(DATASETS))}")
    which.add_argument("--markdown", action="store_true",
                       help="print docs/loihi2.md: every benchmark network, the limits and "
                            "their sources")
    p_resources.add_argument("--width", type=int,
                             help="hidden width of the MNIST-1D network (default 53: 14,956 "
                                  "parameters; 89: 41,128; 991 and more break the axon limits)")
    p_resources.add_argument("--feedback", choices=["mirrored", "random"], default="mirrored",
                             help="error path: mirrored (a learned copy) or fixed random")
    p_resources.add_argument("--recurrent-error", choices=list(RECURRENT_ERROR_MODES),
                             help="recurrent error mode (default: the task's VLE recipe, "
                                  f"else {DEFAULT_RECURRENT_ERROR})")
    p_resources.add_argument("--learning-epoch", type=at_least(1), default=1,
                             help="steps per learning epoch N")
    p_resources.add_argument("--activation", choices=["hard_tanh", "relu", "linear"],
                             help="hidden activation (default: hard_tanh, as in fixed point)")
    p_resources.add_argument("--sigma-delta", type=float, default=0.0,
                             help="sigma-delta threshold of the hidden rates")
    p_resources.add_argument("--error-sigma-delta", type=float, default=0.0,
                             help="sigma-delta threshold of the hidden errors")
    p_resources.add_argument("--json", metavar="PATH",
                             help="also write the estimate, the limits and the sources as JSON")


def _add_campaign(sub: argparse._SubParsersAction) -> None:
    """Add the ``campaign`` command."""
    p_campaign = sub.add_parser(
        "campaign", help="the paper's table: every row a matched comparison, resumable",
        description="Run the rows of the paper's table as `lava-vle compare` runs on this "
                    "machine (no Ray), one after the other, into OUT/<row>; a summarised row is "
                    "skipped, an interrupted one resumes (lava_vle.experiments.campaign). --scale tiny: one "
                    "epoch on a few hundred sequences, to check a machine.")
    p_campaign.add_argument("--out", required=True, help="output folder")
    p_campaign.add_argument("--scale", choices=["full", "tiny"], default="full",
                            help="the table's sizes, or a smoke test")
    p_campaign.add_argument("--device", help="torch device of every trial ('cuda'; default: "
                                             "numpy)")
    p_campaign.add_argument("--rows", help="comma-separated rows (default: all, in order: "
                                           "smnist-row, delayed-xor, mnist1d, "
                                           "fashion-smnist-row, pattern, smnist)")
    p_campaign.add_argument("--workers", type=at_least(1), default=1,
                            help="trials trained at a time, each in a worker process (1: in "
                                 "this process)")
    p_campaign.add_argument("--budget-minutes", type=float,
                            help="start no new row after this many minutes (rerun to continue)")


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    """Add the ``evaluate`` command."""
    p_eval = sub.add_parser(
        "evaluate", help="a trained run's test metric in the simulator or in Lava",
        description="Load a run folder (lava_vle.load_run) and run its test sequences from "
                    "rest, learning off, in the simulator or in Lava's processes (one fused "
                    "VLENetwork, sequence after sequence); fixed_pt is bit for bit the "
                    "simulator's fixed point.")
    p_eval.add_argument("run", metavar="RUN", help="a run folder of lava-vle train")
    p_eval.add_argument("--backend", choices=["simulator", "lava"], default="simulator",
                        help="where the network runs")
    p_eval.add_argument("--precision", choices=["float", "fixed"],
                        help="arithmetic (default: the run's)")
    p_eval.add_argument("--limit", type=at_least(1),
                        help="the first N test sequences (default: all that training "
                             "evaluated)")


def evaluate(args: argparse.Namespace) -> dict:
    """``lava-vle evaluate``: print the test metric of a run in a backend."""
    from lava_vle.runs import evaluate_run, load_run

    run = load_run(args.run)
    result = evaluate_run(run, args.backend, args.precision, args.limit,
                          progress=sys.stderr.isatty())
    name, unit = metric_words(result["metric"])
    recorded = ("" if result["recorded"] is None else
                f"; training recorded {result['recorded']:.2f}{unit}")
    print(f"{args.run}: test {name} {result['value']:.2f}{unit} on {result['sequences']} "
          f"sequences ({result['backend']}, {result['precision']}){recorded}")
    for note in result["differs"]:
        print(f"  note: training {note}; here each sequence runs from rest, reading x[t-1] "
              "at step t")
    return result


def _add_export(sub: argparse._SubParsersAction) -> None:
    """Add the ``export`` command."""
    p_export = sub.add_parser(
        "export", help="a trained run as a NIR graph",
        description="Write a run's trained network (lava_vle.load_run) as a NIR graph "
                    "(lava_vle.nir_export: networks of linear units; others are refused, "
                    "naming the population and what NIR lacks). Read it with nir.read.")
    p_export.add_argument("run", metavar="RUN", help="a run folder of lava-vle train")
    p_export.add_argument("--format", choices=["nir"], default="nir", help="the file format")
    p_export.add_argument("--out", help="the file to write (default: RUN/network.nir); an "
                                        "existing file is not replaced")


def export(args: argparse.Namespace) -> Path:
    """``lava-vle export``: write the run's network as a NIR graph."""
    from lava_vle.nir_export import export_nir
    from lava_vle.runs import load_run

    out = Path(args.out) if args.out else Path(args.run) / "network.nir"
    if out.exists():
        raise FileExistsError(f"{out} exists: pass another --out (nothing was replaced)")
    run = load_run(args.run)
    export_nir(run.spec, run.params, out)  # refuses what NIR cannot express, writing nothing
    print(f"wrote {out} (NIR graph of {len(run.spec.layers)} populations; read it with "
          "nir.read)")
    return out


def _add_bench(sub: argparse._SubParsersAction) -> None:
    """Add the ``bench`` command."""
    p_bench = sub.add_parser("bench", help="run a benchmark script",
                             usage="lava-vle bench NAME [ARGS ...]",
                             description="Run a benchmark; lava-vle bench NAME --help shows its "
                                         "options.")
    p_bench.add_argument("name", metavar="NAME", choices=sorted(BENCHMARKS),
                         help=f"one of {', '.join(sorted(BENCHMARKS))}")
    p_bench.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS",
                         help="arguments of the benchmark")

def build_parser() -> tuple[CommandParser, list[argparse.Action]]:
    """The ``lava-vle`` parser and the training options ``sweep --grid`` may vary."""
    from lava_vle import __version__

    parser = CommandParser(prog="lava-vle", description=__doc__)
    parser.add_argument("--version", action="version", version=f"lava-vle {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_train(sub)
    sweep_options = _add_sweep(sub)
    _add_compare(sub)
    _add_demo(sub)
    _add_report(sub)
    _add_evaluate(sub)
    _add_export(sub)
    _add_resources(sub)
    _add_campaign(sub)
    _add_bench(sub)
    return parser, sweep_options


def main(argv: Optional[Sequence[str]] = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser, sweep_options = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            train(args)
        elif args.command == "sweep":
            sweep(args, sweep_options,
                  lambda extra: train_config(parser.parse_args([*argv, *extra])))
        elif args.command == "compare":
            args.argv = argv[1:]
            compare(args, lambda extra: train_config(parser.parse_args([*argv, *extra])))
        elif args.command == "report":
            report(args.folder, args.readme)
        elif args.command == "demo":
            demo(args.epochs, args.steps)
        elif args.command == "evaluate":
            evaluate(args)
        elif args.command == "export":
            export(args)
        elif args.command == "resources":
            resources(args)
        elif args.command == "campaign":
            from lava_vle.experiments.campaign import run_campaign

            run_campaign(Path(args.out), args.scale, args.device,
                         args.rows.split(",") if args.rows else None, args.budget_minutes,
                         args.workers, command=main)
        elif args.command == "bench":
            import importlib

            importlib.import_module(BENCHMARKS[args.name]).main(args.args)
    except (ValueError, OSError, ImportError) as err:  # settings, data, files, packages
        parser.exit(2, f"lava-vle {args.command}: error: {' '.join(str(err).split())}\n")


if __name__ == "__main__":
    main()
