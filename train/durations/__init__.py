"""Step 3, durations: phoneme durations for recordings that come without them.

``phoneme_aligner``: a Glow-TTS-style aligner learnt on the corpus itself
(``sidekick-train align-durations``).
"""
