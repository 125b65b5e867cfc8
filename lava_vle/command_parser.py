"""The argument parser of every ``lava-vle`` command and benchmark script:
defaults shown in ``--help``, one-line errors with exit status 2."""
from __future__ import annotations

import argparse
from typing import Callable

from lava_vle.validation import check_int


class HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    """Keeps the description's layout and appends each option's default
    (unless it has none)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False) or action.default is argparse.SUPPRESS:
            return action.help or ""
        return super()._get_help_string(action)


class CommandParser(argparse.ArgumentParser):
    """``argparse`` with defaults in ``--help`` and one-line errors (exit 2);
    the parser of every ``lava-vle`` command and benchmark."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            return check_int("value", int(text), minimum)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an integer >= {minimum}") from None

    return parse


def positive_floats(text: str) -> list[float]:
    """An argparse type: comma-separated distinct positive numbers (``1e-3,3e-3``)."""
    try:
        values = [float(word) for word in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of numbers (e.g. 1e-3,3e-3)") from None
    if any(not value > 0 or value == float("inf") for value in values) \
            or len(set(values)) < len(values):
        raise argparse.ArgumentTypeError(f"{text!r}: give distinct positive finite numbers")
    return values
