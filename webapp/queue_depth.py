"""How many messages wait in the broker's queue, read at a scrape of /metrics (never per request), with a short
timeout: Redis' list lengths, RabbitMQ's passive declaration, or the embedded transport's files (ADR 45)."""

import os
from pathlib import Path

from amqp.exceptions import NotFound
from kombu.connection import Connection

from .config import Settings

QUEUE = "celery"  # Celery's default queue: every task of ours goes there
TIMEOUT = 0.5  # seconds: a broker that does not answer by then is reported as unknown, not waited for
# kombu's Redis transport keeps a queue as one list per priority step (0 by that name; 3, 6, 9 with a separator).
_REDIS_PRIORITIES = ("", "\x06\x163", "\x06\x166", "\x06\x169")


def depth(settings: Settings, queue: str = QUEUE) -> int:
    """Messages waiting in `queue`; raises (OSError, a client's error) when the broker cannot tell in time."""
    url = settings.broker_url
    if settings.embedded_broker:
        return _files(settings.broker_folder / "queue", queue)
    if url.startswith(("redis://", "rediss://")):
        return _redis(url, queue)
    return _declared(url, queue)


def _files(folder: Path, queue: str) -> int:
    """The embedded transport: one file a message, named `<time>_<uuid>.<queue>.msg` (partial ones not yet)."""
    wanted = f"{queue}.msg"
    return sum(1 for name in os.listdir(folder) if name.partition(".")[2] == wanted)


def _redis(url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    try:
        pipe = client.pipeline(transaction=False)
        for step in _REDIS_PRIORITIES:
            pipe.llen(queue + step)
        return sum(int(n) for n in pipe.execute())
    finally:
        client.close()


def _declared(url: str, queue: str) -> int:
    """RabbitMQ (or any AMQP broker): a passive declaration answers the queue's message count."""
    with Connection(url, connect_timeout=TIMEOUT,  # type: ignore[no-untyped-call]
                    transport_options={"socket_timeout": TIMEOUT}) as conn:
        conn.ensure_connection(max_retries=0)  # one attempt: a retry waits seconds before it
        channel = conn.channel()
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except NotFound:  # not declared yet (no worker has started): nothing waits in it
            return 0
        finally:
            channel.close()
