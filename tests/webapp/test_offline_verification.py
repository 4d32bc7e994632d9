"""Offline verification in the app: issued certificates carry the signed payload, the keys are published, the CLI
checks a PDF with no database, and keys rotate without breaking what was issued before (ADR 27)."""

import json
from pathlib import Path

import pytest
from closing import close_app
from factories import issued_certificate
from sqlmodel import Session

import certificates
from certificates import generate_private_key_pem, offline, storage_key
from workflows.models import Certificate

HOLDER = "Lê Hoàng Yến"
CACHED = ("signing_key", "public_key", "key_id", "retired_public_keys", "keys_document")


def _issued(api, session: Session, app, number: str = "41/QĐ-UBND") -> Certificate:
    return issued_certificate(api, session, app, number, HOLDER)


def _pdf(app, cert: Certificate) -> bytes:
    return app.extensions["cdht"].storage.get(storage_key(cert.year, cert.ward_code, cert.code))


@pytest.fixture
def use_keys(app, monkeypatch):
    """Change the runtime's keys for one test: `use(signing_key_pem, retired_pem_file)`; put back afterwards."""
    rt = app.extensions["cdht"]
    _ = rt.keys_document  # every cached key computed now, so that monkeypatch records the originals
    monkeypatch.setattr(rt.settings, "retired_public_keys_path", rt.settings.retired_public_keys_path)
    for name in CACHED:
        monkeypatch.setitem(rt.__dict__, name, rt.__dict__[name])

    def use(signing_key: bytes, retired: Path | None) -> None:
        for name in CACHED:
            rt.__dict__.pop(name, None)
        rt.__dict__["signing_key"] = signing_key
        rt.settings.retired_public_keys_path = retired

    return use


def test_keys_are_published_at_well_known(client, app) -> None:
    rv = client.get("/.well-known/cdht-keys.json")
    assert rv.status_code == 200 and rv.mimetype == "application/json"
    assert "max-age" in rv.headers["Cache-Control"] and rv.headers["Access-Control-Allow-Origin"] == "*"
    keys = rv.get_json()["keys"]
    assert keys == [{"kid": app.extensions["cdht"].key_id, "alg": "Ed25519",
                     "public_key": keys[0]["public_key"], "status": "active"}]
    assert offline.parse_keys(rv.get_json())  # the contract, checked by the parser a third party uses


def test_an_issued_certificate_verifies_offline_and_online(api, session: Session, app, client) -> None:
    cert = _issued(api, session, app)
    pdf = _pdf(app, cert)
    keys = client.get("/.well-known/cdht-keys.json").get_json()
    verdict = offline.verify(pdf, keys)
    assert (verdict.valid, verdict.key_status) == (True, "active")
    assert verdict.facts is not None
    assert (verdict.facts["code"], verdict.facts["name"], verdict.facts["ward_code"], verdict.facts["year"]) == (
        cert.code, HOLDER, cert.ward_code, cert.year)
    assert verdict.kid == cert.key_id
    # The signature over the whole PDF still holds: the verification page's "valid".
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json["valid"] is True


def test_a_certificate_stored_before_offline_verification_still_verifies_online(
        api, session: Session, app, monkeypatch) -> None:
    # Rendered without a payload, as every certificate issued before ADR 27 was.
    real = certificates.default_renderer()
    monkeypatch.setattr(real, "render", lambda data, seal=None, _render=real.render: _render(data))
    cert = _issued(api, session, app, "42/QĐ-UBND")
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json["valid"] is True
    assert offline.verify(_pdf(app, cert), app.extensions["cdht"].keys_document).reason == offline.NO_PAYLOAD


def test_after_rotation_new_certificates_use_the_new_key_and_old_ones_stay_valid(
        api, session: Session, app, client, use_keys, tmp_path: Path) -> None:
    rt = app.extensions["cdht"]
    old_private, old_kid = rt.signing_key, rt.key_id
    before = _issued(api, session, app, "43/QĐ-UBND")
    # Rotation as the README says: a new SIGNING_KEY_PATH, the old public key appended to RETIRED_PUBLIC_KEYS.
    retired = tmp_path / "retired.pem"
    retired.write_bytes(certificates.public_key_pem(old_private))
    use_keys(generate_private_key_pem(), retired)
    after = _issued(api, session, app, "44/QĐ-UBND")

    assert before.key_id == old_kid and after.key_id == rt.key_id != old_kid
    keys = client.get("/.well-known/cdht-keys.json").get_json()
    assert [(k["kid"], k["status"]) for k in keys["keys"]] == [(rt.key_id, "active"), (old_kid, "retired")]
    old_verdict, new_verdict = offline.verify(_pdf(app, before), keys), offline.verify(_pdf(app, after), keys)
    assert (old_verdict.valid, old_verdict.key_status) == (True, "retired")
    assert (new_verdict.valid, new_verdict.key_status) == (True, "active")
    # Online, the page checks the whole-PDF signature under whichever known key signed it.
    for cert in (before, after):
        assert api.call("GET", f"/api/v1/verify/{cert.code}").json["valid"] is True
    # Without the retired key, what it signed is no longer valid, online or offline.
    use_keys(rt.signing_key, None)
    assert api.call("GET", f"/api/v1/verify/{before.code}").json["valid"] is False
    assert offline.verify(_pdf(app, before), rt.keys_document).reason == offline.UNKNOWN_KEY


def test_cli_keys_and_verify(api, session: Session, app, tmp_path: Path) -> None:
    cert = _issued(api, session, app, "45/QĐ-UBND")
    runner = app.test_cli_runner()
    printed = runner.invoke(args=["certificates", "keys"])
    assert printed.exit_code == 0, printed.output
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(printed.output)
    assert json.loads(printed.output) == app.extensions["cdht"].keys_document
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(_pdf(app, cert))

    ok = runner.invoke(args=["certificates", "verify", str(pdf), "--keys", str(keys_file), "--qr"])
    assert ok.exit_code == 0, ok.output
    assert "VALID" in ok.output and HOLDER in ok.output and "and the QR code" in ok.output

    other_keys = tmp_path / "other.json"
    other_keys.write_text(json.dumps(offline.keys_document(certificates.public_key_pem(generate_private_key_pem()))))
    unknown = runner.invoke(args=["certificates", "verify", str(pdf), "--keys", str(other_keys)])
    assert unknown.exit_code == 1 and "not among the keys" in unknown.output

    bad_keys = tmp_path / "bad.json"
    bad_keys.write_text('{"keys": [{"kid": "x"}]}')
    refused = runner.invoke(args=["certificates", "verify", str(pdf), "--keys", str(bad_keys)])
    assert refused.exit_code == 2 and "not a keys document" in refused.output

    not_pdf = tmp_path / "note.pdf"
    not_pdf.write_text("hello")
    refused = runner.invoke(args=["certificates", "verify", str(not_pdf)])
    assert refused.exit_code == 2 and "is not a PDF" in refused.output


def test_retired_keys_come_from_one_pem_file(tmp_path: Path) -> None:
    from webapp.config import ConfigError, from_env
    from webapp.runtime import Runtime

    with pytest.raises(ConfigError, match="RETIRED_PUBLIC_KEYS"):
        from_env({"CDHT_INSTANCE_PATH": str(tmp_path), "RETIRED_PUBLIC_KEYS": str(tmp_path / "missing.pem")})
    first, second = (certificates.public_key_pem(generate_private_key_pem()) for _ in range(2))
    retired = tmp_path / "retired.pem"
    retired.write_bytes(first + second)
    settings = from_env({"CDHT_INSTANCE_PATH": str(tmp_path), "RETIRED_PUBLIC_KEYS": str(retired)})
    rt = Runtime(settings=settings, engine=None, storage=None)  # type: ignore[arg-type]
    assert [k["status"] for k in rt.keys_document["keys"]] == ["active", "retired", "retired"]
    assert rt.public_keys == [rt.public_key, first, second]


def test_a_web_node_with_the_public_key_only_verifies_and_never_reads_the_private_key(
        api, session: Session, app, settings, tmp_path: Path) -> None:
    """Least privilege: web nodes get PUBLIC_KEY_PATH, only workers hold the signing key (ADR 38)."""
    import dataclasses

    from webapp import create_app

    cert = _issued(api, session, app, "45/QĐ-UBND")
    public = tmp_path / "public.pem"
    public.write_bytes(app.extensions["cdht"].public_key)
    # A production node whose signing key file is absent: reading it would raise.
    web = create_app(dataclasses.replace(settings, env="production", public_key_path=public,
                                         signing_key_path=tmp_path / "absent.pem"))
    try:
        client = web.test_client()
        keys = client.get("/.well-known/cdht-keys.json").get_json()
        assert [k["kid"] for k in keys["keys"]] == [app.extensions["cdht"].key_id]
        assert client.get(f"/api/v1/verify/{cert.code}").get_json()["valid"] is True
        assert client.get(f"/verify/{cert.code}").status_code == 200
        with pytest.raises(RuntimeError, match="signing key not found"):
            _ = web.extensions["cdht"].signing_key
        # The wrong public key beside a signing key is refused rather than published.
        other = tmp_path / "other.pem"
        other.write_bytes(certificates.public_key_pem(generate_private_key_pem()))
        mismatched = create_app(dataclasses.replace(settings, public_key_path=other))
        with pytest.raises(RuntimeError, match="not the public half"):
            _ = mismatched.extensions["cdht"].public_key
        close_app(mismatched)
    finally:
        close_app(web)
