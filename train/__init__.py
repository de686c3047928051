"""Voice data and voice training for Sidekick (the ``train`` extra).

One folder per step of the method: ``data``, ``curation``, ``durations``, ``acoustic``,
``export``, ``evaluation``; ``cli`` is ``sidekick-train``. See ``train/README.md`` ("Where
things live").
"""

import os

# Set before torch starts OpenMP: idle OpenMP threads sleep instead of spinning. Beside
# another job on this 2-core machine a training step took 4.8 s spinning and 1.3 s passive;
# alone, 1.0 s either way. An explicit OMP_WAIT_POLICY wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
