"""gunicorn settings for the web nodes: `gunicorn -c gunicorn.conf.py` (every value can be set by environment).

Requests wait on PostgreSQL and Redis far more than they compute, so each process runs threads (gthread): a slow
page holds one thread, not the process, and /healthz keeps answering under load. Rendering never happens here
(workers render), so processes stay small.
"""

import multiprocessing
import os

from webapp.config import settings_or_exit

# Fail fast in the master, before any process starts: every wrong variable listed, no traceback (ADR 48).
settings_or_exit("CDHT's web server (gunicorn)")
wsgi_app = "webapp:create_app()"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Two processes per core plus one, as gunicorn advises; each with WEB_THREADS threads.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "8"))  # at most the database pool per process (5 + 10 overflow)
# A request that takes longer than this is a bug to find, not a wait to sit out (a decision of 5,000 takes seconds).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
# A kept-alive connection stays with the process that accepted it, and a busy process tends to accept more: under
# 64 clients one process held 28 connections while another held 4, and its clients waited (benchmarks.load prints
# the spread). At most twice its threads per process, the rest wait in the listen queue for a process with room:
# the worst p95 went from 953 to 785 ms at the same throughput (ADR 13). WEB_KEEPALIVE=0 measured worse.
keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", str(2 * threads)))
# gunicorn 27 opens a control socket at one path per user (~/.gunicorn): two servers on a machine would share it.
control_socket_disable = True
# Recycle processes now and then, staggered, so that slow growth of memory never adds up.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# No query string, referrer or secret path segment in the access log (webapp/access_log.py).
logger_class = "webapp.access_log.RedactingLogger"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


# Prometheus (ADR 45): each process writes its counters into one folder and /metrics sums them. The folder is read
# by prometheus_client when the app is imported (after this file), emptied when gunicorn starts, and a process that
# exits has its live values dropped.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(os.environ.get("CDHT_INSTANCE_PATH", "instance"),
                                                              "metrics-web"))
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(_server: object) -> None:
    import shutil

    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(_server: object, worker: object) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
