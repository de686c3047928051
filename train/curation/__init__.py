"""Step 2, curation: drop prosodic outliers and cut dead air.

``curate`` (runs the four passes, writes the curated corpus and its report), ``analyse``
(pass 1: words, pauses and pitch of each utterance), ``trim`` (passes 2 and 3: natural
pauses, dead air cut), ``outliers`` (pass 4: prosodic outliers per style),
``word_alignment`` (pocketsphinx forced alignment of the transcript's words, which finds the
dead air), ``embed`` (Resemblyzer embeddings), ``measure`` (scored against injected
defects), ``report`` (the HTML page) and ``commands`` (``curate``, ``measure-curation``).
"""
