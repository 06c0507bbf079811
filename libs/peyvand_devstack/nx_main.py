"""``python -m peyvand_devstack.nx_main <nx-27017 arguments>``: nx-27017 with its request log off.

nx-27017 configures logging at INFO, and its threaded server logs a line for every reply
("Command response: …"): thousands of lines a second under load, written by the process that
every service shares. This runs the same ``main`` with the ``nx_27017`` logger at WARNING, so
start-up notes go and warnings and errors stay. ``NX_27017_LOG_LEVEL`` (e.g. ``INFO``) brings
the lines back for debugging.
"""

from __future__ import annotations

import logging
import os
import sys


def run() -> None:
    from nx_27017.nx_27017 import main

    logging.getLogger("nx_27017").setLevel(os.environ.get("NX_27017_LOG_LEVEL", "WARNING").upper())
    sys.argv[0] = "nx-27017"
    sys.exit(main())


if __name__ == "__main__":
    run()
