"""The web process never loads WeasyPrint: only workers render (it costs about a second and 100+ MB per process)."""

import subprocess
import sys
from pathlib import Path

PROBE = """
import sys, tempfile
from webapp import create_app
from webapp.config import from_env
app = create_app(from_env({"CDHT_INSTANCE_PATH": tempfile.mkdtemp()}))
client = app.test_client()
assert client.get("/").status_code == 200
assert client.get("/api/openapi.json").status_code == 200
import webapp.tasks  # the web process sends tasks, so it imports their module
print("weasyprint" in sys.modules)
import certificates
certificates.default_renderer  # asking for the renderer is what loads it
print("weasyprint" in sys.modules)
"""


def test_web_app_does_not_import_weasyprint() -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=root, capture_output=True, text=True, timeout=120,
                         check=True)
    assert out.stdout.split() == ["False", "True"], out.stderr
