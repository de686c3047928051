"""The reading-check evaluation set: generator (``generate``), scorer (``score``), passages."""
