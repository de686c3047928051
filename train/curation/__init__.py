"""Step 2, curation: drop prosodic outliers and cut dead air.

``curate`` (the four passes), ``word_alignment`` (pocketsphinx forced alignment of the
transcript's words, which finds the dead air), ``embed`` (Resemblyzer embeddings), ``measure``
(scored against injected defects) and ``report`` (the HTML page).
"""
