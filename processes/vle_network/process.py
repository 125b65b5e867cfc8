"""A whole VLE network as one hierarchical Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import LogConfig

from lava_vle.activations import get_activation
from lava_vle.network import FixedParams, FloatParams, NetworkSpec, check_params, init_params
from lava_vle.processes._validation import ValidatedProcess


class VLENetwork(ValidatedProcess):
    """A layered (optionally recurrent) VLE network that learns online.

    Its model (:class:`SubVLENetworkModel`) builds, from ``spec``, one
    :class:`VLENeuron` and :class:`ErrorDendrite` per population, one
    :class:`PlasticSynapse` per projection, an :class:`OutputError` and a
    :class:`Neuromodulator`, and connects them. After the first run the
    children are reachable as ``net.procs.neuron1``, ``net.procs.synapse0``,
    ``net.procs.output_error`` ... (see ``VLENetworkProcesses.named``).

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
    """

    def __init__(self, *, spec: NetworkSpec, params: ty.Optional[FloatParams] = None,
                 learning_rate: float = 0.0, seed: int = 0, modulator: float = 1.0,
                 external_modulator: bool = False, name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        if not isinstance(spec, NetworkSpec):
            raise TypeError(f"spec must be a lava_vle.network.NetworkSpec, got {type(spec)}")
        for layer in spec.layers:
            get_activation(layer.activation, fixed_point=True)
        params = init_params(spec, seed) if params is None else params
        check_params(spec, params)
        FixedParams.from_float(spec, params)  # raises unless representable in fixed_pt
        super().__init__(spec=spec, params=params, learning_rate=float(learning_rate),
                         seed=int(seed), modulator=float(modulator),
                         external_modulator=bool(external_modulator), name=name,
                         log_config=log_config)
        self.s_in = InPort(shape=(spec.n_in,))
        self.target_in = InPort(shape=(spec.n_out,))
        self.m_in = InPort(shape=(1,))
        self.s_out = OutPort(shape=(spec.n_out,))
