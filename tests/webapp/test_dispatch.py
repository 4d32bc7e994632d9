"""The one dispatcher: a few effects go out one task each; a decision's thousands go out in a few fan-out messages."""

from datetime import timedelta

import pytest
from celery.app.task import Task

from webapp import dispatch
from workflows.effects import Effect, EffectKind

RENDER = EffectKind.RENDER_CERTIFICATE


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, tuple, dict]]:
    """Messages handed to the broker: (task name, args, options); nothing is really sent."""
    calls: list[tuple[str, tuple, dict]] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, **options: calls.append(
        (self.name, tuple(args or ()), options)))
    return calls


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
    assert fan_out(RENDER.value, chunks[0]) == len(chunks[0])  # the worker's side: one render task per id
    assert [args for _name, args, _options in sent] == [(i,) for i in chunks[0]]
