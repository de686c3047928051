"""Step 5, export: a trained run -> the ONNX voice bundle the app runs.

``bundle`` (``acoustic.onnx`` + ``voice.json``), ``model_card`` (``MODEL_CARD.md`` and its
tables of figures), ``vocoder`` (the universal HiFi-GAN, exported once, shared) and
``commands`` (``export``, ``export-vocoder``).
"""
