"""A whole VLE network as one hierarchical Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import LogConfig

from lava_vle.network import FloatParams, NetworkSpec
from lava_vle.processes._validation import ValidatedProcess, network
from lava_vle.processes.fused_vle_network.process import (FusedVarReader, declare_fused_vars,
                                                           fused_var_values)


class VLENetwork(FusedVarReader, ValidatedProcess):
    """A layered (optionally recurrent) VLE network that learns online.

    Its model (:class:`SubVLENetworkModel`) builds, from ``spec``, one
    :class:`VLENeuron` and :class:`ErrorDendrite` per population, one
    :class:`PlasticSynapse` per projection, an :class:`OutputError` and a
    :class:`Neuromodulator`, and connects them (the default: the structure
    that maps to a chip). After the first run the children are reachable
    as ``net.procs.neuron1``, ``net.procs.synapse0``,
    ``net.procs.output_error`` ... (see ``VLENetworkProcesses.named``).

    With ``fused=True`` it builds one :class:`FusedVLENetwork` instead, a
    leaf process that steps the whole network in one process model (the
    batched simulator's single step, bit for bit the composed fixed_pt
    network, many times faster in the Lava CPU runtime). The same run
    configurations select its floating_pt / fixed_pt model. Its flat Vars
    appear on this process (``net.weight_acc``, ``net.u``, ...; see
    :class:`FusedVLENetwork`), and ``net.read("weight_acc")`` splits one per
    projection or population.

    Ports
    -----
    s_in : InPort (n_in,)       input rates (fixed_pt: Q7.16 integers).
    target_in : InPort (n_out,) targets (fixed_pt: Q7.16 integers).
    m_in : InPort (1,)          neuromodulator, if ``external_modulator``.
    s_out : OutPort (n_out,)    output rates.

    Parameters
    ----------
    spec : the network (``lava_vle.network.NetworkSpec``); activations must
        be piecewise linear (fixed_pt has no tanh).
    params : initial weights (``FloatParams``); default ``init_params(spec, seed)``.
    learning_rate : eta of the local rule (0: inference only).
    seed : seed of the initial weights (if drawn) and of stochastic rounding.
    modulator : constant third factor m when not external.
    external_modulator : take m(t) from ``m_in``.
    fused : run the whole network in one process (see above).
    """

    def __init__(self, *, spec: NetworkSpec, params: ty.Optional[FloatParams] = None,
                 learning_rate: float = 0.0, seed: int = 0, modulator: float = 1.0,
                 external_modulator: bool = False, fused: bool = False,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        params = network(spec, params, learning_rate, seed, modulator)
        super().__init__(spec=spec, params=params, learning_rate=float(learning_rate),
                         seed=int(seed), modulator=float(modulator),
                         external_modulator=bool(external_modulator), fused=bool(fused),
                         name=name, log_config=log_config)
        self.s_in = InPort(shape=(spec.n_in,))
        self.target_in = InPort(shape=(spec.n_out,))
        self.m_in = InPort(shape=(1,))
        self.s_out = OutPort(shape=(spec.n_out,))
        if fused:
            declare_fused_vars(self, fused_var_values(spec, params, learning_rate))
