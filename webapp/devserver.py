"""`make run`: the web app, a Celery worker and the beat scheduler in one terminal; Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time

from .config import from_env


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    """Start web + worker (with embedded beat) and wait; stop both on Ctrl-C, SIGTERM, or when either exits."""
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop must not orphan the worker
    settings = from_env()
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    bin_dir = os.path.dirname(sys.executable)
    processes = [
        subprocess.Popen([os.path.join(bin_dir, "flask"), "--app", "webapp", "run", "--host", host, "--port", port]),
        subprocess.Popen([os.path.join(bin_dir, "celery"), "-A", "worker", "worker", "--beat", "--loglevel=INFO",
                          "--concurrency=2"]),
    ]
    # The one line a newcomer reads, on the terminal they started it from.
    print(f"\nCDHT is running at http://{host}:{port}/  (database: {settings.database_url.split('://')[0]}, "
          f"broker: {settings.broker_url.split('://')[0]}) — Ctrl-C stops everything.\n", flush=True)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in processes:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
