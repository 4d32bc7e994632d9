"""Offline verification: the signed payload in the QR code and attached to a PDF/A-3b, checked with keys only."""

import base64
import io
import json
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from factories import sample_certificate
from PIL import Image

from certificates import offline
from certificates.offline import BadKeys, b64url, keys_document, parse_keys, seal, unb64url, verify, verify_qr
from certificates.qr import qr_png
from certificates.render import CertificateRenderer
from certificates.signing import canonical_payload, generate_private_key_pem, public_key_pem, sign

DATA = sample_certificate()
WARD = "00004"


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.fixture(scope="module")
def old_key() -> bytes:
    return generate_private_key_pem()


@pytest.fixture(scope="module")
def new_key() -> bytes:
    return generate_private_key_pem()


@pytest.fixture(scope="module")
def sealed_pdf(renderer: CertificateRenderer, new_key: bytes) -> bytes:
    return renderer.render(DATA, seal(DATA, ward_code=WARD, private_key_pem=new_key))


def keys_of(active: bytes, *retired: bytes) -> dict:
    return keys_document(public_key_pem(active), [public_key_pem(k) for k in retired])


def with_attachment(pdf_bytes: bytes, content: bytes) -> bytes:
    """The same PDF with its payload file's content replaced (what a forger would do)."""
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        spec = pdf.attachments[offline.ATTACHMENT_NAME]
        spec.obj.EF.F.write(content)
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def attached(pdf_bytes: bytes) -> dict:
    content = offline.read_attachment(pdf_bytes)
    assert content is not None
    return json.loads(content)


def qr_text(pdf_bytes: bytes) -> str:
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.fail("apt-get install poppler-utils zbar-tools")
    texts = offline.read_qr_codes(pdf_bytes)
    assert len(texts) == 1, texts
    return texts[0]


# ---- the payload ---------------------------------------------------------------------------------------------------


def test_payload_is_canonical_nfc_json_of_the_printed_facts(new_key: bytes) -> None:
    decomposed = unicodedata.normalize("NFD", "Lê Hoàng Yến")
    sealed = seal(replace(DATA, holder_name=decomposed), ward_code=WARD, private_key_pem=new_key)
    facts = json.loads(sealed.payload)
    assert canonical_payload(facts) == sealed.payload  # sorted keys, no spaces, UTF-8
    assert facts == {
        "v": 1, "code": "7K3QW-M9TXA", "name": "Lê Hoàng Yến", "dob": "1990-03-07", "ward_code": "00004",
        "ward_name": "phường Ba Đình", "title": "Công dân học tập", "year": 2025, "decision_number": "125/QĐ-UBND",
        "decision_date": "2025-07-30", "register_number": "HN-00004-2025-000001",
        "kid": keys_of(new_key)["keys"][0]["kid"],
    }
    assert facts["name"] == unicodedata.normalize("NFC", decomposed)


def test_keys_document_follows_the_contract(old_key: bytes, new_key: bytes) -> None:
    doc = keys_of(new_key, old_key, new_key)  # the active key listed as retired too: listed once, active
    assert [k["status"] for k in doc["keys"]] == ["active", "retired"]
    for entry in doc["keys"]:
        assert set(entry) == {"kid", "alg", "public_key", "status"} and entry["alg"] == "Ed25519"
        assert len(unb64url(entry["public_key"])) == 32 and "=" not in entry["public_key"]
    assert set(parse_keys(doc)) == {k["kid"] for k in doc["keys"]}


@pytest.mark.parametrize("broken", [
    {}, {"keys": {}}, {"keys": [1]},
    {"keys": [{"kid": "x", "alg": "Ed25519", "public_key": "AAAA", "status": "active"}]},
    {"keys": [{"kid": "0000000000000000", "alg": "Ed25519", "public_key": b64url(bytes(32)), "status": "active"}]},
])
def test_malformed_keys_documents_are_refused(broken: dict) -> None:
    with pytest.raises(BadKeys):
        parse_keys(broken)


def test_a_kid_must_belong_to_its_key(old_key: bytes, new_key: bytes) -> None:
    doc = keys_of(new_key)
    doc["keys"][0]["kid"] = keys_of(old_key)["keys"][0]["kid"]
    with pytest.raises(BadKeys, match="kid"):
        parse_keys(doc)
    for field, value in (("alg", "RS256"), ("status", "revoked")):
        other = keys_of(new_key)
        other["keys"][0][field] = value
        with pytest.raises(BadKeys, match=field):
            parse_keys(other)


# ---- verifying a PDF: good, tampered, unknown key, rotated key ------------------------------------------------------


def test_a_sealed_certificate_verifies_offline(sealed_pdf: bytes, new_key: bytes) -> None:
    verdict = verify(sealed_pdf, keys_of(new_key))
    assert (verdict.valid, verdict.reason, verdict.key_status, verdict.source) == (True, None, "active", "attachment")
    assert verdict.facts is not None and verdict.facts["name"] == "Lê Hoàng Yến"
    assert verdict.facts["code"] == DATA.code and verdict.kid == keys_of(new_key)["keys"][0]["kid"]


@pytest.mark.parametrize(("field", "value"), [
    ("name", "Kẻ Giả Mạo"), ("dob", "1990-03-08"), ("year", 2026), ("ward_code", "00070"),
    ("decision_number", "999/QĐ-UBND"), ("register_number", "HN-00004-2025-000002"), ("code", "AAAAA-BBBBB"),
])
def test_changing_any_signed_field_fails(sealed_pdf: bytes, new_key: bytes, field: str, value: object) -> None:
    document = attached(sealed_pdf)
    facts = json.loads(unb64url(document["payload"]))
    forged = canonical_payload({**facts, field: value})
    tampered = with_attachment(sealed_pdf, canonical_payload({**document, "payload": b64url(forged)}))
    verdict = verify(tampered, keys_of(new_key))
    assert (verdict.valid, verdict.reason, verdict.facts) == (False, offline.BAD_SIGNATURE, None)


def test_a_payload_signed_by_an_unknown_key_fails(sealed_pdf: bytes, old_key: bytes, new_key: bytes) -> None:
    verdict = verify(sealed_pdf, keys_of(old_key))
    assert (verdict.valid, verdict.reason, verdict.kid) == (False, offline.UNKNOWN_KEY,
                                                            keys_of(new_key)["keys"][0]["kid"])
    # A forger's own key, named in the payload: unknown too.
    forger = generate_private_key_pem()
    forged = seal(replace(DATA, holder_name="Kẻ Giả Mạo"), ward_code=WARD, private_key_pem=forger)
    tampered = with_attachment(sealed_pdf, forged.attachment())
    assert verify(tampered, keys_of(new_key)).reason == offline.UNKNOWN_KEY
    # ...or the forger signs a payload naming the real key's id: the signature fails under the real key.
    facts = {**json.loads(forged.payload), "kid": keys_of(new_key)["keys"][0]["kid"]}
    message = canonical_payload(facts)
    lying = offline.Seal(message, sign(forger, message))
    assert verify(with_attachment(sealed_pdf, lying.attachment()), keys_of(new_key)).reason == offline.BAD_SIGNATURE


def test_after_rotation_old_certificates_verify_under_the_retired_key(
        renderer: CertificateRenderer, old_key: bytes, new_key: bytes, sealed_pdf: bytes) -> None:
    earlier = replace(DATA, code="00000-11111", verify_url="https://cdht.example.vn/xac-thuc/00000-11111")
    old_pdf = renderer.render(earlier, seal(earlier, ward_code=WARD, private_key_pem=old_key))
    rotated = keys_of(new_key, old_key)
    old_verdict, new_verdict = verify(old_pdf, rotated), verify(sealed_pdf, rotated)
    assert (old_verdict.valid, old_verdict.key_status) == (True, "retired")
    assert (new_verdict.valid, new_verdict.key_status) == (True, "active")
    # Dropping the old key (a compromised one is removed, not retired) makes its certificates unknown.
    assert verify(old_pdf, keys_of(new_key)).reason == offline.UNKNOWN_KEY


def test_pdfs_without_a_payload_and_other_bytes(renderer: CertificateRenderer, new_key: bytes) -> None:
    assert verify(renderer.render(DATA), keys_of(new_key)).reason == offline.NO_PAYLOAD  # issued before ADR 27
    assert verify(b"not a pdf at all", keys_of(new_key)).reason == offline.NOT_A_PDF


@pytest.mark.parametrize("content", [
    b"", b"{", b"[]", b'{"format":"cdht-offline-1","alg":"Ed25519","payload":"!!","signature":"x"}',
    b'{"format":"other","alg":"Ed25519","payload":"e30","signature":"x"}',
])
def test_malformed_attachments_fail(sealed_pdf: bytes, new_key: bytes, content: bytes) -> None:
    assert verify(with_attachment(sealed_pdf, content), keys_of(new_key)).reason == offline.MALFORMED


def test_json_nested_past_the_parser_is_malformed_not_a_recursion_error(sealed_pdf: bytes, new_key: bytes) -> None:
    """An attachment, or a first-form QR payload (4 kB at most: 2,000 lists), nested deeper than Python's parser goes
    is malformed like any other bad JSON, before its signature is even looked at."""
    deep = b"[" * 100_000 + b"]" * 100_000
    assert verify(with_attachment(sealed_pdf, deep), keys_of(new_key)).reason == offline.MALFORMED
    lists = b"[" * 2000 + b"]" * 2000
    verdict = verify_qr(f"{DATA.verify_url}#p={b64url(lists)}&s={b64url(bytes(64))}", keys_of(new_key))
    assert verdict.reason == offline.MALFORMED


def test_a_signed_payload_with_fields_missing_or_added_is_malformed(sealed_pdf: bytes, new_key: bytes) -> None:
    facts = json.loads(seal(DATA, ward_code=WARD, private_key_pem=new_key).payload)
    for changed in ({k: v for k, v in facts.items() if k != "dob"}, {**facts, "cccd": "001190012345"},
                    {**facts, "year": "2025"}):
        message = canonical_payload(changed)
        odd = offline.Seal(message, sign(new_key, message))
        verdict = verify(with_attachment(sealed_pdf, odd.attachment()), keys_of(new_key))
        assert (verdict.valid, verdict.reason) == (False, offline.MALFORMED)
    spaced = json.dumps(facts, indent=1).encode()  # signed, but not canonical
    verdict = verify(with_attachment(sealed_pdf, offline.Seal(spaced, sign(new_key, spaced)).attachment()),
                     keys_of(new_key))
    assert verdict.reason == offline.MALFORMED


# ---- the QR code ---------------------------------------------------------------------------------------------------


def test_the_qr_code_is_the_verify_url_with_the_payload_in_its_fragment(sealed_pdf: bytes, new_key: bytes) -> None:
    text = qr_text(sealed_pdf)
    url, fragment = text.split("#", 1)
    assert url == DATA.verify_url  # a phone opens the verification page; the fragment never reaches the server
    assert fragment == seal(DATA, ward_code=WARD, private_key_pem=new_key).fragment
    verdict = verify_qr(text, keys_of(new_key))
    assert (verdict.valid, verdict.source) == (True, "qr")
    assert verdict.facts == verify(sealed_pdf, keys_of(new_key)).facts


def _compact(fragment: str) -> tuple[bytes, list[str]]:
    blob = base64.b32decode(fragment + "=" * (-len(fragment) % 8))
    return blob[:73], blob[73:].decode("utf-8").split("\x1f")


def _fragment(head: bytes, values: list[str]) -> str:
    return base64.b32encode(head + "\x1f".join(values).encode("utf-8")).decode("ascii").rstrip("=")


def test_the_qr_fragment_is_compact_base32(sealed_pdf: bytes, new_key: bytes) -> None:
    fragment = qr_text(sealed_pdf).split("#", 1)[1]
    assert set(fragment) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")  # the QR code's alphanumeric mode
    head, values = _compact(fragment)
    assert head[0] == offline.QR_FORM and head[1:9].hex() == verify(sealed_pdf, keys_of(new_key)).kid
    assert values[0] == unicodedata.normalize("NFC", DATA.holder_name) and len(values) == len(offline.QR_FIELDS)


def test_a_tampered_qr_text_fails(sealed_pdf: bytes, new_key: bytes, old_key: bytes) -> None:
    text = qr_text(sealed_pdf)
    url, fragment = text.split("#", 1)
    head, values = _compact(fragment)
    keys = keys_of(new_key)
    forged = [("Kẻ Giả Mạo" if n == 0 else v) for n, v in enumerate(values)]
    assert verify_qr(f"{url}#{_fragment(head, forged)}", keys).reason == offline.BAD_SIGNATURE
    assert verify_qr(text, keys_of(old_key)).reason == offline.UNKNOWN_KEY
    other_url = url.replace(DATA.code, "00000-11111")  # a genuine payload under another certificate's URL
    assert verify_qr(f"{other_url}#{fragment}", keys).reason == offline.BAD_SIGNATURE
    assert verify_qr(url, keys).reason == offline.NO_PAYLOAD
    year = offline.QR_FIELDS.index("year")
    for broken in (fragment[:60], fragment.lower(), _fragment(b"\x02" + head[1:], values),
                   _fragment(head, values[:-1]), _fragment(head, [*values, "x"]),
                   _fragment(head, [("0" + v if n == year else v) for n, v in enumerate(values)]),
                   _fragment(head, [("２０２５" if n == year else v) for n, v in enumerate(values)])):
        assert verify_qr(f"{url}#{broken}", keys).reason == offline.MALFORMED, broken


def test_the_first_keyed_qr_form_still_verifies(new_key: bytes) -> None:
    sealed = seal(DATA, ward_code=WARD, private_key_pem=new_key)
    url = DATA.verify_url
    keyed = f"{url}#p={b64url(sealed.payload)}&s={sealed.signature}"
    assert verify_qr(keyed, keys_of(new_key)).valid
    forged = b64url(canonical_payload({**json.loads(sealed.payload), "name": "Kẻ Giả Mạo"}))
    assert verify_qr(f"{url}#p={forged}&s={sealed.signature}", keys_of(new_key)).reason == offline.BAD_SIGNATURE
    assert verify_qr(f"{url}#p={b64url(sealed.payload)}", keys_of(new_key)).reason == offline.MALFORMED
    other_url = url.replace(DATA.code, "00000-11111")
    assert verify_qr(keyed.replace(url, other_url), keys_of(new_key)).reason == offline.MALFORMED


def test_a_control_character_is_never_signed(new_key: bytes) -> None:
    with pytest.raises(ValueError, match="control character"):
        seal(replace(DATA, holder_name="Lê\x1fVăn"), ward_code=WARD, private_key_pem=new_key)


@pytest.mark.parametrize(("name", "modules"), [("Nguyễn Thị Hương", 65),
                                               ("Nguyễn Thị Thanh Hương Ngọc Diễm Phương", 73)])
def test_the_qr_symbol_stays_small_enough_to_print(new_key: bytes, name: str, modules: int) -> None:
    """A usual name fits a 65-module symbol at level M, 0.41 mm a module on the 30 mm print with its quiet zone; a
    name twice as long, 73 modules (0.37 mm): both read by a phone's camera from the paper."""
    data = replace(DATA, holder_name=name)
    text = seal(data, ward_code=WARD, private_key_pem=new_key).qr_url(data.verify_url)
    with Image.open(io.BytesIO(qr_png(text))) as image:
        assert image.size[0] <= modules + 8, image.size


def test_qr_and_attachment_must_agree(sealed_pdf: bytes, new_key: bytes, renderer: CertificateRenderer) -> None:
    keys = keys_of(new_key)
    assert offline.verify_with_qr(sealed_pdf, keys, [qr_text(sealed_pdf)]).valid
    other = replace(DATA, holder_name="Trần Đức Ấn")
    other_qr = seal(other, ward_code=WARD, private_key_pem=new_key).qr_url(DATA.verify_url)
    assert offline.verify_with_qr(sealed_pdf, keys, [other_qr]).reason == offline.QR_DIFFERS


# ---- the archival PDF ----------------------------------------------------------------------------------------------


def test_sealed_pdf_is_pdf_a_3b_with_its_payload_attached(sealed_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0 and "No syntax or stream encoding errors found" in check.stdout, check.stdout
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.7"
        meta = pdf.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1 and intents[0].S == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
        assert len(intents[0].DestOutputProfile.read_bytes()) > 1000  # the sRGB ICC profile itself
        spec = pdf.attachments[offline.ATTACHMENT_NAME]
        assert spec.obj.AFRelationship == "/Supplement"
        assert [f.objgen for f in pdf.Root.AF] == [spec.obj.objgen]  # listed once in the catalogue's /AF
        embedded = spec.obj.EF.F
        assert embedded.Subtype == "/application/json" and "/ModDate" in embedded.Params
        assert json.loads(embedded.read_bytes())["format"] == "cdht-offline-1"


def test_sealed_pdf_embeds_and_subsets_its_fonts(sealed_pdf: bytes, tmp_path: Path) -> None:
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed_pdf)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert len(rows) >= 3
    for row in rows:
        assert "+CDHT-Serif" in row and row.split()[-5:-2] == ["yes", "yes", "yes"], row  # emb, sub, uni


def test_a_sealed_render_gives_the_same_bytes_every_time(
        renderer: CertificateRenderer, sealed_pdf: bytes, new_key: bytes) -> None:
    assert renderer.render(DATA, seal(DATA, ward_code=WARD, private_key_pem=new_key)) == sealed_pdf
    assert CertificateRenderer().render(DATA, seal(DATA, ward_code=WARD, private_key_pem=new_key)) == sealed_pdf


def test_a_batch_carries_one_payload_at_most(renderer: CertificateRenderer, new_key: bytes) -> None:
    other = replace(DATA, code="00000-11111")
    with pytest.raises(ValueError, match="one certificate"):
        renderer.render_many([DATA, other], [seal(d, ward_code=WARD, private_key_pem=new_key) for d in (DATA, other)])
