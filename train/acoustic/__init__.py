"""Step 4, the acoustic model: phoneme ids and a style ID -> log-mel.

``model`` (the network), ``fit`` (the training loop: L2 penalty, neutral augmentation,
style IDs), ``warm_start`` (start from an exported bundle's weights) and ``commands``
(``fit``).
"""
