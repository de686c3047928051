"""Voice data and voice training for Sidekick (the ``train`` extra)."""
