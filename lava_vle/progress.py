"""Progress bars that leave the multiprocessing start method to Lava.

tqdm guards its bars with a multiprocessing lock made at the first bar, and
making it fixes the process's start method; Lava sets its own (``fork``)
when its runtime is imported and refuses to load once one is set. So a
notebook that trained with a bar and then built a Lava network failed with
``RuntimeError: context has already been set``. These bars use a thread
lock instead (lava-vle draws them from one process).
"""
from __future__ import annotations

import threading
from typing import Any, Iterable


def progress_bar(iterable: Iterable, **options: Any) -> Any:
    """``tqdm(iterable, **options)`` under a thread lock (module docstring)."""
    from tqdm import tqdm

    if not hasattr(tqdm, "_lock"):  # else tqdm.get_lock would make a multiprocessing RLock
        tqdm.set_lock(threading.RLock())
    return tqdm(iterable, **options)
