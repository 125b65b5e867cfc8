"""Execute the tutorial notebooks at full size and store them with their outputs.

    python -m lava_vle.experiments.tutorials_build                  # every tutorials/*.ipynb
    python -m lava_vle.experiments.tutorials_build 05 06            # those whose name starts so
    python -m lava_vle.experiments.tutorials_build --dir path/to/tutorials

Each notebook runs top to bottom in a fresh ``python3`` kernel whose working
directory is the tutorials folder, with ``LAVA_VLE_TUTORIAL_SMALL`` unset
(the test suite sets it to run them small). Figures are stored as PNG at
``DPI`` dots per inch (the kernel's inline backend is configured through a
temporary IPython profile, so the notebooks carry no build settings). A
notebook is written back in place only when it ran without an error and
its stored size stays below ``MAX_BYTES``; the command prints each
notebook's execution time, size, figures and printed outputs, and exits
non-zero if any failed.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

DPI = 80  # inline PNG resolution of the stored figures
MAX_BYTES = 1_000_000  # largest stored notebook (tests/test_tutorials.py checks it too)
TIMEOUT_S = 900  # per cell
SMALL_ENV = "LAVA_VLE_TUTORIAL_SMALL"
KERNEL_CONFIG = f"""\
c.InlineBackend.figure_formats = {{"png"}}
c.InlineBackend.rc = {{"figure.dpi": {DPI}}}
"""


def default_folder() -> Path:
    """``tutorials/`` of the repository this module sits in, else of the working directory."""
    beside = Path(__file__).resolve().parent.parent / "tutorials"
    return beside if beside.is_dir() else Path("tutorials")


def output_counts(notebook) -> dict:
    """Figures (PNG outputs), printed outputs (stream or text results) and
    errors of an executed notebook."""
    counts = {"images": 0, "printed": 0, "errors": 0}
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.output_type == "error":
                counts["errors"] += 1
            elif output.output_type == "stream" and output.name == "stdout":
                counts["printed"] += 1
            elif "image/png" in output.get("data", {}):
                counts["images"] += 1
            elif "text/plain" in output.get("data", {}):
                counts["printed"] += 1
    return counts


def execute(path: Path, kernel_name: str = "python3") -> tuple[object, float]:
    """Run the notebook at ``path`` at full size; return it executed and the wall time."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name=kernel_name,
                   record_timing=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook, time.perf_counter() - start


def build(paths: Sequence[Path], log=print) -> list[dict]:
    """Execute every notebook of ``paths`` and write each back in place (see the
    module docstring); one row per notebook: name, seconds, bytes, counts, error."""
    import nbformat

    rows = []
    with tempfile.TemporaryDirectory(prefix="lava-vle-ipython-") as ipython_dir:
        profile = Path(ipython_dir) / "profile_default"
        profile.mkdir()
        (profile / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
        saved = {key: os.environ.get(key) for key in ("IPYTHONDIR", SMALL_ENV)}
        os.environ["IPYTHONDIR"] = ipython_dir
        os.environ.pop(SMALL_ENV, None)
        try:
            for path in paths:
                row = {"notebook": path.name}
                try:
                    notebook, row["seconds"] = execute(path)
                except Exception as err:  # a failing cell: keep the stored notebook
                    row["error"] = f"{type(err).__name__}: {str(err).strip().splitlines()[-1]}"
                    log(f"{path.name}: FAILED, not written ({row['error']})")
                    rows.append(row)
                    continue
                text = nbformat.writes(notebook) + "\n"
                row.update(output_counts(notebook), bytes=len(text.encode()))
                if row["bytes"] > MAX_BYTES:
                    row["error"] = f"{row['bytes']:,} bytes > {MAX_BYTES:,}"
                    log(f"{path.name}: too large, not written ({row['error']})")
                else:
                    path.write_text(text, encoding="utf-8")
                    log(f"{path.name}: {row['seconds']:.0f} s, {row['bytes'] / 1024:.0f} KiB, "
                        f"{row['images']} figures, {row['printed']} printed outputs")
                rows.append(row)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    return rows


def main(argv: Optional[Sequence[str]] = None) -> list[dict]:
    parser = argparse.ArgumentParser(prog="python -m lava_vle.experiments.tutorials_build",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*",
                        help="notebooks whose file name starts with one of these (default: all)")
    parser.add_argument("--dir", type=Path, default=default_folder(),
                        help="the tutorials folder (default: %(default)s)")
    args = parser.parse_args(argv)
    paths = sorted(p for p in args.dir.glob("*.ipynb")
                   if not args.names or any(p.name.startswith(n) for n in args.names))
    if not paths:
        raise SystemExit(f"no notebook in {args.dir} matches {args.names or '*.ipynb'}")
    rows = build(paths)
    failed = [row["notebook"] for row in rows if "error" in row]
    if failed:
        raise SystemExit(f"not written: {', '.join(failed)}")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
