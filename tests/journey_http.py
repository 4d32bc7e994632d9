"""The spine's journey over real HTTP, through the JSON API (docs/api.md), for tests that run the web app as a server
(another release's gunicorn, or the processes docs/deploy.md starts): register, sign in, open an application, log an
activity, self-assess, submit, the reviewer's proposal, the chair's decision; then wait for a worker to issue it."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from factories import citizen_data, scores


class Client:
    """The JSON API over HTTP, as a mobile app or a partner system calls it."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.request(method, f"{self.base}{path}", headers=headers, timeout=30, **kwargs)

    def token(self, username: str, password: str) -> str:
        rv = self.call("POST", "/api/v1/auth/token", json={"username": username, "password": password})
        assert rv.status_code == 200, rv.text
        return str(rv.json()["token"])


@dataclass
class Decided:
    """What the journey leaves: the citizen's token, the chair's token, the decision as answered and its certificate's
    code."""

    citizen: str
    chair: str
    decision: dict[str, Any]
    code: str


def recognised(client: Client, year: int, full_name: str, reviewer: tuple[str, str], chair: tuple[str, str],
               ward: str = "00004") -> Decided:
    """A citizen of `ward` registers and applies for `year`; the reviewer (username, password) proposes them and the
    chair decides. Every answer is checked on the way."""
    person = citizen_data(ward, full_name=full_name)
    rv = client.call("POST", "/api/v1/citizens", json=person)
    assert rv.status_code == 201, rv.text
    me = client.token(person["cccd"], person["password"])
    rv = client.call("POST", "/api/v1/applications", me, json={"year": year})
    assert rv.status_code == 201, rv.text
    aid = rv.json()["id"]
    activity = {"title": "Lớp tin học cơ bản", "kind": "club", "hours": "20", "started_on": f"{year}-01-15"}
    rv = client.call("POST", f"/api/v1/applications/{aid}/activities", me, data=activity)
    assert rv.status_code == 201, rv.text
    rv = client.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me, json={"scores": scores(9)})
    assert rv.status_code == 200, rv.text
    rv = client.call("POST", f"/api/v1/applications/{aid}/submit", me)
    assert rv.status_code == 200 and rv.json()["state"] == "submitted", rv.text

    rv = client.call("POST", f"/api/v1/applications/{aid}/review", client.token(*reviewer),
                     json={"action": "approve", "version": rv.json()["version"], "scores": scores(9)})
    assert rv.status_code == 200 and rv.json()["state"] == "approved", rv.text  # proposed for recognition
    chair_token = client.token(*chair)
    rv = client.call("POST", "/api/v1/decisions", chair_token, json={
        "year": year, "number": "47/QĐ-UBND", "signed_on": f"{year}-01-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": [aid]})
    assert rv.status_code == 201, rv.text
    decision = rv.json()
    return Decided(me, chair_token, decision, decision["certificates"][0]["code"])


def wait_issued(client: Client, decided: Decided, alive: Callable[[], str | None], seconds: float = 120) -> None:
    """Until a worker issued the decision's certificate; `alive` names a dead process (then the wait stops)."""
    deadline = time.monotonic() + seconds
    path = f"/api/v1/decisions/{decided.decision['id']}"
    while (progress := client.call("GET", path, decided.chair).json())["issued"] < 1:
        assert progress["failed"] == 0, progress
        dead = alive()
        assert dead is None, dead
        assert time.monotonic() < deadline, f"no worker issued the certificate: {progress}"
        time.sleep(0.5)
