"""Bad input gets a 4xx JSON error naming the field, and nothing is written."""

import pytest
from factories import citizen_data, make_citizen, scores, signed_in
from sqlmodel import Session, func, select

from workflows.models import AuditEvent, Citizen, User


def _counts(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return (session.exec(select(func.count()).select_from(Citizen)).one(),
            session.exec(select(func.count()).select_from(User)).one(),
            session.exec(select(func.count()).select_from(AuditEvent)).one())


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"cccd": "12345"}, "cccd", "cccd_format"),
        ({"cccd": "001090ABCDEF"}, "cccd", "cccd_format"),
        ({"date_of_birth": "1985-05-17"}, "cccd", "cccd_birth_mismatch"),
        ({"cccd": "003090123456"}, "cccd", "cccd_province"),  # 003 lies in a gap between assigned codes
        ({"ward_code": "99999"}, "ward_code", "unknown_ward"),
        ({"full_name": None}, "full_name", "required"),
        ({"consent": False}, "consent", "consent_required"),
        ({"date_of_birth": "17/05/1990"}, "date_of_birth", "date_format"),
        ({"sex": "x"}, "sex", "invalid_choice"),
        ({"password": "short"}, "password", "password_too_short"),
    ],
)
def test_registration_rejects_field(api, session: Session, change: dict, field: str, code: str) -> None:
    data = citizen_data(year=1990) | change
    before = _counts(session)
    rv = api.call("POST", "/api/v1/citizens", json={k: v for k, v in data.items() if v is not None})
    assert rv.status_code == 422, rv.json
    assert rv.json["error"]["field_codes"][field] == code
    assert rv.json["error"]["fields"][field]  # a translated message
    assert _counts(session) == before


def test_a_registered_cccd_gets_the_same_answer_and_writes_nothing(api, session: Session) -> None:
    """ADR 43: the answer tells no one who is registered; nothing but the audit record of the attempt is written."""
    data = citizen_data()
    first = api.call("POST", "/api/v1/citizens", json=data)
    assert first.status_code == 201
    before = _counts(session)
    rv = api.call("POST", "/api/v1/citizens", json=data | {"full_name": "Người Khác"})
    assert rv.status_code == 201 and rv.json.keys() == first.json.keys() and rv.json["id"] != first.json["id"]
    assert rv.json["full_name"] == "Người Khác"
    assert _counts(session) == (before[0], before[1], before[2] + 1)  # the attempt's audit record only


def test_not_json_is_400(api) -> None:
    rv = api.call("POST", "/api/v1/citizens", data="not json", content_type="application/json")
    assert rv.status_code == 400 and rv.json["error"]["code"] == "bad_json"


# Deeper than the parser's recursion limit, just under it (parses, then anything that walks it recurses), and
# deeper than any request of ours but harmless: all three are bad JSON, answered before sign-in is even looked at.
DEEP = ["[" * 100_000 + "]" * 100_000, '{"a":' * 900 + "1" + "}" * 900, '{"year": ' + "[" * 40 + "]" * 40 + "}"]


@pytest.mark.parametrize("body", DEEP, ids=["100000-lists", "900-objects", "40-lists"])
def test_deeply_nested_json_is_400_before_sign_in(api, body: str) -> None:
    rv = api.call("POST", "/api/v1/auth/token", data=body, content_type="application/json")
    assert rv.status_code == 400, rv.get_data(as_text=True)
    assert rv.json["error"]["code"] == "bad_json" and rv.json["error"]["message"]


@pytest.mark.parametrize("body", DEEP, ids=["100000-lists", "900-objects", "40-lists"])
def test_deeply_nested_json_is_400_when_signed_in(api, session: Session, body: str) -> None:
    _actor, username = make_citizen(session)
    rv = api.call("POST", "/api/v1/applications", api.token(username), data=body, content_type="application/json")
    assert rv.status_code == 400, rv.get_data(as_text=True)
    assert rv.json["error"]["code"] == "bad_json"
    assert api.call("GET", "/api/v1/me", api.token(username)).status_code == 200  # the server is fine


@pytest.mark.parametrize(("lang", "said"), [("vi", "lồng nhau không quá 32 cấp"), ("en", "nested at most 32 levels")])
def test_deeply_nested_json_is_named_in_the_callers_language(api, lang: str, said: str) -> None:
    rv = api.call("POST", "/api/v1/citizens", {"Accept-Language": lang}, data=DEEP[0], content_type="application/json")
    assert rv.status_code == 400 and said in rv.json["error"]["message"]


@pytest.mark.parametrize("body", DEEP, ids=["100000-lists", "900-objects", "40-lists"])
def test_deeply_nested_json_sent_to_a_page_is_a_400_page(client, body: str) -> None:
    rv = client.get("/login?lang=en", data=body, content_type="application/json")
    assert rv.status_code == 400 and "nested at most 32 levels" in rv.get_data(as_text=True)
    assert client.post("/login", data=body, content_type="application/json").status_code == 400  # no CSRF token


def test_nesting_in_a_query_string_is_only_text(api, session: Session) -> None:
    """A query string is flat: brackets in it are a name searched for, not JSON, on the API and the page alike."""
    from factories import make_staff

    make_staff(session, "ward_reviewer", username="rev-brackets")
    deep = "%5B" * 10_000 + "%5D" * 10_000
    rv = api.call("GET", f"/api/v1/review/queue?q={deep}&assignee={deep}", api.token("rev-brackets"))
    assert rv.status_code == 200 and rv.json["items"] == []
    page = signed_in(api.client.application, "rev-brackets").get(f"/reviewer/?q={deep}")
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("bad", "field"),
    [({"I.1": 11}, "scores.I.1"), ({"I.1": -1}, "scores.I.1"), ({"I.1": "9"}, "scores.I.1"),
     ({"I.1": 8.5}, "scores.I.1"), ({"X.9": 5}, "scores.X.9")],
)
def test_scores_out_of_range_rejected(api, session: Session, bad: dict, field: str) -> None:
    _actor, username = make_citizen(session)
    me = api.token(username)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    rv = api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me, json={"scores": bad})
    assert rv.status_code == 422 and field in rv.json["error"]["fields"]
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["self_scores"] == {}


def test_submit_incomplete_is_422(api, session: Session) -> None:
    _actor, username = make_citizen(session)
    me = api.token(username)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    partial = {k: v for k, v in scores(9).items() if k != "III.2"}
    api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me, json={"scores": partial})
    rv = api.call("POST", f"/api/v1/applications/{aid}/submit", me)
    assert rv.status_code == 422
    assert set(rv.json["error"]["fields"]) == {"self_scores", "activities"}
    assert api.call("GET", f"/api/v1/applications/{aid}", me).json["state"] == "draft"


def test_second_application_same_year_is_409(api, session: Session) -> None:
    _actor, username = make_citizen(session)
    me = api.token(username)
    assert api.call("POST", "/api/v1/applications", me, json={"year": 2026}).status_code == 201
    assert api.call("POST", "/api/v1/applications", me, json={"year": 2026}).status_code == 409
    assert api.call("POST", "/api/v1/applications", me, json={"year": "abc"}).status_code == 422


def test_evidence_checked_by_content(api, session: Session) -> None:
    import io

    from PIL import Image

    _actor, username = make_citizen(session)
    me = api.token(username)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    form = {"title": "Lớp tiếng Anh", "kind": "course", "hours": "30", "started_on": "2026-01-10"}
    fake = {**form, "evidence": (io.BytesIO(b"MZ\x90\x00 not an image"), "anh.png")}
    rv = api.call("POST", f"/api/v1/applications/{aid}/activities", me, data=fake,
                  content_type="multipart/form-data")
    assert rv.status_code == 422 and rv.json["error"]["field_codes"]["evidence"] == "file_type"
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, "PNG")
    buf.seek(0)
    rv = api.call("POST", f"/api/v1/applications/{aid}/activities", me, data={**form, "evidence": (buf, "a.png")},
                  content_type="multipart/form-data")
    assert rv.status_code == 201 and rv.json["evidence"]["content_type"] == "image/png"
    activities = api.call("GET", f"/api/v1/applications/{aid}", me).json["activities"]
    assert len(activities) == 1


def test_full_width_cccd_digits_are_the_same_ascii_number(api, session: Session) -> None:
    data = citizen_data(cccd="００１０９０１２３４５６")
    rv = api.call("POST", "/api/v1/citizens", json=data)
    assert rv.status_code == 201, rv.json  # NFKC makes full-width digits ASCII: stored as ASCII, and only once
    assert rv.json["cccd_masked"] == "001******456"
    again = api.call("POST", "/api/v1/citizens", json=data | {"cccd": "001090123456"})
    assert again.status_code == 201 and again.json.keys() == rv.json.keys()  # the same answer (ADR 43) …
    assert session.exec(select(func.count()).select_from(Citizen)).one() == 1  # … and nothing created


def test_arabic_indic_cccd_digits_are_refused(api, session: Session) -> None:
    rv = api.call("POST", "/api/v1/citizens", json=citizen_data(cccd="٠٠١٠٩٠١٢٣٤٥٦"))
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"cccd": "cccd_format"}


@pytest.mark.parametrize(
    ("path", "raw_json", "status", "code", "field_codes"),
    [
        ("/api/v1/applications", '{"year": 1e999}', 422, "invalid", {"year": "not_integer"}),  # infinity
        ("/api/v1/applications", '{"year": "\u00b2"}', 422, "invalid", {"year": "not_integer"}),  # '²'
        ("/api/v1/applications", '{"year": [2026]}', 422, "invalid", {"year": "not_integer"}),
        # Unstorable text (a lone surrogate, NUL) is refused before any view, whatever the route.
        ("/api/v1/citizens", '{"full_name": "\\ud800"}', 400, "invalid_characters", {}),
        ("/api/v1/citizens", '{"full_name": "A\\u0000B"}', 400, "invalid_characters", {}),
        ("/api/v1/auth/token", '{"username": "a\\u0000", "password": "x"}', 400, "invalid_characters", {}),
    ],
)
def test_strange_values_are_4xx_not_500(api, session: Session, path: str, raw_json: str, status: int, code: str,
                                        field_codes: dict) -> None:
    _actor, username = make_citizen(session)
    rv = api.call("POST", path, api.token(username), data=raw_json, content_type="application/json")
    assert rv.status_code == status, rv.get_data(as_text=True)
    assert (rv.json["error"]["code"], rv.json["error"]["field_codes"]) == (code, field_codes)
    assert rv.json["error"]["message"]


def test_review_action_of_wrong_type_is_422(api, session: Session) -> None:
    from factories import make_staff, submitted_application

    citizen, _ = make_citizen(session)
    aid = submitted_application(session, citizen)
    make_staff(session, "ward_reviewer", username="rev-type")
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-type"),
                  json={"action": ["approve"], "version": 2})
    assert rv.status_code == 422 and rv.json["error"]["field_codes"]["action"] == "invalid_choice"


@pytest.mark.parametrize("query", ["?page=%C2%B2", "?page=0", "?page=99999999999999999999999"])
def test_queue_page_parameter_is_checked(api, session: Session, query: str) -> None:
    from factories import make_staff

    make_staff(session, "ward_reviewer", username="rev-page")
    rv = api.call("GET", f"/api/v1/review/queue{query}", api.token("rev-page"))
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"page": "out_of_range"}


@pytest.mark.parametrize("cursor", ["%25%25%25", "bm90IGEgY3Vyc29y", "MjAyNi0xMS0yN1QwMDowMDowMHxhYmM"])
def test_a_damaged_queue_cursor_is_named(api, session: Session, cursor: str) -> None:
    from factories import make_staff

    make_staff(session, "ward_reviewer", username="rev-cursor")
    rv = api.call("GET", f"/api/v1/review/queue?cursor={cursor}", api.token("rev-cursor"))
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"cursor": "invalid"}


def test_name_longer_after_nfc_is_refused_not_truncated(api, session: Session) -> None:
    import unicodedata

    # U+FB2C (HEBREW LETTER SHIN WITH DAGESH AND SHIN DOT) is excluded from composition: NFC spells it as 3 code
    # points. 67 of them are 67 characters as sent (within the 200 limit) and 201 once normalised (beyond it).
    name = "\ufb2c" * 67
    assert len(name) <= 200 < len(unicodedata.normalize("NFC", name))
    rv = api.call("POST", "/api/v1/citizens", json=citizen_data(full_name=name))
    assert rv.status_code == 422 and rv.json["error"]["field_codes"] == {"full_name": "too_long"}
    within = "\ufb2c" * 66  # 198 after NFC: accepted, stored whole in its NFC form
    rv = api.call("POST", "/api/v1/citizens", json=citizen_data(full_name=within))
    assert rv.status_code == 201, rv.json
    assert rv.json["full_name"] == unicodedata.normalize("NFC", within)


def _png_declaring(width: int, height: int) -> bytes:
    """A real, well-formed PNG of a few dozen bytes whose header claims width × height pixels."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b""))


@pytest.mark.parametrize(
    ("width", "height"),
    [(8000, 8000),  # 64 MP: above our MAX_PIXELS (40 MP), below Pillow's own limit, so only our cap refuses it
     (30000, 30000)],  # 900 MP: Pillow refuses it first (DecompressionBombError), the same answer
)
def test_decompression_bomb_is_refused_as_too_large(api, session: Session, monkeypatch, width: int,
                                                     height: int) -> None:
    import io

    from PIL import Image

    from webapp.evidence import MAX_PIXELS

    bomb = _png_declaring(width, height)
    with monkeypatch.context() as m:
        m.setattr(Image, "MAX_IMAGE_PIXELS", None)  # only to look at the header here
        with Image.open(io.BytesIO(bomb)) as probe:  # a real PNG: its header parses and declares the huge size
            assert probe.format == "PNG" and probe.size == (width, height)
    assert width * height > MAX_PIXELS and len(bomb) < 100
    _actor, username = make_citizen(session)
    me = api.token(username)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    form = {"title": "Lớp", "kind": "course", "hours": "3", "started_on": "2026-01-10"}
    rv = api.call("POST", f"/api/v1/applications/{aid}/activities", me,
                  data={**form, "evidence": (io.BytesIO(bomb), "bomb.png")}, content_type="multipart/form-data")
    assert rv.status_code == 422, rv.get_data(as_text=True)
    assert rv.json["error"]["field_codes"] == {"evidence": "file_too_large"}  # not file_damaged, not file_type


def test_polyglot_image_keeps_only_its_pixels(api, session: Session) -> None:
    import io

    from PIL import Image

    _actor, username = make_citizen(session)
    me = api.token(username)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    form = {"title": "Lớp", "kind": "course", "hours": "3", "started_on": "2026-01-10"}
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    polyglot = buf.getvalue() + b"<script>alert(1)</script>"
    rv = api.call("POST", f"/api/v1/applications/{aid}/activities", me,
                  data={**form, "evidence": (io.BytesIO(polyglot), "p.png")}, content_type="multipart/form-data")
    assert rv.status_code == 201
    stored = api.client.application.extensions["cdht"].storage
    key = f"evidence/{aid}/{rv.json['evidence']['sha256']}.png"
    assert b"<script>" not in stored.get(key)  # only the re-encoded pixels were kept


def test_a_limit_broken_is_named_in_the_message(api, session: Session) -> None:
    """A value too long or out of range says the limit, field by field, in the API and on the page; a check that
    knows no limit keeps the plain wording."""
    from workflows.errors import Invalid
    from workflows.inputs import ActivityInput, parse

    with pytest.raises(Invalid) as caught:
        parse(ActivityInput, {"title": "x" * 301, "kind": "course", "hours": "5000", "started_on": "2026-03-01",
                              "provider": "y" * 201})
    assert caught.value.fields == {"title": "too_long", "hours": "out_of_range", "provider": "too_long"}
    assert caught.value.params["limits"] == {"title": {"max": 300}, "hours": {"low": 1, "high": 2000},
                                             "provider": {"max": 200}}

    from webapp.i18n import field_params, message

    params = caught.value.params
    assert message("too_long", "vi", **field_params(params, "title")) == "Nội dung quá dài: viết tối đa 300 ký tự."
    assert message("out_of_range", "vi", **field_params(params, "hours")) == "Nhập một số nguyên từ 1 đến 2000."
    assert message("too_long", "en", **field_params(params, "provider")) == \
        "Too long: write at most 200 characters."
    assert message("too_long", "vi") == "Nội dung quá dài."  # no limit known: the plain wording

    from webapp.pages.formats import error_messages

    with api.client.application.test_request_context(headers={"Accept-Language": "vi"}):
        shown = error_messages(caught.value.fields, ["title", "hours"], {"hours": "hours-box"}, params)
    assert shown == {"title": "Nội dung quá dài: viết tối đa 300 ký tự.",
                     "hours-box": "Nhập một số nguyên từ 1 đến 2000.",
                     "provider": "Nội dung quá dài: viết tối đa 200 ký tự."}

    rv = api.call("POST", "/api/v1/citizens", json=citizen_data() | {"full_name": "Nguyễn " * 40})
    assert rv.status_code == 422 and rv.json["error"]["field_codes"]["full_name"] == "too_long"
    assert "tối đa" in rv.json["error"]["fields"]["full_name"], rv.json
