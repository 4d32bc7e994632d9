"""gunicorn settings for the web nodes: `gunicorn -c gunicorn.conf.py` (every value can be set by environment).

Each process serves one request at a time (the sync worker) and takes the next connection from the listening
socket only when it is free, so every request waits in one queue, the kernel's, first come first served: under 64
clients on 2 cores the worst kind's p95 was within 12 % of its median, and `/healthz` answered as fast as any page
(ADR 49). Threads (`WEB_WORKER_CLASS=gthread`) share a process's cores among all the requests it holds: the city
dashboard waited seven times as long as /healthz, and the worst p95 was 2.5 times as high at the same load. A sync
process must sit behind a proxy that buffers slow clients (nginx, HAProxy: docs/deploy.md), as every web node does.
Rendering never happens here (workers render), so processes stay small.
"""

import multiprocessing
import os

from webapp.config import settings_or_exit

# Fail fast in the master, before any process starts: every wrong variable listed, no traceback (ADR 48).
settings_or_exit("CDHT's web server (gunicorn)")
wsgi_app = "webapp:create_app()"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Two processes per core plus one, as gunicorn advises: while one waits on PostgreSQL, another computes.
workers = int(os.environ.get("WEB_CONCURRENCY", str(multiprocessing.cpu_count() * 2 + 1)))
worker_class = os.environ.get("WEB_WORKER_CLASS", "sync")
# A request that takes longer than this is a bug to find, not a wait to sit out (a decision of 5,000 takes seconds).
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
if worker_class == "sync":
    threads = 1
    # A sync process that kept a connection open would wait on it, idle, while other clients queue: it answers
    # and closes (the proxy in front keeps the browsers' connections alive).
    keepalive = 0
else:
    threads = int(os.environ.get("WEB_THREADS", "8"))  # at most the database pool per process (5 + 10 overflow)
    keepalive = int(os.environ.get("WEB_KEEPALIVE", "5"))
    # A kept-alive connection stays with the process that accepted it: at most twice its threads per process, the
    # rest wait in the listen queue for a process with room (ADR 13).
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
