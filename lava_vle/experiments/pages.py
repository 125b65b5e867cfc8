"""Generated tables inside hand-written markdown pages (README, docs/)."""
from __future__ import annotations

from pathlib import Path


def replace_between(path: Path, markers: tuple[str, str], body: str, what: str) -> None:
    """Write ``body`` between the two marker lines of ``path``, keeping the rest;
    ``what`` names the markers in the error when ``path`` lacks them."""
    text = Path(path).read_text()
    start, end = markers
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {what} markers: {start} ... {end}")
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    Path(path).write_text(f"{head}{start}\n{body}\n{end}{tail}")
