"""Pages for the chair (placeholder until the pages are written)."""

from flask import Blueprint

from .access import require_role

bp = Blueprint("chair", __name__, url_prefix="/chair")


@bp.get("/")
@require_role("ward_chair")
def home(actor: object) -> str:
    """Landing page."""
    return "ok"
