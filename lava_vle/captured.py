"""Captured update windows: the local rule's steps and updates, several per compiled call.

On a torch device the per-step trainer launches some thirty small kernels
from Python per time step, so the host, not the arithmetic, sets the pace
(a GPU waits for every launch). :class:`CapturedWindows` traces the steps
of ``windows`` whole update windows (the steps between optimiser updates,
and the update) with ``torch.compile`` and runs them as one call, with no
host synchronisation inside: the time loop's step
(:meth:`~lava_vle.stacked.StackedNetwork.advance`), the output error, the
rule's accumulation (:class:`~lava_vle.plasticity.StackedLearning`) and
Adam's formula (:meth:`~lava_vle.optim.Adam.apply`) are the very functions
the eager trainer calls, compiled from the same source. The host only
counts: each window's Adam scalars are computed ahead and handed in as
tensors, so a call's graph does not change from window to window.

A sequence is cut into calls of ``windows`` windows of ``update_interval``
steps (the last call and window may be shorter: one more graph each).
Compiling takes seconds to a minute, once per process and shape.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Optional

import numpy as np

from lava_vle.arrays import require_torch


def window_bounds(steps: int, update_interval: int, windows: int
                  ) -> list[tuple[int, int, tuple[tuple[int, int], ...]]]:
    """The calls of a sequence of ``steps``: ``(first, stop, windows)`` with
    the windows' ``(first, stop)`` counted from the call's first step; an
    update closes every window, the last one at the sequence's end."""
    edges = list(range(0, steps, update_interval)) + [steps]
    spans = list(zip(edges[:-1], edges[1:]))
    calls = []
    for k in range(0, len(spans), windows):
        group = spans[k:k + windows]
        first = group[0][0]
        calls.append((first, group[-1][1], tuple((a - first, b - first) for a, b in group)))
    return calls


class CapturedWindows:
    """The local rule's batch as compiled calls of ``windows`` update windows
    each (a :class:`~lava_vle.learners.VLELocal` on a torch device with Adam,
    one learning epoch per step and no clipping)."""

    def __init__(self, rule: Any, windows: int):
        torch = require_torch("captured windows")
        if windows < 1:
            raise ValueError(f"windows={windows!r} must be an integer >= 1")
        self.rule, self.windows = rule, windows
        self._call = torch.compile(self._windows, dynamic=False)

    def _windows(self, learning: Any, state: Any, prev: Any, xs: Any, ys: Any, scales: Any,
                 spans: tuple, step_sizes: Any, roots: Any, stale: bool, batch: int) -> tuple:
        """Step ``xs`` (T, B, n_in) through the windows ``spans``, each closed
        by Adam's step ``k`` (``step_sizes[k]``, ``roots[k]``), as the eager
        :meth:`VLELocal.batch` does; returns the state, the input in flight,
        the outputs (T, B, n_out) and whether the error path's copy of the
        weights is stale."""
        import torch

        rule = self.rule
        net, p = rule.net, rule.params
        forward = rule.error_weights == "forward"
        # the error path's weights: the copy (one update behind) in the step
        # after an update, the forward weights themselves in the others
        current = replace(p, B=p.W, BR=p.R) if forward else p
        outputs = []
        for k, (first, stop) in enumerate(spans):
            for t in range(first, stop):
                before = state.r
                state, rates_pre, prev = net.advance(state, p if stale else current, prev,
                                                     xs[t], True)
                net.scaled_output_error(state, ys[t], scales[t])
                learning.observe(1, state.e_breve, None, rates_pre, before, state.e_in,
                                 state.phi_prime)
                stale = False
                outputs.append(net.outputs(state))
            if forward:  # the copy keeps the weights of this window's passes
                for copy_, weights in rule._feedback_pairs():
                    # "+ 0.0": torch 2.13's inductor lets a plain copy of an input
                    # that the call then updates in place read the updated value
                    copy_.copy_(weights + 0.0)
                stale = True
            rule.optimizer.apply(learning.take(-batch), step_sizes[k], roots[k])
        return state, prev, torch.stack(outputs), stale

    def run(self, learning: Any, state: Any, x_prev: Optional[np.ndarray], x: np.ndarray,
            y: np.ndarray, weight: np.ndarray) -> tuple[Any, np.ndarray]:
        """The batch ``x`` (T, B, n_in), targets ``y`` and loss weights (T,)
        from ``state`` (input in flight ``x_prev``, None: zero); returns the
        final state and the outputs (T, B, n_out), as numpy."""
        import torch

        rule, net = self.rule, self.rule.net
        batch = x.shape[1]
        prev = net.input_in_flight(x, x_prev)
        xs, ys, scales = net.as_array(x), net.as_array(y), net.loss_scales(weight)
        outputs = []
        for first, stop, spans in window_bounds(len(x), rule.update_interval, self.windows):
            scalars = np.array([rule.optimizer.next_scalars() for _ in spans])
            step_sizes, roots = (net.as_array(column) for column in scalars.T)
            state, prev, out, stale = self._call(
                learning, state, prev, xs[first:stop], ys[first:stop], scales[first:stop],
                spans, step_sizes, roots, rule.feedback_stale, batch)
            rule.feedback_stale = bool(stale)
            outputs.append(out)
        rule.steps_done += len(x)
        return state, torch.cat(outputs).detach().cpu().numpy()


class CapturedRun:
    """:meth:`StackedNetwork.run <lava_vle.stacked.StackedNetwork.run>` without
    error dendrites (BPTT's forward pass) as one compiled call on a torch
    network: a truncated-BPTT window's forward pass, and through autograd its
    backward pass, each one graph instead of a launch per operation."""

    def __init__(self, net: Any):
        torch = require_torch("captured windows")
        if not net.on_torch:
            raise ValueError("CapturedRun needs a network on a torch device (net.to_torch())")
        self.net = net
        self._call = torch.compile(self._steps, dynamic=False)

    def _steps(self, params: Any, xs: Any, state: Any, prev: Any) -> tuple:
        import torch

        outputs = []
        for t in range(xs.shape[0]):
            state, _, prev = self.net.advance(state, params, prev, xs[t], False)
            outputs.append(self.net.outputs(state))
        return torch.stack(outputs), state

    def __call__(self, params: Any, x: np.ndarray, state: Any = None,
                 x_prev: Optional[np.ndarray] = None) -> tuple[Any, Any]:
        """The outputs (T, B, n_out) and final state of ``x`` (T, B, n_in), as
        :meth:`~lava_vle.stacked.StackedNetwork.run` returns them on torch."""
        net = self.net
        state = net.initial_state(x.shape[1]) if state is None else state
        return self._call(params, net.as_array(x), state, net.input_in_flight(x, x_prev))
