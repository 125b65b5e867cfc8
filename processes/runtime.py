"""Stop the Lava runtime of a process graph, also after a failed run.

lava-nc 0.10's ``proc.stop()`` sends STOP to the runtime services and waits
for their answer. After an exception inside ``run()`` (a process model that
raised in ``run_spk``, a source with bad data, Ctrl-C) the services have
exited, so ``stop()`` waits forever, and so does the garbage collector that
calls it; the shared-memory segments of every channel stay allocated until
the interpreter is killed. Worse, a model that raises before it has sent its
messages of the step leaves its neighbours waiting for them, and ``run()``
itself never returns. :func:`stopping` watches the workers during the block
and ends such a runtime itself.
"""
from __future__ import annotations

import contextlib
import multiprocessing as mp
import signal
import threading
import time
from multiprocessing.shared_memory import SharedMemory
from typing import Any, Iterator, Optional, Union

from lava.magma.core.process.process import AbstractProcess

TEARDOWN_TIMEOUT_S = 10.0  # a failed run is torn down within this time
WORKER_GRACE_S = 2.0  # a worker dead this long during the block: run() will not return
WATCH_INTERVAL_S = 0.2


class WorkerExited(RuntimeError):
    """A Lava worker process exited during a run that did not return."""


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

    In the main thread a watchdog checks the workers every 0.2 s while the
    block runs: a worker that has been dead for 2 s means ``run()`` will not
    return (its neighbours wait for its messages), so the watchdog
    interrupts the main thread with :class:`WorkerExited` (through SIGUSR1,
    whose handler it installs for the block), and the block ends as above.

    Yields the process, or the tuple of processes when given several.
    """
    if not procs or not all(isinstance(p, AbstractProcess) for p in procs):
        raise TypeError(f"stopping() takes Lava processes, got {procs!r}")
    watchdog = _Watchdog(procs)
    try:
        with watchdog:
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


class _Watchdog:
    """Interrupts the main thread when a worker of ``procs``' runtime has
    exited while the block still runs (see :func:`stopping`); does nothing
    outside the main thread, where no signal handler can be installed."""

    def __init__(self, procs: tuple):
        self.procs = procs
        self.active = threading.current_thread() is threading.main_thread()
        self.done = threading.Event()

    def __enter__(self) -> None:
        if self.active:
            self.previous = signal.signal(signal.SIGUSR1, self._interrupt)
            self.thread = threading.Thread(target=self._watch, daemon=True)
            self.thread.start()

    def __exit__(self, *exc: Any) -> None:
        if self.active:
            self.done.set()  # before anything else: no interrupt from now on
            self.thread.join()
            signal.signal(signal.SIGUSR1, self.previous)

    def _interrupt(self, signum: int, frame: Any) -> None:
        if not self.done.is_set():
            raise WorkerExited("a Lava worker process exited during the run, which would "
                               "never return")

    def _watch(self) -> None:
        dead_since: Optional[float] = None
        while not self.done.wait(WATCH_INTERVAL_S):
            dead = any(not actor._is_done and actor.exitcode is not None
                       for runtime in _runtimes(self.procs) for actor in _actors(runtime))
            dead_since = (dead_since or time.monotonic()) if dead else None
            if dead_since is not None and time.monotonic() - dead_since > WORKER_GRACE_S:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)
                return


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
