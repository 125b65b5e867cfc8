"""A whole VLE network as one hierarchical Lava process."""
from __future__ import annotations

import typing as ty

from lava.magma.core.process.process import AbstractProcess, LogConfig
from lava.proc.monitor.process import Monitor

from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.processes._ports import label_port
from lava_vle.processes._validation import CheckedInPort, CheckedOutPort, ValidatedProcess, network
from lava_vle.processes.fused_vle_network.process import (FusedVarReader, declare_fused_vars,
                                                           fused_var_values)
from lava_vle.processes.network_builder import VLENetworkProcesses, build_vle_network
from lava_vle.validation import check_bool


class VLENetwork(FusedVarReader, ValidatedProcess):
    """A layered (optionally recurrent) VLE network that learns online.

    The constructor builds its children with :func:`build_vle_network`: one
    :class:`VLENeuron` and :class:`ErrorDendrite` per population, one
    :class:`PlasticSynapse` per projection, an :class:`OutputError` and a
    :class:`Neuromodulator`, connected (the default: the structure that maps
    to a chip); its model (:class:`SubVLENetworkModel`) connects them to the
    network's ports. The children are ``net.procs.neuron1``,
    ``net.procs.synapse0``, ``net.procs.output_error`` ... (see
    ``VLENetworkProcesses.named``), also before the first run: ``get``/``set``
    their Vars between runs, and probe them with a ``Monitor`` attached
    before the first run (Lava compiles a graph once; a probe attached later
    raises at the next ``run``).

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
    m_in : InPort (1,)          neuromodulator, if ``external_modulator``
        (must then be connected; fixed_pt: 8-bit, 64 = 1.0).
    s_out : OutPort (n_out,)    output rates.

    Data entering ``s_in``, ``target_in`` and ``m_in`` is checked every step
    (``lava_vle.processes._ports``): fixed_pt takes integers in the port's
    bit width, floating_pt finite numbers.

    Parameters
    ----------
    spec : the network (``lava_vle.spec.NetworkSpec``); activations must
        be piecewise linear (fixed_pt has no tanh).
    params : initial weights: ``FloatParams`` (quantised for fixed_pt with headroom 2)
        or ``FixedParams`` (fixed point's integers, kept exactly: a fixed-point
        run's ``load_run(folder).fixed_params``); default ``init_params(spec, seed)``.
    learning_rate : eta of the local rule (0: inference only).
    seed : seed of the initial weights (if drawn) and of stochastic rounding.
    modulator : constant third factor m when not external.
    external_modulator : take m(t) from ``m_in``.
    fused : run the whole network in one process (see above).
    """

    def __init__(self, *, spec: NetworkSpec,
                 params: ty.Union[FloatParams, FixedParams, None] = None,
                 learning_rate: float = 0.0, seed: int = 0, modulator: float = 1.0,
                 external_modulator: bool = False, fused: bool = False,
                 name: ty.Optional[str] = None,
                 log_config: ty.Optional[LogConfig] = None) -> None:
        check_bool("fused", fused)
        params = network(spec, params, learning_rate, seed, modulator, external_modulator)
        children = None if fused else build_vle_network(spec, params, learning_rate, seed,
                                                        modulator, external_modulator)
        super().__init__(spec=spec, params=params, learning_rate=float(learning_rate),
                         seed=int(seed), modulator=float(modulator),
                         external_modulator=bool(external_modulator), fused=bool(fused),
                         name=name, log_config=log_config)
        self.s_in = CheckedInPort(shape=(spec.n_in,))
        self.target_in = CheckedInPort(shape=(spec.n_out,))
        self.m_in = CheckedInPort(shape=(1,))
        self.s_out = CheckedOutPort(shape=(spec.n_out,))
        self.network: ty.Optional[VLENetworkProcesses] = children
        if fused:
            declare_fused_vars(self, fused_var_values(spec, params, learning_rate))
        else:
            label_inputs(self, children.input_synapses, children.output_error,
                         children.modulator)
            self.register_sub_procs(children.named())

    def attached(self) -> ty.List[AbstractProcess]:
        """Processes outside the network connected directly to its children
        (a ``Monitor`` probing them, or a process spliced in)."""
        if self.network is None:
            return []
        members = set(self.network.named().values()) | {self}
        found = []
        for child in members - {self}:
            ports = [p for vp in child.var_ports for p in vp.get_src_ports()]
            for port in list(child.in_ports) + list(child.out_ports):
                ports += port.in_connections + port.out_connections
            found += [p.process for p in ports
                      if p.process not in members and p.process not in found]
        return found

    def run(self, *args: ty.Any, **kwargs: ty.Any) -> None:
        """``AbstractProcess.run``; raises if a process was attached to a
        child after the network was compiled (Lava would ignore it)."""
        if self.runtime is not None:
            late = [p for p in self.attached() if not p.is_compiled]
            if late:
                raise ValueError(
                    f"{', '.join(f'{type(p).__name__} {p.name!r}' for p in late)} was attached "
                    f"to a child of VLENetwork {self.name!r} after its first run: Lava compiles "
                    "a graph once; attach probes before the first run, or build the processes "
                    "with lava_vle.processes.network_builder.build_vle_network")
        super().run(*args, **kwargs)


def label_inputs(net: VLENetwork, inputs: ty.List[AbstractProcess], target: AbstractProcess,
                 modulator: AbstractProcess) -> None:
    """Name the children's input ports as the network's in contract errors."""
    for child in inputs:
        label_port(child, "s_in", "VLENetwork.s_in")
    label_port(target, "target_in", "VLENetwork.target_in")
    label_port(modulator, "m_in", "VLENetwork.m_in")


def adoptable(proc: AbstractProcess) -> bool:
    """Whether a process attached to a child can be compiled with the network
    (a ``Monitor``: it probes the child's Vars or ports and nothing else)."""
    return isinstance(proc, Monitor)
