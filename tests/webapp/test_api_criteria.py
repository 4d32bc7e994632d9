"""GET /api/v1/criteria: the published versions as the contract shapes them, for anyone; drafts never."""

from criteria_sets import remove_test_sets
from sqlmodel import Session

from workflows import criteria
from workflows.actors import SYSTEM_ACTOR


def test_published_sets_with_the_wording_of_each_group(client, session: Session) -> None:
    rv = client.get("/api/v1/criteria")
    assert rv.status_code == 200
    items = {i["version"]: i for i in rv.json["items"]}
    qd324 = items["QD-324-KHVN-2023"]
    assert (qd324["pass_total"], qd324["pass_each"], qd324["valid_from"]) == (80, 5, 2024)
    assert {"QD-244-KHVN-2022", "QD-324-KHVN-2023"} <= set(items)
    indicators = [i for k in qd324["competences"] for i in k["indicators"]]
    assert len(indicators) == 10 and indicators[0]["code"] == "I.1" and indicators[0]["max"] == 10
    assert set(indicators[0]["text"]) == {"residents", "workers", "staff", "students"}
    assert all(indicators[0]["text"].values()) and all(indicators[0]["text_en"].values())
    criteria.draft_from(session, SYSTEM_ACTOR, "QD-324-KHVN-2023", "TEST-DRAFT-2031", 2031)
    session.commit()
    try:
        assert "TEST-DRAFT-2031" not in {i["version"] for i in client.get("/api/v1/criteria").json["items"]}
    finally:
        remove_test_sets(session)
