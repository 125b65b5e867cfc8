"""Sub-process model of VLENetwork: the wiring of its children."""
from __future__ import annotations

from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle.processes._ports import note_non_integer_sources
from lava_vle.processes.vle_network.process import VLENetwork, adoptable


@implements(proc=VLENetwork, protocol=LoihiProtocol)
class SubVLENetworkModel(AbstractSubProcessModel):
    """Connects the children built by :class:`VLENetwork` to its ports.

    The children use whichever floating_pt / fixed_pt models the run
    configuration selects. Compile-time checks: an external modulator needs
    ``m_in`` connected; a ``Monitor`` attached to a child compiles with the
    network (Lava's compiler does not look inside a hierarchical process for
    it); any other process attached to a child is an error.
    """

    def __init__(self, proc: VLENetwork) -> None:
        net = proc.network
        if proc.proc_params["external_modulator"] and not proc.m_in.in_connections:
            raise ValueError(f"VLENetwork {proc.name!r} has external_modulator=True but its "
                             "m_in is not connected: connect a source of m(t) to m_in "
                             "(fixed_pt: 8-bit, 64 = 1.0) or pass external_modulator=False")
        for name, child in net.named().items():
            setattr(self, name, child)
        for k, other in enumerate(proc.attached()):
            if not adoptable(other):
                raise ValueError(
                    f"{type(other).__name__} {other.name!r} is connected to a child of "
                    f"VLENetwork {proc.name!r}: Lava compiles only processes reached through "
                    "the network's own ports; splice stock processes into a network built "
                    "with lava_vle.processes.network_builder.build_vle_network")
            setattr(self, f"probe{k}", other)
        for syn in net.input_synapses:
            proc.in_ports.s_in.connect(syn.in_ports.s_in)
            note_non_integer_sources(syn, "s_in", proc.s_in)
        proc.in_ports.target_in.connect(net.output_error.in_ports.target_in)
        note_non_integer_sources(net.output_error, "target_in", proc.target_in)
        if proc.proc_params["external_modulator"]:
            proc.in_ports.m_in.connect(net.modulator.in_ports.m_in)
        net.output.out_ports.s_out.connect(proc.out_ports.s_out)
