"""The workers' view (Flower, flowerconfig.py; ADR 45): it does not start without credentials, and refuses a request
without them or with wrong ones."""

import base64
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from processes import ROOT, free_port

pytestmark = pytest.mark.integration
CREDENTIALS = "ops:a-long-operator-password"



def _flower(env: dict[str, str], port: int, out: int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "worker", "flower", f"--port={port}"], cwd=ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _status(port: int, credentials: str | None) -> int:
    headers = {"Authorization": "Basic " + base64.b64encode(credentials.encode()).decode()} if credentials else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/workers", headers=headers),
                                    timeout=5) as reply:
            return reply.status
    except urllib.error.HTTPError as refused:
        return refused.code


@pytest.fixture
def flower(runtime_env: dict[str, str], app) -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    proc = _flower({**env, **runtime_env, "FLOWER_BASIC_AUTH": CREDENTIALS}, port, subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert proc.poll() is None, "Flower stopped"
            assert time.monotonic() < deadline, "Flower did not start"
            time.sleep(0.3)
    yield port
    proc.terminate()
    proc.wait(timeout=30)


def test_flower_refuses_to_start_without_credentials(runtime_env: dict[str, str], app) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWER_")}
    proc = _flower({**env, **runtime_env}, free_port())
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0 and b"Flower needs credentials: set FLOWER_BASIC_AUTH" in out


def test_flower_asks_for_credentials_and_lets_the_operator_in(flower: int) -> None:
    assert _status(flower, None) == 401
    assert _status(flower, "ops:wrong-password") == 401
    assert _status(flower, CREDENTIALS) == 200
