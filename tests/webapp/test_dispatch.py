"""The one dispatcher: a few effects go out one task each; a decision's thousands go out in a few fan-out messages."""

from datetime import timedelta

from webapp import dispatch
from workflows.effects import Effect, EffectKind

RENDER = EffectKind.RENDER_CERTIFICATE


def test_a_few_effects_are_sent_one_task_each(app, sent) -> None:
    with app.app_context():
        assert dispatch.send([Effect(RENDER, f"c{i}") for i in range(dispatch.FAN_OUT_OVER)]) == dispatch.FAN_OUT_OVER
    assert [name for name, _args, _options in sent] == ["cdht.render_certificate"] * dispatch.FAN_OUT_OVER


def test_many_effects_leave_the_request_as_a_few_fan_out_messages(app, sent) -> None:
    many = [Effect(RENDER, f"c{i}") for i in range(dispatch.CHUNK + 1)]
    retry = Effect(RENDER, "late", timedelta(seconds=30))
    with app.app_context():
        assert dispatch.send([*many, retry]) == len(many) + 1
    names = [name for name, _args, _options in sent]
    # One delayed retry on its own (with its countdown), and two fan-out messages for 501 ids: no round trip each.
    assert names.count("cdht.render_certificate") == 1 and names.count("cdht.fan_out") == 2
    assert [o.get("countdown") for n, _a, o in sent if n == "cdht.render_certificate"] == [30.0]
    chunks = [args[1] for name, args, _options in sent if name == "cdht.fan_out"]
    assert sorted(len(c) for c in chunks) == [1, dispatch.CHUNK]
    assert sorted(i for c in chunks for i in c) == sorted(e.entity_id for e in many)

    sent.clear()
    fan_out = app.extensions["celery"].tasks["cdht.fan_out"]
    big = max(chunks, key=len)
    assert fan_out(RENDER.value, big) == len(big)  # the worker's side: renders in batches (ADR 32)
    assert {name for name, _args, _options in sent} == {dispatch.RENDER_BATCH_TASK}
    batches = [args[0] for _name, args, _options in sent]
    assert [i for batch in batches for i in batch] == big
    assert max(len(b) for b in batches) == dispatch.RENDER_BATCH
    assert len(batches) == -(-len(big) // dispatch.RENDER_BATCH)


def test_other_effects_fan_out_one_task_each(app, sent) -> None:
    with app.app_context():
        fan_out = app.extensions["celery"].tasks["cdht.fan_out"]
        assert fan_out(EffectKind.RENDER_DECISION.value, ["d1", "d2"]) == 2
    assert sent == [("cdht.render_decision_document", ("d1",), {"countdown": None}),
                    ("cdht.render_decision_document", ("d2",), {"countdown": None})]


class _DownBroker:
    """Every publish fails as a stopped broker makes it fail; counts the attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    def __call__(self, task, args=None, kwargs=None, retry=True, **options):
        assert retry is False, "a request publishes once, without Celery's retries"
        self.attempts += 1
        raise ConnectionRefusedError(111, "Connection refused")


def test_a_broker_down_parks_effects_in_the_outbox_and_the_sweeper_sends_them(app, monkeypatch, sent) -> None:
    from celery.app.task import Task

    from workflows import outbox
    from workflows.db import session_scope

    engine = app.extensions["cdht"].engine
    published = Task.apply_async  # the `sent` fixture's recorder
    down = _DownBroker()
    monkeypatch.setattr(Task, "apply_async", down)
    dispatch.breaker.reset()
    effects = [Effect(RENDER, "c1"), Effect(EffectKind.NOTIFY_RECOGNISED, "a1"),
               Effect(RENDER, "c2", timedelta(seconds=30))]
    try:
        with app.test_request_context("/chair/decisions", method="POST"):  # as a request sends them
            assert dispatch.send(effects) == 0
            # One attempt, then the web process leaves the broker alone: no other request waits on it.
            assert down.attempts == 1 and not dispatch.breaker.allows()
            assert dispatch.send([Effect(RENDER, "c3")]) == 0 and down.attempts == 1
        with app.app_context():  # a command or a worker keeps no one waiting: it tries, and parks again
            assert dispatch.drain_outbox(engine) == (0, 4) and down.attempts == 2
        with session_scope(engine) as session:
            assert outbox.waiting(session) == 4
        result = app.test_cli_runner().invoke(args=["sweep"])
        assert result.exit_code == 1 and "4 still waiting" in result.output
        monkeypatch.setattr(Task, "apply_async", published)
        dispatch.breaker.reset()  # the pause is over
        result = app.test_cli_runner().invoke(args=["sweep"])
        assert result.exit_code == 0 and "sent 4 from the outbox (0 still waiting)" in result.output, result.output
    finally:
        dispatch.breaker.reset()
    assert sorted((name, args) for name, args, _options in sent) == [
        ("cdht.notify", ("a1", "notify_recognised")), ("cdht.render_certificate", ("c1",)),
        ("cdht.render_certificate", ("c2",)), ("cdht.render_certificate", ("c3",))]
    delayed = next(o["countdown"] for _n, args, o in sent if args == ("c2",))
    assert 0 < delayed <= 30  # still due when it was: the wait already spent in the outbox counts
    with session_scope(engine) as session:
        assert outbox.waiting(session) == 0
