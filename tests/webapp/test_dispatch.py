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
