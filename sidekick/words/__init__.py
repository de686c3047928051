"""Words: what counts as the same word, how words sound, and how accents say them.

The lowest layer of the app's language: books, listening, reading, speaking and progress
all decide "is this the same word" here (:mod:`.normalize`), look pronunciations up here
(:mod:`.pronounce`; :mod:`.letter_to_sound` for words no dictionary knows) and accept a
word said in another accent here (:mod:`.variants`). A text is cut into sentences and words
here (:mod:`.sentences`), the same for a book's pages, the voices and the training text.
"""

from sidekick.words.normalize import (
    MAX_WORD_CHARS,
    edit_distance,
    key,
    normalize_word,
    same_word,
    spoken_form,
    written_form,
)

__all__ = [
    "MAX_WORD_CHARS",
    "edit_distance",
    "key",
    "normalize_word",
    "same_word",
    "spoken_form",
    "written_form",
]
