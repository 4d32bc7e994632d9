"""Exit 0 when PostgreSQL, Redis and RabbitMQ answer on their usual local ports (used by `make test`)."""

import socket
import sys

for port in (5432, 6379, 5672):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        sys.exit(1)
