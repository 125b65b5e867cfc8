"""Stop the Lava runtime of a process graph, also after a failed run.

lava-nc 0.10's ``proc.stop()`` sends STOP to the runtime services and waits
for their answer. After an exception inside ``run()`` (a process model that
raised in ``run_spk``, a source with bad data, Ctrl-C) the services have
exited, so ``stop()`` waits forever, and so does the garbage collector that
calls it; the shared-memory segments of every channel stay allocated until
the interpreter is killed. :func:`stopping` ends such a runtime itself.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import threading
import time
from multiprocessing.shared_memory import SharedMemory
from typing import Any, Iterator, Optional, Union

from lava.magma.core.process.process import AbstractProcess

TEARDOWN_TIMEOUT_S = 10.0  # a failed run is torn down within this time


@contextlib.contextmanager
def stopping(*procs: AbstractProcess, timeout: float = TEARDOWN_TIMEOUT_S
             ) -> Iterator[Union[AbstractProcess, tuple]]:
    """Stop the Lava runtime of ``procs`` when the block ends, like ``contextlib.closing``::

        with stopping(net):
            net.run(condition=RunSteps(100), run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
            weights = net.procs.synapse0.weights.get()

    After the block: ``stop()``, forced if it has not returned within
    ``timeout`` seconds. After an exception in the block the runtime is torn
    down without waiting for its workers (see :func:`tear_down`), within
    ``timeout`` seconds, and the exception propagates; when it is Lava's
    ``RuntimeError("1 Exception(s) occurred. See output above ...")``, the
    process model's own exception (e.g. a port-contract error) is raised
    instead, from it, with the worker's traceback as a note.

    Yields the process, or the tuple of processes when given several.
    """
    if not procs or not all(isinstance(p, AbstractProcess) for p in procs):
        raise TypeError(f"stopping() takes Lava processes, got {procs!r}")
    try:
        yield procs[0] if len(procs) == 1 else procs
    except BaseException as failure:
        cause = model_error(procs)
        for runtime in _runtimes(procs):
            tear_down(runtime, timeout)
        if cause is None or isinstance(failure, KeyboardInterrupt):
            raise
        raise cause from failure
    for runtime in _runtimes(procs):
        if not (_healthy(runtime) and _call_within(runtime.stop, timeout)):
            tear_down(runtime, timeout)


def model_error(procs: tuple) -> Optional[BaseException]:
    """The first exception a process model of ``procs``' runtime raised in
    its worker, with the worker's traceback as a note; None if none did."""
    for runtime in _runtimes(procs):
        for actor in _actors(runtime):
            reported = actor.exception
            if reported:
                error, trace = reported
                error.add_note(f"raised in a Lava worker process:\n{trace}")
                return error
    return None


def tear_down(runtime: Any, timeout: float = TEARDOWN_TIMEOUT_S) -> None:
    """End a Lava runtime without asking its services: release the runtime's
    ports, terminate (then kill) its worker processes, shut down its
    shared-memory manager and unlink every segment it still holds, and mark
    the runtime stopped, so that a later ``stop()`` (or the garbage
    collector's) returns at once. Takes at most about ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    for port in runtime._open_ports:
        with contextlib.suppress(Exception):
            port.join()
    runtime._open_ports.clear()
    running = [actor for actor in _actors(runtime) if not actor._is_done]
    for actor in running:
        if actor.is_alive():
            actor.terminate()
    for actor in running:
        mp.Process.join(actor, max(0.1, deadline - time.monotonic()))
        if actor.is_alive():
            actor.kill()
            mp.Process.join(actor, 1.0)
        if not actor.is_alive():
            actor.join()  # collects the exception it reported and closes its pipes
    infra = runtime._messaging_infrastructure
    smm = infra.smm if infra is not None else None
    if smm is not None:
        names = [handle.name for handle in smm._shared_memory_handles]
        _call_within(smm.shutdown, max(0.1, deadline - time.monotonic()))
        for name in names:  # a manager that was killed did not unlink them
            with contextlib.suppress(FileNotFoundError):
                segment = SharedMemory(name=name)
                segment.close()
                segment.unlink()
    if runtime._watchdog_manager is not None:
        _call_within(runtime._watchdog_manager.stop, max(0.1, deadline - time.monotonic()))
    runtime._is_running = runtime._is_started = False


def _runtimes(procs: tuple) -> list:
    """The distinct runtimes of ``procs`` (connected processes share one)."""
    found = {}
    for proc in procs:
        if proc.runtime is not None:
            found[id(proc.runtime)] = proc.runtime
    return list(found.values())


def _healthy(runtime: Any) -> bool:
    """Whether ``stop()`` can end the runtime: it was started and every
    worker still runs (after a failed run the workers have exited)."""
    return runtime._is_started and all(not actor._is_done and actor.is_alive()
                                        for actor in _actors(runtime))


def _actors(runtime: Any) -> list:
    """The runtime's worker processes (process models and runtime services)."""
    infra = runtime._messaging_infrastructure
    return list(infra.actors) if infra is not None else []


def _call_within(function: Any, timeout: float) -> bool:
    """Run ``function()`` in a daemon thread; True if it returned within
    ``timeout`` seconds (an exception it raised propagates)."""
    outcome: list = []

    def call() -> None:
        try:
            function()
            outcome.append(None)
        except BaseException as err:  # handed to the caller
            outcome.append(err)

    worker = threading.Thread(target=call, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return False
    if outcome[0] is not None:
        raise outcome[0]
    return True
