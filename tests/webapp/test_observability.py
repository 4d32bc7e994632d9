"""Operators' view (ADR 45): the request id, the logs' two forms and their identity-number mask, /metrics behind its
token with routes (never paths) as labels, the broker queue's depth, certificates and the roll-up check."""

import dataclasses
import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from closing import close_app
from conftest import REDIS_URL
from factories import citizen_data, make_staff
from flask import Flask
from sqlmodel import Session

from webapp import create_app, log_setup, request_id
from webapp.config import ConfigError, Settings, from_env
from webapp.metrics import authorised

TOKEN = "metrics-token-for-the-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def watched(app: Flask, settings: Settings) -> Iterator[Flask]:
    """The app with a METRICS_TOKEN configured."""
    application = create_app(dataclasses.replace(settings, metrics_token=TOKEN))
    yield application
    close_app(application)


def scrape(app: Flask) -> dict[str, float]:
    """{series with its labels: value} of one scrape."""
    rv = app.test_client().get("/metrics", headers=AUTH)
    assert rv.status_code == 200 and rv.mimetype == "text/plain"
    found = {}
    for line in rv.get_data(as_text=True).splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            found[series] = float(value)
    return found


def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(client) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21:0001"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21:0001"
    for bad in ("short", "x" * 65, "a b c d e f g h", "<script>alert(1)</script>", "001190012345;Set-Cookie=a",
                "ờờờờờờờờờ"):
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answered != bad and re.fullmatch(r"[0-9a-f]{32}", answered)
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second


def test_metrics_are_not_found_without_the_right_token(client, watched: Flask) -> None:
    assert client.get("/metrics", headers=AUTH).status_code == 404  # no token configured: no metrics at all
    other = watched.test_client()
    assert other.get("/metrics").status_code == 404
    for header in (f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"Basic {TOKEN}", "Bearer ", TOKEN):
        assert other.get("/metrics", headers={"Authorization": header}).status_code == 404
    assert other.get("/metrics", headers=AUTH).status_code == 200
    assert not authorised(f"Bearer {TOKEN}", "") and authorised(f"Bearer {TOKEN}", TOKEN)


def test_requests_are_counted_and_timed_by_route_never_by_path(watched: Flask) -> None:
    client = watched.test_client()
    before = scrape(watched)
    for code in ("AAAA1111", "BBBB2222", "CCCC3333"):
        client.get(f"/verify/{code}")
    client.get("/password/reset/a-secret-reset-token")
    client.get("/no/such/page/001190012345")
    after = scrape(watched)

    def gained(series: str) -> float:
        return after.get(series, 0) - before.get(series, 0)

    verify = 'route="/verify/<code>"'
    assert gained(f'cdht_http_requests_total{{method="GET",{verify},status="404"}}') == 3
    assert gained(f"cdht_http_request_duration_seconds_count{{{verify}}}") == 3
    assert gained(f'cdht_http_request_duration_seconds_bucket{{le="+Inf",{verify}}}') == 3
    assert gained('cdht_http_requests_total{method="GET",route="unmatched",status="404"}') == 1
    labels = " ".join(after)
    for leaked in ("AAAA1111", "a-secret-reset-token", "001190012345", "/no/such"):
        assert leaked not in labels


def test_a_scrape_reads_the_queue_certificates_and_the_last_rollup_check(watched: Flask, session: Session,
                                                                          api, sent) -> None:
    figures = scrape(watched)
    assert figures["cdht_broker_queue_readable"] == 1
    assert figures['cdht_broker_queue_messages{queue="celery"}'] >= 0
    assert "cdht_rollup_check_clean" not in figures  # never checked yet
    for status in ("queued", "rendering", "failed"):
        assert f'cdht_certificates{{status="{status}"}}' in figures
    make_staff(session, "ward_reviewer", username="rev-1/QĐ-OBS")
    make_staff(session, "ward_chair", username="chair-1/QĐ-OBS")
    api.recognised(citizen_data(), "1/QĐ-OBS")  # its render task is held by `sent`: the certificate waits
    assert scrape(watched)['cdht_certificates{status="queued"}'] == figures['cdht_certificates{status="queued"}'] + 1
    assert watched.extensions["celery"].tasks["cdht.check_rollup"]() is True
    checked = scrape(watched)
    assert checked["cdht_rollup_check_clean"] == 1 and checked["cdht_rollup_check_timestamp_seconds"] > 1.7e9


def test_the_embedded_queue_depth_counts_whole_messages_only(settings: Settings, tmp_path) -> None:
    from webapp import queue_depth

    embedded = dataclasses.replace(settings, broker_url="filesystem://", instance_path=tmp_path)
    (tmp_path / "broker" / "queue").mkdir(parents=True)
    for name in ("1_a.celery.msg", "2_b.celery.msg", "3_c.celery.msg.partial", "4_d.other.msg"):
        (tmp_path / "broker" / "queue" / name).write_text("{}")
    assert queue_depth.depth(embedded) == 2


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_the_queue_depth_of_redis_and_rabbitmq_counts_waiting_messages(settings: Settings, broker: str) -> None:
    """Messages put on a queue of the broker itself (no worker takes them), counted, then the queue removed. Redis is
    this run's broker in production; RabbitMQ is optional here (amqp://guest:guest@127.0.0.1:5672//)."""
    import uuid

    from kombu import Connection, Exchange, Queue

    from webapp import queue_depth

    url = REDIS_URL if broker == "redis" else RABBITMQ_URL
    name = f"cdht-test-{uuid.uuid4().hex[:8]}"
    try:
        conn = Connection(url, connect_timeout=1)
        conn.ensure_connection(max_retries=0)
    except Exception as exc:
        pytest.skip(f"{broker} not reachable: {type(exc).__name__}")
    with conn:
        queue = Queue(name, Exchange(name, type="direct"), routing_key=name)
        producer = conn.Producer()
        for n in range(3):
            producer.publish({"n": n}, exchange=queue.exchange, routing_key=name, declare=[queue])
        try:
            assert queue_depth.depth(dataclasses.replace(settings, broker_url=url), name) == 3
            assert queue_depth.depth(dataclasses.replace(settings, broker_url=url), f"{name}-none") == 0
        finally:
            queue(conn.default_channel).delete()
    unreachable = url.replace("6379", "6399").replace("5672", "5999")
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the client raises: the scrape reports "unreadable"
        queue_depth.depth(dataclasses.replace(settings, broker_url=unreachable), name)


def test_json_lines_carry_the_request_and_mask_identity_numbers() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("cdht.tests.observability")
    handler = log_setup.handler("json", stream)
    logger.addHandler(handler)
    logger.propagate = False
    token = request_id.request_id.set("req-00000001")
    try:
        logger.warning("looked up %s for %s", "001190012345", "a ward")
        try:
            raise ValueError("number 079203001234 not found")
        except ValueError:
            logger.exception("failed")
    finally:
        request_id.request_id.reset(token)
        logger.removeHandler(handler)
        logger.propagate = True
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["WARNING", "ERROR"]
    assert lines[0]["message"] == "looked up ************ for a ward" and lines[0]["request_id"] == "req-00000001"
    assert lines[0]["logger"] == "cdht.tests.observability" and lines[0]["time"].endswith("+00:00")
    assert "079203001234" not in stream.getvalue() and "ValueError" in lines[1]["exc"]
    assert log_setup.mask_identity_numbers("tel 0912345678, id 0011900123456") == "tel 0912345678, id 0011900123456"


def test_log_format_is_json_in_production_and_checked(tmp_path) -> None:
    here = {"CDHT_INSTANCE_PATH": str(tmp_path)}
    assert from_env(here).log_format == "text"
    with pytest.raises(ConfigError, match="LOG_FORMAT: must be json or text"):
        from_env({**here, "LOG_FORMAT": "xml"})
    with pytest.raises(ConfigError, match="METRICS_TOKEN: must be at least 32"):
        from_env({**here, "METRICS_TOKEN": "short"})
    from webapp.access_log import log_format

    assert log_format({"CDHT_ENV": "production"}) == "json" and log_format({"LOG_FORMAT": "text"}) == "text"
