"""Step 1, the data: the corpus format and the text and audio a voice is trained on.

``corpus`` (format, validation), ``natural_text`` (public-domain books), ``text`` and
``wordbank`` (the template grammar), ``sentence_selection`` (coverage), ``teacher`` (the
standard voice with exact durations), ``teacher_corpus`` (the two-style corpus it speaks) and
``commands`` (``validate``, ``corpus fetch``, ``corpus select``, ``teacher-corpus``).
"""
