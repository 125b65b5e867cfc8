"""Output error: the target error fed to the output population's error dendrites."""
