"""The research harness: what this project runs to produce its published
numbers, on top of the library.

- :mod:`~lava_vle.experiments.sweep`: every grid point x seed a training run
  (``lava-vle sweep``), on Ray or in local worker processes;
- :mod:`~lava_vle.experiments.compare`: VLE vs BPTT matched (``lava-vle
  compare``), lr picked on a validation split;
- :mod:`~lava_vle.experiments.targets`, :mod:`~lava_vle.experiments.campaign`:
  the paper's table, its targets and verdicts, as one resumable campaign;
- :mod:`~lava_vle.experiments.report`, :mod:`~lava_vle.experiments.pages`:
  markdown tables and results pages;
- :mod:`~lava_vle.experiments.learning_engine_comparison`: VLE on Lava's
  learning engine against the project's own rule;
- :mod:`~lava_vle.experiments.tutorials_build`: executes the tutorials;
- :mod:`~lava_vle.experiments.benchmarks`: ``lava-vle bench NAME`` scripts.

The command line imports this package; no core module does.
"""
