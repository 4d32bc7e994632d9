"""A PDF rewritten without what can act on the reader's machine: scripts, actions that run or open something, and
embedded files; what it shows (pages, text, pictures, links to web pages) is kept."""

import io

import pikepdf

MAX_PAGES = 50  # evidence of an activity is a certificate or a few pages, not a book
# Action types that run code, start programs, send or fetch data, or play embedded media.
ACTIVE = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/GoToE", "/GoToR",
                    "/RichMediaExecute", "/Rendition", "/Movie", "/Sound", "/Hide", "/SetOCGState"})
# Keys whose value holds a script, an action run on an event, or an embedded file.
REMOVED_KEYS = ("/JS", "/AA", "/OpenAction", "/EF", "/EmbeddedFiles", "/JavaScript", "/XFA", "/RichMediaContent")
ACTIVE_ANNOTATIONS = frozenset({"/FileAttachment", "/Movie", "/Sound", "/RichMedia", "/Screen", "/3D"})


class TooManyPages(ValueError):
    """More pages than MAX_PAGES."""


class NoPages(ValueError):
    """A PDF without a page."""


def sanitised(data: bytes) -> bytes:
    """The PDF rewritten clean (see the module); TooManyPages, NoPages, or pikepdf's errors for a damaged or
    encrypted file."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pages = len(pdf.pages)
        if pages < 1:
            raise NoPages()
        if pages > MAX_PAGES:
            raise TooManyPages(pages)
        for obj in pdf.objects:  # every indirect object; _clean walks into the direct ones inside
            if isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
                _clean(obj)
        _clean(pdf.Root)
        for page in pdf.pages:
            if "/Annots" in page.obj:
                page.obj.Annots = pikepdf.Array([a for a in page.obj.Annots if not _active_annotation(a)])
        out = io.BytesIO()
        pdf.save(out, fix_metadata_version=False)  # a fresh file: nothing after %%EOF, no earlier revisions
        return out.getvalue()


def _clean(obj: pikepdf.Object) -> None:
    """Strip one object and the direct objects inside it (indirect ones are visited on their own)."""
    if isinstance(obj, pikepdf.Array):
        for item in obj:
            if isinstance(item, pikepdf.Dictionary | pikepdf.Array) and not item.is_indirect:
                _clean(item)
        return
    if not isinstance(obj, pikepdf.Dictionary):
        return
    if str(obj.get("/S", "")) in ACTIVE:
        for key in list(obj.keys()):
            del obj[key]  # an empty dictionary: an action that does nothing
        return
    for key in REMOVED_KEYS:
        if key in obj:
            del obj[key]
    for key in list(obj.keys()):
        value = obj[key]
        if isinstance(value, pikepdf.Dictionary | pikepdf.Array) and not value.is_indirect:
            _clean(value)


def _active_annotation(annotation: pikepdf.Object) -> bool:
    return isinstance(annotation, pikepdf.Dictionary) and str(annotation.get("/Subtype", "")) in ACTIVE_ANNOTATIONS
