"""A frozen VLE network as a NIR graph (the Neuromorphic Intermediate
Representation, the ``nir`` package), which several simulators and chips read.

NIR describes continuous-time nodes. A VLE population with the linear
activation is a leaky integrator read prospectively (``docs/model.md``)::

    tau_m du/dt = I - u,   I = sum_pre W r_pre + b,   r = u + tau_r du/dt
                                                        = (1 - k) u + k I,  k = tau_r / tau_m

which NIR expresses per population ``l`` as ``affine{l}`` (``nir.Affine``:
``I``; a recurrent projection adds ``recurrent{l}``, ``nir.Linear``, into
the same nodes), ``li{l}`` (``nir.LI``: ``tau = tau_m``, ``r = 1``,
``v_leak = 0``), and the rate as the sum of ``leak{l}`` (``nir.Scale`` of
``1 - k`` on ``u``; none where ``1 - k = 1``) and ``lead{l}`` (``nir.Scale``
of ``k`` on ``I``); where ``k = 1`` the rate is ``I`` itself. A node sums
the edges into it, as NIR defines. Time constants are in
the network's time unit (``metadata["dt"]`` is the simulator's Euler step).

NIR has no node for a nonlinear rate (tanh, hard_tanh, relu: its nodes are
linear maps, integrators, thresholds and delays), nor for the spike and
sigma-delta encoders; such networks are refused, naming the population.
"""
from __future__ import annotations

from pathlib import Path
from typing import Union

import numpy as np

from lava_vle.spec import FloatParams, NetworkSpec, Projection, check_params


def nir_unsupported(spec: NetworkSpec) -> list[str]:
    """Why NIR cannot express ``spec``: one line per population that has a
    unit NIR lacks (empty: it can)."""
    problems = []
    for number, layer in enumerate(spec.layers, 1):
        if layer.activation != "linear":
            problems.append(f"population {number} has activation {layer.activation!r}: NIR "
                            "has no node for a nonlinear rate (its nodes are linear maps, "
                            "integrators, thresholds and delays)")
        if layer.spiking or layer.sigma_delta:
            problems.append(f"population {number} sends spikes or sigma-delta messages: NIR "
                            "has no node for VLE's encoders")
        tau_m, tau_r = layer.time_constants(spec.dt)
        if layer.recurrent and np.allclose(tau_r, tau_m):
            problems.append(f"population {number} is recurrent with tau_r = tau_m: its rate "
                            "is its own drive (r = W_rec r + ...), an algebraic loop in "
                            "continuous time")
    return problems


def to_nir(spec: NetworkSpec, params: FloatParams):
    """The frozen network as a ``nir.NIRGraph`` (see the module docstring);
    raises ValueError naming each population NIR cannot express."""
    import nir

    problems = nir_unsupported(spec)
    if problems:
        raise ValueError("cannot export to NIR: " + "; ".join(problems)
                         + "; export a network whose populations are activation='linear'")
    check_params(spec, params)
    nodes = {"input": nir.Input(input_type={"input": np.array([spec.n_in])})}
    edges: list[tuple[str, str]] = []
    rate = ["input"]  # the nodes whose outputs sum to the previous population's rate
    weights = dict(zip(spec.projections, params.weights))
    for number, layer in enumerate(spec.layers, 1):
        tau_m, tau_r = layer.time_constants(spec.dt)
        k = tau_r / tau_m
        drive = [f"affine{number}"]  # the nodes whose outputs sum to I
        nodes[drive[0]] = nir.Affine(weight=weights[Projection(number - 1, number)].astype(float),
                                     bias=params.biases[number - 1].astype(float))
        edges += [(node, drive[0]) for node in rate]
        if np.allclose(k, 1.0):  # r = I: no integrator is read
            rate = drive
            continue
        nodes[f"li{number}"] = nir.LI(tau=tau_m, r=np.ones(layer.size),
                                      v_leak=np.zeros(layer.size))
        nodes[f"lead{number}"] = nir.Scale(scale=k)
        rate = [_scaled(nodes, edges, f"li{number}", f"leak{number}", 1.0 - k),
                f"lead{number}"]
        if layer.recurrent:
            drive.append(f"recurrent{number}")
            nodes[drive[1]] = nir.Linear(weight=weights[Projection(number, number)].astype(float))
            edges += [(node, drive[1]) for node in rate]
        edges += [(node, taker) for node in drive for taker in (f"li{number}", f"lead{number}")]
    nodes["output"] = nir.Output(output_type={"output": np.array([spec.n_out])})
    edges += [(node, "output") for node in rate]
    return nir.NIRGraph(nodes=nodes, edges=edges,
                        metadata={"source": "lava-vle", "dt": spec.dt,
                                  "description": "a frozen VLE network (linear units)"})


def _scaled(nodes: dict, edges: list, source: str, name: str, scale: np.ndarray) -> str:
    """The node that carries ``scale * source``: ``source`` itself where the
    scale is 1, else a new ``nir.Scale`` named ``name``."""
    import nir

    if np.allclose(scale, 1.0):
        return source
    nodes[name] = nir.Scale(scale=np.asarray(scale, dtype=float))
    edges.append((source, name))
    return name


def export_nir(spec: NetworkSpec, params: FloatParams, path: Union[str, Path]) -> Path:
    """Write :func:`to_nir` of the network to ``path`` (NIR's HDF5 file; read
    it back with ``nir.read``)."""
    import nir

    path = Path(path)
    nir.write(path, to_nir(spec, params))
    return path
