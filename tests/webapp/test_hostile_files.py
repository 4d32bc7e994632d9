"""A corpus of hostile evidence files (issue: uploads). Each is refused with a clear message or stored neutralised:
PDFs come out without scripts, actions that run or open something, or embedded files; a PDF past the page cap, a
truncated one, a bomb of pixels or a file in disguise is refused."""

import io

import pikepdf
import pytest
from factories import png
from PIL import Image

from webapp import pdf_sanitiser
from webapp.evidence import _clean_content
from workflows.errors import Invalid


def _pdf(build) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    build(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _js(pdf: pikepdf.Pdf, code: str = "app.alert('x')") -> pikepdf.Dictionary:
    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Action, S=pikepdf.Name.JavaScript,
                                                JS=pikepdf.String(code)))


def _open_action(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = _js(pdf)


def _names_javascript(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(
        Names=pikepdf.Array([pikepdf.String("start"), _js(pdf)])))


def _page_and_annotation_actions(pdf: pikepdf.Pdf) -> None:
    page = pdf.pages[0].obj
    page.AA = pikepdf.Dictionary(O=_js(pdf))
    launch = pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"),
                                Win=pikepdf.Dictionary(F=pikepdf.String("cmd.exe")))
    uri = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("https://example.vn/"),
                             Next=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("this.print()")))
    page.Annots = pikepdf.Array([
        pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                             Rect=[0, 0, 50, 50], A=launch)),
        pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                             Rect=[50, 50, 100, 100], A=uri))])


def _embedded_file(pdf: pikepdf.Pdf) -> None:
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00 not really a program")
    page = pdf.pages[0].obj
    page.Annots = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 20, 20],
        FS=pikepdf.AttachedFileSpec(pdf, b"second payload").obj))])


def _form_script(pdf: pikepdf.Pdf) -> None:
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(), XFA=pdf.make_stream(b"<xdp:xdp><script/>"))


def _active_content(data: bytes) -> list[str]:
    """What a reader could run or extract, found anywhere in the file's objects."""
    found = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found += [f"attachment {name}" for name in pdf.attachments]
        for obj in [*pdf.objects, pdf.Root]:
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                text = repr(obj)
                found += [key for key in ("/JavaScript", "/JS", "/Launch", "/OpenAction", "/EmbeddedFile", "/XFA",
                                          "/FileAttachment", "/AA") if key in text]
    return found


@pytest.mark.parametrize("build", [_open_action, _names_javascript, _page_and_annotation_actions, _embedded_file,
                                   _form_script])
def test_active_pdf_content_is_removed_and_the_page_kept(build) -> None:
    hostile = _pdf(build)
    assert _active_content(hostile), "the sample must carry what it is meant to"
    clean = _clean_content(hostile, "application/pdf")
    assert _active_content(clean) == []
    with pikepdf.open(io.BytesIO(clean)) as pdf:
        assert len(pdf.pages) == 1
    # A plain link to a web page stays a link.
    if build is _page_and_annotation_actions:
        with pikepdf.open(io.BytesIO(clean)) as pdf:
            actions = [str(a.A.get("/S", "")) for a in pdf.pages[0].obj.Annots if "/A" in a]
        assert "/URI" in actions


def test_a_polyglot_keeps_only_its_pdf() -> None:
    """A PDF with an HTML page and a ZIP after its end: the rewritten file is the PDF alone."""
    tail = b"\n<html><script>alert(1)</script></html>\nPK\x03\x04" + b"\x00" * 30
    clean = _clean_content(_pdf(lambda pdf: None) + tail, "application/pdf")
    assert b"<script>" not in clean and b"PK\x03\x04" not in clean


def _refused(data: bytes, content_type: str) -> str:
    with pytest.raises(Invalid) as refused:
        _clean_content(data, content_type)
    return refused.value.fields["evidence"]


def test_refused_files_say_why() -> None:
    many = pikepdf.new()
    for _ in range(pdf_sanitiser.MAX_PAGES + 1):
        many.add_blank_page()
    out = io.BytesIO()
    many.save(out)
    assert _refused(out.getvalue(), "application/pdf") == "too_many_pages"
    whole = _pdf(lambda pdf: None)
    assert _refused(whole[: len(whole) // 3], "application/pdf") == "file_damaged"  # truncated
    assert _refused(b"%PDF-1.7\n" + b"\x00" * 200, "application/pdf") == "file_damaged"  # a header, nothing else
    bomb = io.BytesIO()  # a PNG that claims 20,000 × 20,000 pixels (400 M) in a few kilobytes
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG")
    assert _refused(bomb.getvalue(), "image/png") == "file_too_large"
    assert _refused(png((1, 2, 3))[:40], "image/png") == "file_damaged"  # truncated picture


def test_the_page_cap_message_names_the_cap(app) -> None:
    from webapp.i18n import message

    assert str(pdf_sanitiser.MAX_PAGES) in message("too_many_pages", "en", max_pages=pdf_sanitiser.MAX_PAGES)
