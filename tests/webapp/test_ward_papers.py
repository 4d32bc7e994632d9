"""A city administrator sets who issues and signs a ward's papers: the page previews the lines, a bad field is named,
each change is audited, and the ward's signer follows (ward rows are reference data: the test puts them back)."""

import gc
import warnings
from collections.abc import Iterator

import pytest
from factories import csrf, make_staff, signed_in
from sqlmodel import Session, select

from workflows.models import AuditEvent, Ward
from workflows.signers import ward_signer

CODE = "00070"


@pytest.fixture(autouse=True)
def _collected() -> Iterator[None]:
    """Collect this module's garbage before the next module runs. On PostgreSQL a connection of this module's run is
    finalised unclosed at some later garbage collection (found by collecting after every test; the cause is not
    found yet, noted for its own issue): collected here, it cannot fail an unrelated test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture
def ward(session: Session) -> Iterator[Ward]:
    row = session.get(Ward, CODE)
    assert row is not None
    yield row
    session.refresh(row)
    row.issuer_name, row.signing_mode, row.signer_title = None, "tm", None
    session.add(row)
    session.commit()


def test_the_admin_sets_a_wards_signature_block(web, session: Session, ward: Ward) -> None:
    make_staff(session, "city_admin", ward=None, username="admin-papers")
    admin = signed_in(web, "admin-papers")
    page = admin.get(f"/admin/wards/{CODE}/papers")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "TM. ỦY BAN NHÂN DÂN" in html and "CHỦ TỊCH" in html
    assert f'href="/admin/wards/{CODE}/papers"' in admin.get(f"/admin/wards/{CODE}").get_data(as_text=True)

    bad = admin.post(f"/admin/wards/{CODE}/papers", data={"csrf_token": csrf(html), "issuer_name": "X" * 121,
                                                          "signing_mode": "kt", "signer_title": ""})
    assert bad.status_code == 422 and 'href="#issuer_name"' in bad.get_data(as_text=True)
    assert "tối đa 120 ký tự" in bad.get_data(as_text=True)
    odd = admin.post(f"/admin/wards/{CODE}/papers", data={"csrf_token": csrf(html), "signing_mode": "president"})
    assert odd.status_code == 422 and 'href="#signing_mode-tm"' in odd.get_data(as_text=True)

    saved = admin.post(f"/admin/wards/{CODE}/papers", data={"csrf_token": csrf(html), "issuer_name": "",
                                                            "signing_mode": "kt", "signer_title": "phó chủ tịch "})
    assert saved.status_code == 302
    after = admin.get(f"/admin/wards/{CODE}/papers").get_data(as_text=True)
    assert "KT. CHỦ TỊCH" in after and "Đã lưu" in after
    session.refresh(ward)
    signer = ward_signer(ward)
    assert (signer.signing_line, signer.signer_title) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert signer.authority.startswith("Chủ tịch Ủy ban nhân dân")
    [event] = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "ward",
                                                    AuditEvent.entity_id == CODE)).all()
    assert event.detail["signing_mode"] == {"from": "tm", "to": "kt"}

    # The same settings again change nothing and add no audit row.
    again = admin.post(f"/admin/wards/{CODE}/papers", data={"csrf_token": csrf(after), "signing_mode": "kt",
                                                            "signer_title": "PHÓ CHỦ TỊCH"})
    assert again.status_code == 302
    assert len(session.exec(select(AuditEvent).where(AuditEvent.entity_type == "ward")).all()) == 1


def test_only_city_administrators_see_it(web, session: Session) -> None:
    make_staff(session, "ward_chair", ward=CODE, username="chair-papers")
    chair = signed_in(web, "chair-papers")
    assert chair.get(f"/admin/wards/{CODE}/papers").status_code == 404
    make_staff(session, "city_admin", ward=None, username="admin-papers-2")
    assert signed_in(web, "admin-papers-2").get("/admin/wards/99999/papers").status_code == 404
