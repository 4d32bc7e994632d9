"""JSON API v1 (contract in docs/api.md, document at /api/openapi.json); every route calls one domain function."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from . import (  # noqa: E402,F401
    applications,
    auth,
    certificates,
    citizens,
    criteria,
    decisions,
    digital,
    populations,
    privacy,
    review,
    rollup,
    ward_citizens,
)
