"""`make run`'s last step: web and worker started together, the address printed once it answers, on PORT."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from processes import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]



def test_the_address_is_printed_once_it_answers_on_the_port_asked_for(app, runtime_env, tmp_path) -> None:
    port = free_port()
    log = tmp_path / "run.log"
    env = {**os.environ, **runtime_env, "PORT": str(port)}
    env.pop("PUBLIC_BASE_URL")  # the embedded default follows the port
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "webapp.devserver"], cwd=ROOT, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        line = f"CDHT is running at http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while line not in log.read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        # Printed only once the address answers: it answers now, without waiting.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
            assert reply.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
    assert server.returncode == 0
    with pytest.raises(urllib.error.URLError):  # Ctrl-C (here SIGTERM) stopped the web app with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
