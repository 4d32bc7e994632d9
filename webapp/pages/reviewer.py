"""Pages for the reviewer (placeholder until the pages are written)."""

from flask import Blueprint

from .access import require_role

bp = Blueprint("reviewer", __name__, url_prefix="/reviewer")


@bp.get("/")
@require_role("ward_reviewer")
def queue(actor: object) -> str:
    """Landing page."""
    return "ok"
