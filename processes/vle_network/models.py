"""Sub-process model of VLENetwork: the wiring of its children."""
from __future__ import annotations

from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle.processes._ports import note_non_integer_sources
from lava_vle.processes.fused_vle_network.process import FusedVLENetwork
from lava_vle.processes.vle_network.process import VLENetwork, adoptable, label_inputs


@implements(proc=VLENetwork, protocol=LoihiProtocol)
class SubVLENetworkModel(AbstractSubProcessModel):
    """Connects the children built by :class:`VLENetwork` to its ports; with
    ``fused=True`` builds one :class:`FusedVLENetwork` whose Vars it aliases.

    The children use whichever floating_pt / fixed_pt models the run
    configuration selects. VLENetwork has this one model on purpose: with a
    second, leaf model, Lava's ``Loihi2SimCfg`` would pick the leaf one
    unless ``select_sub_proc_model=True`` (run_configs.py), and
    ``select_tag`` applies to every process of the graph; the constructor
    option ``fused`` keeps the composed network the default under every
    run configuration.

    Compile-time checks: an external modulator needs ``m_in`` connected; a
    ``Monitor`` attached to a child compiles with the network (Lava's
    compiler does not look inside a hierarchical process for it); any other
    process attached to a child is an error.
    """

    def __init__(self, proc: VLENetwork) -> None:
        p = proc.proc_params
        if p["external_modulator"] and not proc.m_in.in_connections:
            raise ValueError(f"VLENetwork {proc.name!r} has external_modulator=True but its "
                             "m_in is not connected: connect a source of m(t) to m_in "
                             "(fixed_pt: 8-bit, 64 = 1.0) or pass external_modulator=False")
        if p["fused"]:
            self.fused = FusedVLENetwork(spec=p["spec"], params=p["params"],
                                         learning_rate=p["learning_rate"], seed=p["seed"],
                                         modulator=p["modulator"],
                                         external_modulator=p["external_modulator"])
            for var in proc.vars:
                var.alias(getattr(self.fused.vars, var.name))
            inputs, target_in, m_in, output = [self.fused], self.fused, self.fused, self.fused
            label_inputs(proc, inputs, target_in, m_in)
        else:
            net = proc.network
            for name, child in net.named().items():
                setattr(self, name, child)
            for k, other in enumerate(proc.attached()):
                if not adoptable(other):
                    raise ValueError(
                        f"{type(other).__name__} {other.name!r} is connected to a child of "
                        f"VLENetwork {proc.name!r}: Lava compiles only processes reached "
                        "through the network's own ports; splice stock processes into a "
                        "network built with lava_vle.processes.network_builder."
                        "build_vle_network")
                setattr(self, f"probe{k}", other)
            inputs, target_in = net.input_synapses, net.output_error
            m_in, output = net.modulator, net.output
        for child in inputs:
            proc.in_ports.s_in.connect(child.in_ports.s_in)
            note_non_integer_sources(child, "s_in", proc.s_in)
        proc.in_ports.target_in.connect(target_in.in_ports.target_in)
        note_non_integer_sources(target_in, "target_in", proc.target_in)
        if p["external_modulator"]:
            proc.in_ports.m_in.connect(m_in.in_ports.m_in)
        output.out_ports.s_out.connect(proc.out_ports.s_out)
