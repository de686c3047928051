"""Step 6, evaluation: a voice measured beside the standard voice.

``evaluate`` (WER, rate, pitch spread, pauses, stability, MOS, speed), ``naturalness``
(predicted MOS), ``ablate`` (the method's ablations at equal budget) and ``commands``
(``evaluate``, ``ablate``).
"""
