"""The embedded broker writes each message whole before a worker can see it (webapp.embedded_broker)."""

import os

import pytest
from kombu import Connection

from webapp import embedded_broker
from webapp.celery_app import broker_options


def test_a_message_is_seen_whole_or_not_at_all(app, settings, monkeypatch) -> None:
    if not settings.embedded_broker:
        pytest.skip("the production runtime's broker is Redis or RabbitMQ")
    options = broker_options(settings)
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:  # the moment before the rename: what would a worker find?
        seen_while_writing.append([n for n in os.listdir(options["data_folder_in"]) if n.endswith(".probe.msg")])
        assert os.path.getsize(src) > 0
        real_replace(src, dst)

    monkeypatch.setattr(embedded_broker.os, "replace", replace)
    with Connection(settings.broker_url, transport="webapp.embedded_broker:Transport",
                    transport_options=options) as conn:
        queue = conn.SimpleQueue("probe")
        queue.put({"n": 1})
        assert seen_while_writing == [[]]  # nothing under a name a reader takes until the message was whole
        message = queue.get(timeout=5)
        assert message.payload == {"n": 1}
        message.ack()
        queue.close()
    # The app's own Celery uses this transport in the embedded runtime.
    assert app.extensions["celery"].conf.broker_transport == "webapp.embedded_broker:Transport"
