"""Flower's settings, read from the folder it starts in: `celery -A worker flower` is the workers' view for operators
(workers online, their active and reserved tasks, the broker's queue; ADR 45).

It never runs open: without credentials in the environment (FLOWER_BASIC_AUTH=user:password, several separated by
commas; or FLOWER_AUTH with Flower's OAuth settings) it stops here, naming what is missing. Credentials come from the
environment, not the command line, where any user of the machine could read them in the process list.
"""

import os
import sys

if not (os.environ.get("FLOWER_BASIC_AUTH") or os.environ.get("FLOWER_AUTH")):
    sys.exit("Flower needs credentials: set FLOWER_BASIC_AUTH=user:password (or FLOWER_AUTH with OAuth settings); "
             "it does not run without them")

# Listen on this machine only unless told otherwise (FLOWER_ADDRESS, FLOWER_PORT: 5555 by default); reach it through
# the reverse proxy's TLS, or an SSH tunnel.
address = os.environ.get("FLOWER_ADDRESS", "127.0.0.1")
