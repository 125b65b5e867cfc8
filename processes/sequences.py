"""Sequences through a ``VLENetwork`` in Lava, each from rest, as the simulator
runs a batch: :func:`run_sequences` (``lava-vle evaluate --backend lava``)."""
from __future__ import annotations

from typing import Union

import numpy as np
from lava.magma.core.run_conditions import RunSteps
from lava.magma.core.run_configs import Loihi2SimCfg
from lava.proc.io import sink
from lava.proc.io.source import RingBuffer

from lava_vle import fixed_point as fxp
from lava_vle.arithmetic import LAVA_TAGS, PRECISIONS
from lava_vle.progress import progress_bar
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.validation import check_choice
from lava_vle.processes.fused_vle_network.process import STATE
from lava_vle.processes.runtime import stopping
from lava_vle.processes.vle_network.process import VLENetwork


def run_sequences(spec: NetworkSpec, params: Union[FloatParams, FixedParams], precision: str,
                  x: np.ndarray, progress: bool = False) -> np.ndarray:
    """Output rates ``(T, B, n_out)`` of the sequences ``x`` (``(T, B, n_in)``,
    real) run one after another through one fused ``VLENetwork`` with
    learning off, its state Vars set to 0 before each: what
    ``Simulator(spec, params, precision).run(x).outputs`` gives in one batch
    (fixed_pt: bit for bit). ``params``: real (fixed point quantizes them as
    the simulator does) or fixed point's integers (kept exactly)."""
    check_choice("precision", precision, PRECISIONS)
    x = np.asarray(x, dtype=float)
    if x.ndim != 3 or x.shape[2] != spec.n_in:
        raise ValueError(f"x has shape {x.shape}; expected (T, B, n_in={spec.n_in})")
    steps, batch, _ = x.shape
    fixed = precision == "fixed"
    stream = x.transpose(2, 1, 0).reshape(spec.n_in, batch * steps)  # sequence after sequence
    net = VLENetwork(spec=spec, params=params, fused=True)
    RingBuffer(data=fxp.to_state(stream).astype(np.int32) if fixed else stream
               ).s_out.connect(net.s_in)
    RingBuffer(data=np.zeros((spec.n_out, 1), np.int32 if fixed else float)
               ).s_out.connect(net.target_in)
    out = sink.RingBuffer(shape=(spec.n_out,), buffer=batch * steps)
    net.s_out.connect(out.a_in)
    config = Loihi2SimCfg(select_tag=LAVA_TAGS[precision])
    rest = {name: np.zeros(getattr(net, name).shape) for name in STATE}
    with stopping(net):
        for b in progress_bar(range(batch), desc="Lava", unit="sequence",
                              disable=not progress):
            for name, zeros in rest.items() if b else ():  # the first starts from rest
                getattr(net, name).set(zeros)
            net.run(condition=RunSteps(steps), run_cfg=config)
        sent = out.data.get()
    outputs = sent.reshape(spec.n_out, batch, steps).transpose(2, 1, 0)
    return fxp.from_state(outputs) if fixed else outputs
