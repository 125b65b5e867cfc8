"""Build and connect the processes of a VLE network from a NetworkSpec.

Used by the hierarchical :class:`VLENetwork` model and directly by users who
want the individual processes (to probe them or to splice in stock Lava
processes). The same quantisation choices as the batched simulator
(:meth:`FixedParams.from_float`, one hash stream per projection) make the
fixed_pt network equal the simulator bit for bit.
"""
from __future__ import annotations

import typing as ty
from dataclasses import dataclass

from lava_vle import fixed_point as fxp
from lava_vle.spec import FixedParams, FloatParams, NetworkSpec
from lava_vle.processes._validation import both_precisions, network
from lava_vle.processes.error_dendrite.process import ErrorDendrite
from lava_vle.processes.neuromodulator.process import Neuromodulator
from lava_vle.processes.output_error.process import OutputError
from lava_vle.processes.plastic_synapse.process import PlasticSynapse
from lava_vle.processes.vle_neuron.process import VLENeuron


@dataclass
class VLENetworkProcesses:
    """The processes of one network and the ports a user connects.

    ``input_synapses``: the synapses whose ``s_in`` takes the network input;
    ``output``: the output neurons (``s_out``); ``output_error.target_in``
    takes the target; ``modulator``: the broadcast (``m_in`` if external).
    """

    neurons: list[VLENeuron]
    dendrites: list[ErrorDendrite]
    synapses: list[PlasticSynapse]
    input_synapses: list[PlasticSynapse]
    output_error: OutputError
    modulator: Neuromodulator

    @property
    def output(self) -> VLENeuron:
        return self.neurons[-1]

    def named(self) -> dict:
        """Every process under a stable attribute name."""
        procs = {f"neuron{l}": n for l, n in enumerate(self.neurons, start=1)}
        procs.update({f"dendrite{l}": d for l, d in enumerate(self.dendrites, start=1)})
        procs.update({f"synapse{k}": s for k, s in enumerate(self.synapses)})
        procs.update(output_error=self.output_error, modulator=self.modulator)
        return procs


def build_populations(spec: NetworkSpec) -> tuple[list[VLENeuron], list[ErrorDendrite]]:
    """One VLE neuron population and its error dendrites per layer, connected
    (``phi'`` to the dendrite; the error back onto the membrane when gamma > 0)."""
    neurons, dendrites = [], []
    for layer in spec.layers:
        tau_m, tau_r = layer.time_constants()
        neuron = VLENeuron(shape=(layer.size,), tau_m=tau_m, tau_r=tau_r, dt=spec.dt,
                           activation=layer.activation, gamma=spec.gamma,
                           spiking=layer.spiking, sigma_delta=layer.sigma_delta)
        dendrite = ErrorDendrite(shape=(layer.size,), tau_m=tau_m, tau_r=tau_r, dt=spec.dt,
                                 sigma_delta=layer.error_sigma_delta)
        neuron.phi_prime_out.connect(dendrite.phi_prime_in)
        if spec.gamma:
            dendrite.e_out.connect(neuron.nudge_in)
        neurons.append(neuron)
        dendrites.append(dendrite)
    return neurons, dendrites


def build_output_error(spec: NetworkSpec, output: VLENeuron,
                       dendrite: ErrorDendrite) -> OutputError:
    """The target error of the output population, fed to its error dendrite."""
    output_error = OutputError(shape=(spec.n_out,), loss=spec.loss, beta=spec.beta)
    output.s_out.connect(output_error.r_in)
    output_error.e_out.connect(dendrite.e_in)
    return output_error


def build_vle_network(spec: NetworkSpec, params: ty.Union[FloatParams, FixedParams],
                      learning_rate: float = 0.0,
                      seed: int = 0, modulator: float = 1.0,
                      external_modulator: bool = False,
                      headroom: float = 2.0) -> VLENetworkProcesses:
    """Create and connect neurons, dendrites, plastic synapses, output error, broadcast.

    Raises ValueError / TypeError (FixedPointRangeError for a value no Loihi
    register holds) naming the parameter, before creating any process.
    """
    network(spec, params, learning_rate, seed, modulator, external_modulator)
    params, fixed = both_precisions(spec, params, headroom)
    exps = fixed.weight_exp
    neurons, dendrites = build_populations(spec)
    broadcast = Neuromodulator(value=modulator, external=external_modulator)
    carriers = spec.bias_carriers()
    # sigma-delta links by population: rates (pre side) and errors (post side)
    sd_rates = [False] + [layer.sigma_delta > 0 for layer in spec.layers]
    sd_errors = [False] + [layer.error_sigma_delta > 0 for layer in spec.layers]
    stable = spec.recurrent_error == "stable"
    eprop = spec.recurrent_error == "eprop"
    synapses = []
    for k, proj in enumerate(spec.projections):
        post, recurrent = proj.post - 1, proj.pre == proj.post
        carried = params.biases[post] if carriers[post] == k else None
        learns_by_eprop = eprop and recurrent
        tau_m, tau_r = spec.layers[post].time_constants() if learns_by_eprop else (None, None)
        syn = PlasticSynapse(weights=params.weights[k], bias=carried, weight_exp=exps[k],
                             learning_rate=learning_rate, feedback=params.feedback[k],
                             seed=fxp.stream_seed(seed, k),
                             learning_epoch=spec.learning_epoch,
                             sigma_delta_pre=sd_rates[proj.pre],
                             sigma_delta_post=sd_errors[proj.post],
                             stable_error=stable and recurrent,
                             eprop=learns_by_eprop, tau_m=tau_m, tau_r=tau_r,
                             dt=spec.dt if learns_by_eprop else None)
        if proj.pre > 0:
            neurons[proj.pre - 1].s_out.connect(syn.s_in)
        if spec.carries_error(proj):
            syn.e_out.connect(dendrites[proj.pre - 1].e_in)
        syn.a_out.connect(neurons[post].a_in)
        dendrites[post].e_out.connect(syn.e_in)
        if syn.proc_params["stable_error"]:
            dendrites[post].v_out.connect(syn.v_in)
        if learns_by_eprop:
            neurons[post].phi_prime_now_out.connect(syn.phi_prime_in)
            dendrites[post].e_total_out.connect(syn.e_total_in)
        broadcast.m_out.connect(syn.m_in)
        synapses.append(syn)
    output_error = build_output_error(spec, neurons[-1], dendrites[-1])
    inputs = [syn for syn, proj in zip(synapses, spec.projections) if proj.pre == 0]
    return VLENetworkProcesses(neurons, dendrites, synapses, inputs, output_error, broadcast)
