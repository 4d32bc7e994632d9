"""Each broker gets the Celery settings it needs (ADR 48): Redis a visibility timeout longer than the longest delay,
RabbitMQ none (it has no such thing: it redelivers when a worker's connection closes), and every broker late
acknowledgement with one message prefetched, so that a killed worker holds one batch, not a queue's worth."""

import dataclasses

import pytest

from webapp import create_app
from webapp.celery_app import broker_options
from webapp.tasks import RETRY_DELAYS


@pytest.mark.parametrize(("url", "options"), [
    ("redis://127.0.0.1:6379/0", {"visibility_timeout": 3600}),
    ("rediss://cache.internal:6380/0", {"visibility_timeout": 3600}),
    ("amqp://guest:guest@127.0.0.1:5672//", {}),
])
def test_transport_options_follow_the_broker(settings, url: str, options: dict[str, int]) -> None:
    assert broker_options(dataclasses.replace(settings, broker_url=url)) == options
    # A message delayed for its retry waits unacknowledged in a worker: Redis must not hand it to another meanwhile.
    assert all(options.get("visibility_timeout", 3600) > delay for delay in RETRY_DELAYS)
    # RabbitMQ closes the channel of a consumer that holds a message unacknowledged past its consumer_timeout
    # (30 minutes by default): the longest delay must stay well under it.
    assert max(RETRY_DELAYS) < 30 * 60


def test_every_broker_acknowledges_late_and_prefetches_one(settings) -> None:
    for url in ("redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//"):
        app = create_app(dataclasses.replace(settings, broker_url=url))
        conf = app.extensions["celery"].conf
        assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
        assert conf.beat_scheduler == "webapp.single_beat:SingleBeatScheduler"
        app.extensions["cdht"].engine.dispose()
