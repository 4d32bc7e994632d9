"""Pages for the admin (placeholder until the pages are written)."""

from flask import Blueprint

from .access import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@require_role("city_admin")
def dashboard(actor: object) -> str:
    """Landing page."""
    return "ok"
