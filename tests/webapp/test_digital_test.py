"""The built-in basic digital skills test: drawn per attempt, resumed not restarted, scored on the server, the answer
key never in a page or an answer before submission, limited per period; a pass is a verified attainment."""

import re
from datetime import timedelta

from factories import PASSWORD, make_citizen
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from workflows.clock import now
from workflows.digital import attempts, counters, items
from workflows.models import DigitalAttainment, DigitalTestAttempt

BANK = items.get()


def _right(attempt: dict) -> dict[str, int]:
    return {i["id"]: BANK.items[i["id"]].answer for i in attempt["items"]}


def _wrong(attempt: dict) -> dict[str, int]:
    return {i["id"]: (BANK.items[i["id"]].answer + 1) % len(i["choices"]) for i in attempt["items"]}


# --- scoring, as properties ------------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(seed=st.text(min_size=1, max_size=12), data=st.data())
def test_scoring_counts_right_answers_per_area(seed: str, data: st.DataObject) -> None:
    form = BANK.draw(seed)
    answers = {i: data.draw(st.integers(0, len(BANK.items[i].choices) - 1)) for i in form
               if data.draw(st.booleans())}
    result = attempts.score(BANK, form, answers)
    right = [i for i in form if answers.get(i) == BANK.items[i].answer]
    assert (result.correct, result.total) == (len(right), len(form))
    assert 0 <= result.overall <= 1 and set(result.by_area) == {BANK.items[i].area for i in form}
    for area, share in result.by_area.items():
        asked = [i for i in form if BANK.items[i].area == area]
        assert share == sum(1 for i in asked if i in right) / len(asked)
    perfect = attempts.score(BANK, form, {i: BANK.items[i].answer for i in form})
    assert perfect.overall == 1 and all(v == 1 for v in perfect.by_area.values())


@settings(max_examples=100, deadline=None)
@given(seed=st.text(min_size=1, max_size=12))
def test_a_form_is_stratified_by_area(seed: str) -> None:
    form = BANK.draw(seed)
    areas = sorted({i.area for i in BANK.items.values()})
    assert len(form) == len(set(form)) == len(areas) * BANK.form.per_area
    assert all(sum(1 for i in form if BANK.items[i].area == a) == BANK.form.per_area for a in areas)
    assert form == BANK.draw(seed)  # the attempt's id decides its form: a resumed attempt shows the same


# --- through the API -------------------------------------------------------------------------------------------


def test_no_answer_key_before_submission_and_a_pass_is_verified(api, session: Session) -> None:
    _, cccd = make_citizen(session)
    me = api.token(cccd)
    started = api.call("POST", "/api/v1/digital/tests", me, json={})
    assert started.status_code == 201
    body = started.get_data(as_text=True)
    assert '"answer"' not in body and "explanation" not in body
    for item in started.json["items"]:
        assert BANK.items[item["id"]].explanation not in body
    again = api.call("POST", "/api/v1/digital/tests", me, json={})
    assert again.status_code == 200 and again.json["id"] == started.json["id"]  # resumed, not restarted
    assert again.json["items"] == started.json["items"]
    result = api.call("POST", f"/api/v1/digital/tests/{started.json['id']}/submit", me,
                      json={"answers": _right(started.json)})
    assert result.status_code == 200 and result.json["passed"] and result.json["score"] == 1
    assert result.json["attainment"]["state"] == "verified"
    earned = session.exec(select(DigitalAttainment)).one()
    assert (earned.kind, earned.state, earned.counts) == ("test", "verified", True)
    assert counters.check(session) == [] and counters.holders_by_ward(session, now().year) == {"00004": 1}
    twice = api.call("POST", f"/api/v1/digital/tests/{started.json['id']}/submit", me, json={"answers": {}})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "attempt_submitted"


def test_a_fail_records_nothing_and_attempts_are_limited(api, session: Session) -> None:
    _, cccd = make_citizen(session)
    me = api.token(cccd)
    for _ in range(BANK.form.max_attempts):
        attempt = api.call("POST", "/api/v1/digital/tests", me, json={}).json
        failed = api.call("POST", f"/api/v1/digital/tests/{attempt['id']}/submit", me,
                          json={"answers": _wrong(attempt)}).json
        assert failed["passed"] is False and failed["attainment"] is None and failed["advice"]
    limited = api.call("POST", "/api/v1/digital/tests", me, json={})
    assert limited.status_code == 429 and limited.json["error"]["code"] == "attempt_limit"
    assert session.exec(select(DigitalAttainment)).all() == []
    for row in session.exec(select(DigitalTestAttempt)).all():  # the period passes
        row.started_at = now() - timedelta(days=BANK.form.attempt_period_days + 1)
        session.add(row)
    session.commit()
    assert api.call("POST", "/api/v1/digital/tests", me, json={}).status_code == 201


def test_another_citizens_attempt_does_not_exist_and_bad_answers_are_named(api, session: Session) -> None:
    _, mine = make_citizen(session)
    _, theirs = make_citizen(session)
    attempt = api.call("POST", "/api/v1/digital/tests", api.token(mine), json={}).json
    other = api.call("POST", f"/api/v1/digital/tests/{attempt['id']}/submit", api.token(theirs), json={"answers": {}})
    assert other.status_code == 404
    first = attempt["items"][0]["id"]
    bad = api.call("POST", f"/api/v1/digital/tests/{attempt['id']}/submit", api.token(mine),
                   json={"answers": {first: 9}})
    assert bad.status_code == 422 and bad.json["error"]["field_codes"] == {f"answers.{first}": "invalid_choice"}


# --- the pages, without JavaScript ---------------------------------------------------------------------------------


def login(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    signed = client.post("/login", data={"csrf_token": _csrf(page), "username": username, "password": PASSWORD})
    assert signed.status_code == 302


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_the_test_pages_save_each_part_resume_and_never_show_the_key(client, session: Session) -> None:
    _, cccd = make_citizen(session)
    login(client, cccd)
    page = client.get("/citizen/digital").get_data(as_text=True)
    started = client.post("/citizen/digital/test", data={"csrf_token": _csrf(page)})
    assert started.status_code == 302
    url = started.headers["Location"]
    attempt = session.exec(select(DigitalTestAttempt)).one()
    parts = sorted({BANK.items[i].area for i in attempt.item_ids})
    for n, area in enumerate(parts, 1):
        form = client.get(url if "part=" in url else f"{url}?part={n}").get_data(as_text=True)
        ids = [i for i in attempt.item_ids if BANK.items[i].area == area]
        for i in ids:
            assert BANK.items[i].explanation not in form
        if n == 2:  # a part sent without its answers is refused, and nothing is lost
            empty = client.post(f"/citizen/digital/test/{attempt.id}",
                                data={"csrf_token": _csrf(form), "part": n, "action": "next"})
            assert empty.status_code == 422 and "Chọn một câu trả lời" in empty.get_data(as_text=True)
        answers = {f"q-{i}": BANK.items[i].answer for i in ids}
        sent = client.post(f"/citizen/digital/test/{attempt.id}", data={
            "csrf_token": _csrf(form), "part": n, "action": "submit" if n == len(parts) else "next", **answers})
        assert sent.status_code == 302, sent.get_data(as_text=True)[:500]
        url = sent.headers["Location"]
        if n == 3:  # the connection drops: the start button now resumes the same attempt
            again = client.post("/citizen/digital/test", data={"csrf_token": _csrf(form)})
            assert again.headers["Location"].endswith(f"/citizen/digital/test/{attempt.id}")
    result = client.get(url).get_data(as_text=True)
    assert "/result" in url and BANK.items[attempt.item_ids[0]].explanation in result
    session.refresh(attempt)
    assert attempt.passed is True and attempt.attainment_id is not None
