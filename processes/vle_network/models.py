"""Sub-process model of VLENetwork: the wiring of its children."""
from __future__ import annotations

from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle.processes.fused_vle_network.process import FusedVLENetwork
from lava_vle.processes.network_builder import build_vle_network
from lava_vle.processes.vle_network.process import VLENetwork


@implements(proc=VLENetwork, protocol=LoihiProtocol)
class SubVLENetworkModel(AbstractSubProcessModel):
    """Builds the children with :func:`build_vle_network` and exposes its ports;
    with ``fused=True`` one :class:`FusedVLENetwork` whose Vars it aliases.

    The children use whichever floating_pt / fixed_pt models the run
    configuration selects. VLENetwork has this one model on purpose: with a
    second, leaf model, Lava's ``Loihi2SimCfg`` would pick the leaf one
    unless ``select_sub_proc_model=True`` (run_configs.py), and
    ``select_tag`` applies to every process of the graph; the constructor
    option ``fused`` keeps the composed network the default under every
    run configuration.
    """

    def __init__(self, proc: VLENetwork) -> None:
        p = proc.proc_params
        if p["fused"]:
            self.fused = FusedVLENetwork(spec=p["spec"], params=p["params"],
                                         learning_rate=p["learning_rate"], seed=p["seed"],
                                         modulator=p["modulator"],
                                         external_modulator=p["external_modulator"])
            for var in proc.vars:
                var.alias(getattr(self.fused.vars, var.name))
            inputs, target_in, m_in, output = [self.fused], self.fused, self.fused, self.fused
        else:
            net = build_vle_network(p["spec"], p["params"], p["learning_rate"], p["seed"],
                                    p["modulator"], p["external_modulator"])
            for name, child in net.named().items():
                setattr(self, name, child)
            inputs, target_in = net.input_synapses, net.output_error
            m_in, output = net.modulator, net.output
        for child in inputs:
            proc.in_ports.s_in.connect(child.in_ports.s_in)
        proc.in_ports.target_in.connect(target_in.in_ports.target_in)
        if p["external_modulator"]:
            proc.in_ports.m_in.connect(m_in.in_ports.m_in)
        output.out_ports.s_out.connect(proc.out_ports.s_out)
