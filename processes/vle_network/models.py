"""Sub-process model of VLENetwork: the wiring of its children."""
from __future__ import annotations

from lava.magma.core.decorator import implements
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

from lava_vle.processes.vle_network.process import VLENetwork
from lava_vle.processes.network_builder import build_vle_network


@implements(proc=VLENetwork, protocol=LoihiProtocol)
class SubVLENetworkModel(AbstractSubProcessModel):
    """Builds the children with :func:`build_vle_network` and exposes its ports.

    The children use whichever floating_pt / fixed_pt models the run
    configuration selects.
    """

    def __init__(self, proc: VLENetwork) -> None:
        p = proc.proc_params
        net = build_vle_network(p["spec"], p["params"], p["learning_rate"], p["seed"],
                                p["modulator"], p["external_modulator"])
        for name, child in net.named().items():
            setattr(self, name, child)
        for syn in net.input_synapses:
            proc.in_ports.s_in.connect(syn.in_ports.s_in)
        proc.in_ports.target_in.connect(net.output_error.in_ports.target_in)
        if p["external_modulator"]:
            proc.in_ports.m_in.connect(net.modulator.in_ports.m_in)
        net.output.out_ports.s_out.connect(proc.out_ports.s_out)
