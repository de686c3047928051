"""Step 3, durations: phoneme durations for recordings that come without them.

``phoneme_aligner`` (a Glow-TTS-style aligner learnt on the corpus itself, trained and run
by ``sidekick-train align-durations``), ``monotonic_alignment`` (the search and the prior),
``samples`` (its inputs), ``agreement`` (learnt durations against known ones) and ``commands``
(``align-durations``).
"""
