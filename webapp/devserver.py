"""`make run`: the web app, a Celery worker and the beat scheduler in one terminal; Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time
import urllib.request

from .config import from_env


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _reachable(host: str) -> str:
    """The address to open for a listening host (all interfaces are reached on this machine's loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared, not bound


def _answers(url: str, processes: list[subprocess.Popen[bytes]], seconds: float = 60) -> bool:
    """Wait until the web app answers at the URL; False if a process exits or the time runs out first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and all(p.poll() is None for p in processes):
        try:
            with urllib.request.urlopen(url, timeout=1) as reply:  # noqa: S310 - our own http address
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    print("CDHT did not start: see the messages above.", file=sys.stderr, flush=True)
    return False


def main() -> int:
    """Start web + worker (with embedded beat) and wait; stop both on Ctrl-C, SIGTERM, or when either exits."""
    signal.signal(signal.SIGTERM, _interrupt)  # a service manager's stop must not orphan the worker
    settings = from_env()
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    bin_dir = os.path.dirname(sys.executable)
    processes = [
        subprocess.Popen([os.path.join(bin_dir, "flask"), "--app", "webapp", "run", "--host", host, "--port", port]),
        # Warnings and errors only: a task's every step is not a newcomer's business.
        subprocess.Popen([os.path.join(bin_dir, "celery"), "-A", "worker", "worker", "--beat", "--loglevel=WARNING",
                          "--concurrency=2"]),
    ]
    try:
        # The one line a newcomer reads, on the terminal they started it from, once the address answers.
        if _answers(f"http://{_reachable(host)}:{port}/healthz", processes):
            print(f"\nCDHT is running at http://{_reachable(host)}:{port}/  (database: "
                  f"{settings.database_url.split('://')[0]}, broker: {settings.broker_url.split('://')[0]}) — "
                  "Ctrl-C stops everything.\n", flush=True)
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
