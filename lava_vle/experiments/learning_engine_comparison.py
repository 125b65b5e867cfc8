"""VLE on Lava's learning engine vs our learning-epoch rule: the runs and their measures.

The ``lava-vle demo`` task runs in Lava with every forward synapse a stock
``LearningDense`` + ``Loihi3FLearningRule`` (:func:`run_engine`, through
:func:`lava_vle.processes.learning_engine_network.build_engine_network`) and
in our simulator with ``NetworkSpec(learning_epoch=N)`` (:func:`run_simulator`),
on one :class:`Schedule` (a frozen epoch, then learning epochs of one
sequence); :func:`compare` gives the MSE per epoch and the weight
distances, :func:`structure_counts` and :func:`rule_strings` what the
engine needs. ``lava-vle bench learning-engine`` runs them all.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import LAVA_TAGS, FixedArithmetic, FloatArithmetic
from lava_vle.learning_engine import (PRECISIONS, PRODUCTS_PER_SYNAPSE, SYNAPSE_SETS_PER_PATH,
                                      SignalCoding, dw_string, loihi3f_rule, rule_scale)
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.plasticity import LocalRule
from lava_vle.simulator import Simulator
from lava_vle.synthetic_tasks import TeacherStudent

ETA = 0.01
VALUE_RANGE = 1.0  # |rates| and |errors| the fixed_pt payloads and traces are fitted to
TINY = 1e-12  # denominator floor of a relative distance (zero weights)


@dataclass
class Schedule:
    """The run: a frozen epoch, then ``epochs`` learning epochs of one sequence."""

    x: np.ndarray  # (T, n_in)
    target: np.ndarray  # (T, n_out)
    modulator: np.ndarray  # (T,), 0 in the frozen epoch
    steps: int  # per epoch

    @classmethod
    def of(cls, ts: TeacherStudent, epochs: int) -> "Schedule":
        steps = ts.x.shape[0]
        modulator = np.ones(steps * (epochs + 1))
        modulator[:steps] = 0.0
        return cls(np.tile(ts.x[:, 0], (epochs + 1, 1)), np.tile(ts.target[:, 0], (epochs + 1, 1)),
                   modulator, steps)

    @property
    def epochs(self) -> int:
        return self.x.shape[0] // self.steps - 1

    def part(self, epoch: int) -> slice:
        return slice(epoch * self.steps, (epoch + 1) * self.steps)

    def epoch_mse(self, outputs: np.ndarray) -> list[float]:
        """Output MSE of every epoch, the frozen one first."""
        sq = (np.asarray(outputs).reshape(self.target.shape) - self.target) ** 2
        return [float(v) for v in sq.reshape(-1, self.steps * self.target.shape[1]).mean(1)]


# --- the two implementations ----------------------------------------------------------
def run_engine(spec: NetworkSpec, ts: TeacherStudent, schedule: Schedule, precision: str,
               eta: float = ETA, seed: int = 0, error_path: str = "fixed",
               post_trace: str = "sampled") -> dict:
    """The network on the learning engine in Lava; outputs and weights after every epoch."""
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source

    from lava_vle.processes import stopping
    from lava_vle.processes.learning_engine_network import build_engine_network

    fixed = precision == "fixed"
    net = build_engine_network(spec, ts.student, learning_rate=eta, precision=precision,
                               seed=seed, external_modulator=True, error_path=error_path,
                               post_trace=post_trace, rate_range=VALUE_RANGE,
                               error_range=VALUE_RANGE)
    to_port = (lambda a: fxp.to_state(a).astype(np.int32)) if fixed else (lambda a: a)
    modulator = (fxp.modulator_to_fixed(schedule.modulator).astype(np.int32) if fixed
                 else schedule.modulator)
    Source(data=to_port(schedule.x).T).s_out.connect(net.input.value_in)
    Source(data=to_port(schedule.target).T).s_out.connect(net.output_error.target_in)
    Source(data=modulator[None, :]).s_out.connect(net.modulator.m_in)
    sink = Sink(shape=(spec.n_out,), buffer=schedule.x.shape[0])
    net.output.s_out.connect(sink.a_in)
    cfg = Loihi2SimCfg(select_tag=LAVA_TAGS["fixed" if fixed else "float"])
    weights = []
    start = time.perf_counter()
    with stopping(net.output):
        for _ in range(schedule.epochs + 1):
            net.output.run(condition=RunSteps(schedule.steps), run_cfg=cfg)
            weights.append(net.weights())
        outputs = sink.data.get().T
    outputs = fxp.from_state(outputs) if fixed else outputs
    return {"outputs": outputs, "weights": weights, "wall_s": time.perf_counter() - start}


def run_simulator(spec: NetworkSpec, ts: TeacherStudent, schedule: Schedule, precision: str,
                  eta: float = ETA, seed: int = 0, traces: str = "filtered",
                  record: Sequence[str] = ()) -> dict:
    """The same schedule in our simulator (``traces``: the local rule's learning
    traces, filtered or sampled as the engine's); weights after every epoch,
    recorded variables."""
    sim = Simulator(spec, ts.student, precision=precision, seed=seed)
    state, outputs, weights, records = None, [], [], []
    for epoch in range(schedule.epochs + 1):
        part = schedule.part(epoch)
        result = sim.run(schedule.x[part, None], schedule.target[part, None], plasticity="apply",
                         eta=eta, modulator=schedule.modulator[part], state=state,
                         first_step=part.start + 1, record=record, traces=traces)
        state = result.state
        outputs.append(result.outputs[:, 0])
        records.append(result.trace)
        weights.append(sim.params.to_float() if precision == "fixed" else sim.params.copy())
    recorded = {name: [np.concatenate([t[name][i][:, 0] for t in records])
                       for i in range(len(records[0][name]))] for name in record}
    return {"outputs": np.concatenate(outputs), "weights": weights, "trace": recorded}


# --- distances --------------------------------------------------------------------------
def relative_distance(engine: np.ndarray, ours: np.ndarray, initial: np.ndarray) -> dict:
    """``||W_engine - W_ours|| / ||W_ours||`` and ``/ ||W_ours - W_0||`` (Frobenius)."""
    gap = float(np.linalg.norm(engine - ours))
    return {"of_weights": gap / max(float(np.linalg.norm(ours)), TINY),
            "of_learned_change": gap / max(float(np.linalg.norm(ours - initial)), TINY)}


def weight_distances(engine: list[dict], ours: FloatParams, initial: FloatParams) -> list[dict]:
    """Per projection, each engine synapse set (as the weight a positive /
    negative input meets; error paths transposed back) against our ``W``;
    the positive set with its bias column against ``[W | b]``."""
    rows = []
    for k, entry in enumerate(engine):
        with_bias = [np.column_stack([p.weights[k], p.biases[k]]) for p in (ours, initial)]
        row = {"positive": relative_distance(np.column_stack([entry["positive"], entry["bias"]]),
                                             *with_bias)}
        row.update({key: relative_distance(entry[key], ours.weights[k], initial.weights[k])
                    for key in ("negative", "backward", "backward_positive", "backward_negative")
                    if key in entry})
        rows.append(row)
    return rows


def forward_distance(rows: list[dict], kind: str = "of_weights") -> float:
    """Mean over projections of the forward synapse sets' distance."""
    return float(np.mean([row[key][kind] for row in rows for key in ("positive", "negative")]))


def half_drift(engine: list[dict], path: str = "") -> list[float]:
    """Per projection: ``||W+ - W-|| / ||W+||``, how far the weights that positive
    and negative inputs meet have drifted apart (``path = "backward_"``: the
    learned error path's halves for positive and negative errors)."""
    return [float(np.linalg.norm(e[f"{path}positive"] - e[f"{path}negative"])
                  / max(float(np.linalg.norm(e[f"{path}positive"])), TINY))
            for e in engine if f"{path}positive" in e]


# --- limits in numbers ------------------------------------------------------------------
def product_shift_probe(learning_epoch: int = 8, payload: int = 100, trace: int = 20) -> dict:
    """One engine synapse (1 x 1, weight 0), the same dw string ``x0 x1 y1 - x0 x1 y2``
    and the same integer payload and trace in both precisions: its weight after
    one epoch."""
    from lava.magma.core.learning.constants import GradedSpikeCfg
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.dense.process import LearningDense
    from lava.proc.io.source import RingBuffer as Source

    from lava_vle.processes import stopping

    dw = dw_string(1, 0)
    result = {"dw": dw, "payload": payload, "x1": payload / 2, "y1": trace}
    for precision in PRECISIONS:
        synapse = LearningDense(weights=np.zeros((1, 1)),
                                learning_rule=loihi3f_rule(dw, learning_epoch),
                                graded_spike_cfg=GradedSpikeCfg.OVERWRITE,
                                num_message_bits=fxp.ENGINE_PAYLOAD_BITS)
        Source(data=np.full((1, learning_epoch), payload)).s_out.connect(synapse.s_in)
        Source(data=np.full((1, learning_epoch), trace)).s_out.connect(synapse.s_in_y1)
        tag = LAVA_TAGS[precision]
        with stopping(synapse):
            synapse.run(condition=RunSteps(learning_epoch), run_cfg=Loihi2SimCfg(select_tag=tag))
            result[f"{precision}_dw"] = float(synapse.weights.get()[0, 0])
    result["ratio"] = result["float_dw"] / result["fixed_dw"]
    return result


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(a))))


def _quantisation(values: np.ndarray, codes: np.ndarray, frac_bits: int, top: int) -> dict:
    """Relative RMS error of ``codes * 2**-frac_bits`` against ``values``, the
    fractions of codes that are 0 and that saturate at ``top``."""
    return {"relative_rms_error": _rms(np.ldexp(codes, -frac_bits) - values) / _rms(values),
            "zero_fraction": float(np.mean(codes == 0)),
            "saturated_fraction": float(np.mean(codes == top))}


def signal_statistics(spec: NetworkSpec, recorded: dict, schedule: Schedule, eta: float,
                      weight_exps: Sequence[int]) -> dict:
    """What the engine sees of the graded signals of our float run (learning epochs only).

    ``epoch_sampling_relative_rms``: per population feeding a projection, RMS
    of the engine's ``x1`` (the rate at the epoch's last step) minus our pre
    trace (``r(t-1)`` relaxed by ``1/N``), relative to the RMS of our trace.
    ``rate_payload``: the fixed_pt encoder's 8-bit payloads of ``|r|``;
    ``error_trace``: its 7-bit traces of ``eta |e|`` at epoch ends (zero
    codes vanish from the rule; ``lsb_in_error_units``). ``weight_update``:
    per projection, the smallest weight step of the engine (9-bit integer
    weights) and of our 16-bit accumulator, and the fraction of one epoch's
    updates ``N |y| |x|`` (the engine's sampled factors) below each: those
    land only through stochastic rounding.
    """
    n = spec.learning_epoch
    coding = SignalCoding.fitting("fixed", VALUE_RANGE, eta)
    eta_fixed = FixedArithmetic.learning_rate(eta)
    unit_modulator = FixedArithmetic.modulator(np.ones(1))
    ends = np.arange(n - 1, schedule.x.shape[0], n)
    ends = ends[ends >= schedule.steps]
    rule = LocalRule(1.0, FloatArithmetic, n)
    sampling, payload = [], []
    for rates in recorded["rates"][:-1]:
        trace, filtered = np.zeros(rates.shape[1]), []
        for t in range(rates.shape[0]):
            trace = rule.filtered(trace, rates[t - 1] if t else np.zeros_like(trace))
            filtered.append(trace)
        ours = np.asarray(filtered)[ends]
        sampling.append(_rms(rates[ends] - ours) / _rms(ours))
        sent = np.abs(rates[ends])
        payload.append(_quantisation(sent, coding.payload(fxp.to_state(sent)),
                                     coding.payload_frac_bits, (1 << fxp.ENGINE_PAYLOAD_BITS) - 1))
    error_trace = []
    for errors in recorded["e_breve"]:
        magnitude = np.abs(errors[ends])
        units = FixedArithmetic.learning_trace(fxp.to_state(magnitude), unit_modulator, eta_fixed)
        error_trace.append(_quantisation(eta * magnitude, coding.trace(units, eta_fixed),
                                         coding.trace_frac_bits, (1 << fxp.ENGINE_TRACE_BITS) - 1))
        error_trace[-1]["lsb_in_error_units"] = 2.0 ** -coding.trace_frac_bits / eta
    weight_update = []
    for proj, exp in zip(spec.projections, weight_exps):
        pre = np.abs(recorded["rates"][proj.pre][ends])
        post = eta * np.abs(recorded["e_breve"][proj.post - 1][ends])
        update = n * post[:, :, None] * pre[:, None, :]
        steps = {"engine": 2.0 ** (exp - 1), "ours": 2.0 ** (exp - fxp.ACC_FRAC_BITS)}
        weight_update.append({"weight_step": steps, "below_step_fraction": {
            key: float(np.mean(update < step)) for key, step in steps.items()}})
    return {"epoch_sampling_relative_rms": sampling, "rate_payload": payload,
            "error_trace": error_trace, "weight_update": weight_update}


def structure_counts(spec: NetworkSpec) -> dict:
    """Synapses, traces and product terms: our plastic synapses vs the engine network."""
    sizes = spec.sizes
    ours = engine = engine_learned = 0
    for proj in spec.projections:
        pre, post = sizes[proj.pre], sizes[proj.post]
        ours += post * (pre + 1)  # W and b; the mirrored error path reads the same synapses
        forward = post * (pre + 1) + post * pre  # the v+ set carries the bias
        back = pre * post if spec.carries_error(proj) else 0
        engine += forward + back
        engine_learned += forward + SYNAPSE_SETS_PER_PATH * back
    engine_terms = PRODUCTS_PER_SYNAPSE * SYNAPSE_SETS_PER_PATH
    return {"product_terms_per_pre_post_pair": {"ours": 1, "engine": engine_terms},
            "products_per_synapse": PRODUCTS_PER_SYNAPSE,
            "synapse_sets_per_path": {"ours": 1, "engine": SYNAPSE_SETS_PER_PATH},
            "synapses": {"ours": ours, "engine_fixed_error_path": engine,
                         "engine_learned_error_path": engine_learned},
            "trace_bits": {"ours": fxp.STATE_BITS, "engine": fxp.ENGINE_TRACE_BITS},
            "traces_per_synapse_set": "x1 per pre neuron (and x0, tx), y1 and y2 per post neuron"}


def rule_strings(spec: NetworkSpec, params: FloatParams, eta: float) -> dict:
    """The dw string of every forward synapse set, per precision."""
    exps = FixedParams.from_float(spec, params).weight_exp
    strings = {}
    for precision in PRECISIONS:
        coding = SignalCoding.fitting(precision, VALUE_RANGE, eta)
        strings[precision] = [dw_string(*rule_scale(spec.learning_epoch, coding, coding, e - 1))
                              for e in exps]
        strings[f"{precision}_coding"] = vars(coding)
    return strings


# --- the benchmark ------------------------------------------------------------------------
def compare(spec: NetworkSpec, ts: TeacherStudent, schedule: Schedule, precision: str,
            eta: float = ETA) -> dict:
    """Engine vs our simulator in one precision: MSE per epoch and weight distances."""
    engine = run_engine(spec, ts, schedule, precision, eta)
    ours = run_simulator(spec, ts, schedule, precision, eta)
    initial = ours["weights"][0]
    distances = [weight_distances(e, o, initial)
                 for e, o in zip(engine["weights"], ours["weights"])]
    return {"engine_mse": schedule.epoch_mse(engine["outputs"]),
            "simulator_mse": schedule.epoch_mse(ours["outputs"]),
            "weight_distance": distances,
            "forward_weight_distance": [forward_distance(d) for d in distances],
            "forward_half_drift": [half_drift(w) for w in engine["weights"]],
            "engine_wall_s": engine["wall_s"],
            "engine_steps_per_s": schedule.x.shape[0] / engine["wall_s"]}
