"""The web tier under load: gunicorn on PostgreSQL, a city of 1,000,000, 64 signed-in clients for 60 s.

Usage: .venv/bin/python -m benchmarks.load [--citizens 1000000] [--backlog 20000] [--clients 64] [--seconds 60]
       [--warmup 5] [--workers N] [--threads N] [--client-processes 1]

A fresh PostgreSQL database (created here, dropped at the end even on error or SIGTERM), migrated and seeded, filled
by the synthetic city (workflows.synthetic.generate) with a backlog of `--backlog` submitted applications in ward
00004. A sample of its live certificates is issued for real (a PDF in storage, signed with this run's key), so that
verification walks the path of a genuine certificate, then the whole database is vacuumed and analysed. gunicorn
starts from gunicorn.conf.py (`--workers`/`--threads` passed as WEB_CONCURRENCY/WEB_THREADS only when given, the
worker class from WEB_WORKER_CLASS as deployed: sync by default, ADR 49) in production mode, on a free local port,
its access log written to /dev/null.

The load runs in a separate process (standard library only: asyncio streams and a minimal HTTP/1.1 keep-alive
client with its own cookie jar). Each client is given one kind and signs in once, as a real user, before the clock
starts: a cookie session through the sign-in form (CSRF token included) for pages, a bearer token from
POST /api/v1/auth/token for the API (the session cookie is Secure in production: the client sends it over plain
HTTP, as the TLS-terminating proxy in front of gunicorn would). The kinds, clients spread evenly over them:

  citizen_home   GET /citizen/ as a citizen (each client another citizen, in another ward) with an application
  application    GET /api/v1/applications/<own application> with that citizen's bearer token
  queue_page     GET /reviewer/?state=submitted as reviewer00004, then its "Next page" link (a keyset cursor) a few
                 times before starting over
  queue_api      GET /api/v1/review/queue?state=submitted, then `cursor=<next_cursor>` a few times
  review_page    GET /reviewer/applications/<a random submitted application of ward 00004>
  dashboard      GET /admin/ as admin (the city roll-up)
  verification   GET /verify/<a random issued certificate>, anonymous; the answer must say valid
  healthz        GET /healthz

Every answer must be a 200 with the body the kind expects. A redirect (to the sign-in page or elsewhere: nothing is
followed), a 200 that is the sign-in page, a 401/403 or any other status, a wrong body, no answer within 30 s or a
broken connection is an error. A keep-alive connection the server closed while idle is reopened once, as browsers
do (`reconnects`); while the others sign in, clients that are ready keep their connection open with a /healthz now
and then. Requests that start in the `--warmup` seconds are not measured; those that start in the measured window
are, with their latency from the request's start to its answer's last byte (a reconnection included).

One JSON line on stdout: `kinds` (per kind: clients, requests, rps, p50_ms, p95_ms, p99_ms, errors), the totals
`requests` and `rps`, `worst_p95_ms` (the worst kind's p95; target ≤ 300), `errors` (target 0), `queue_to_healthz`
(the queue page's requests/s ÷ /healthz's in the same run; target ≥ 0.30), `client_cpu_s` (CPU the load processes
used while measured: they share the machine with the server), `reconnects` (while measured) and
`connections_per_worker` (the clients' connections each gunicorn worker held in the middle of the run, most first).
Progress, error samples and gunicorn's complaints on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import html
import json
import math
import multiprocessing
import os
import random
import re
import runpy
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from benchmarks import deployment
from benchmarks.scratch import SECRET_KEY, free_port, keyed_engine, log, postgres_database
from certificates import (
    S3Access,
    Storage,
    generate_private_key_pem,
    key_id,
    public_key_pem,
    sign,
    signed_payload,
    storage_from_url,
)
from certificates import storage_key as certificate_storage_key
from webapp.cli import alembic_config
from workflows.clock import today
from workflows.db import make_engine, session_scope
from workflows.identity_seal import seal_of
from workflows.models import Certificate
from workflows.seed import seed_reference
from workflows.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
WARD = "00004"  # the backlog's ward, reviewed by reviewer00004
KINDS = ("citizen_home", "application", "queue_page", "queue_api", "review_page", "dashboard", "verification",
         "healthz")
PAGE_SIZE = 25  # workflows.review.PAGE_SIZE
QUEUE_STEPS = 4  # "Next page" followed this many times before a queue walk starts over
REQUEST_TIMEOUT_S = 30.0
HEALTHY_TIMEOUT_S = 90.0  # gunicorn's workers build the app before /healthz answers
SIGN_IN_TIMEOUT_S = 300.0
KEEP_WARM_S = 2.0
SIGN_IN_CONCURRENCY = 4  # argon2 is slow on purpose: do not make the server hash 64 passwords at once
ISSUED_SAMPLE = 500  # live certificates given a stored PDF and a signature, for verification
PDF_BYTES = 48 * 1024  # about the size of a rendered certificate: verification reads and hashes the file
REVIEW_SAMPLE = 2_000
ERROR_SAMPLES = 5  # error descriptions kept per kind, for stderr
SIGN_IN_PAGE = b'name="password"'
SIGNED_IN_PAGE = b'class="logout"'  # base.html's sign-out form, on every page of a signed-in user


# --- What the orchestrator hands the load process ---------------------------------------------------------------


@dataclass(frozen=True)
class ClientPlan:
    """One client: its kind, who it signs in as (None: anonymous) and how, and what it may ask for."""

    kind: str
    username: str | None = None
    password: str = ""
    api: bool = False  # a bearer token instead of a cookie session
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcessPlan:
    """Everything one load process needs: where the server is, its clients, the queue walk's length."""

    host: str
    port: int
    clients: tuple[ClientPlan, ...]
    warmup: float
    seconds: float
    queue_steps: int


# --- A minimal HTTP/1.1 keep-alive client ------------------------------------------------------------------------


@dataclass
class Response:
    """A parsed answer: status, headers (lower-case names; Set-Cookie goes to the jar) and body."""

    status: int
    headers: dict[str, str]
    body: bytes


class StaleConnection(ConnectionResetError):
    """The server closed the connection before answering (a kept-alive connection it let go while idle)."""


class HttpClient:
    """One keep-alive connection and its cookie jar, as one browser tab or one API client holds them."""

    def __init__(self, host: str, port: int, agent: str) -> None:
        self.host, self.port, self.agent = host, port, agent
        self.cookies: dict[str, str] = {}
        self.reconnects = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def request(self, method: str, path: str, *, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> Response:
        """Send one request and read its answer, reopening once a kept-alive connection the server closed."""
        payload = self._encode(method, path, body, headers or {})
        for attempt in range(2):
            reused = self._writer is not None
            try:
                reader, writer = await self._connection()
                try:
                    writer.write(payload)
                    await writer.drain()
                except (ConnectionResetError, BrokenPipeError) as exc:
                    raise StaleConnection(str(exc)) from exc
                return await self._read(reader)
            except StaleConnection:
                self.close()
                if not reused or attempt:
                    raise
                self.reconnects += 1
            except BaseException:  # a time-out or a broken answer: the connection's state is unknown
                self.close()
                raise
        raise AssertionError("unreachable")

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    def _encode(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"User-Agent: {self.agent}",
                 "Accept: */*", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if body or method != "GET":
            lines.append(f"Content-Length: {len(body)}")
        lines.extend(f"{k}: {v}" for k, v in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body

    async def _read(self, reader: asyncio.StreamReader) -> Response:
        line = await reader.readline()
        if not line:
            raise StaleConnection("closed before the status line")
        version, status, _ = line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._keep_cookie(value)
            else:
                headers[name] = value
        code = int(status)
        body = await self._body(reader, code, headers)
        if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            self.close()
        return Response(code, headers, body)

    async def _body(self, reader: asyncio.StreamReader, status: int, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks = []
            while size := int((await reader.readline()).split(b";")[0].strip(), 16):
                chunks.append(await reader.readexactly(size))
                await reader.readexactly(2)
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):  # trailers
                pass
            return b"".join(chunks)
        if "content-length" in headers:
            return await reader.readexactly(int(headers["content-length"]))
        if status in (204, 304) or status < 200:
            return b""
        body = await reader.read()  # delimited by the end of the connection
        self.close()
        return body

    def _keep_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        attrs = attributes.lower().replace(" ", "")
        if not value or "max-age=0" in attrs or "expires=thu,01jan1970" in attrs:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


# --- Signing in -----------------------------------------------------------------------------------------------------


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


async def sign_in_page(http: HttpClient, username: str, password: str) -> None:
    """A cookie session through the sign-in form, with the CSRF token of the form's own page."""
    page = await http.request("GET", "/login")
    found = CSRF.search(page.body)
    if page.status != 200 or found is None:
        raise SystemExit(f"GET /login answered {page.status} without a CSRF token")
    form = urlencode({"csrf_token": found.group(1).decode(), "username": username, "password": password}).encode()
    answer = await http.request("POST", "/login", body=form,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    if answer.status != 302 or "/login" in answer.headers.get("location", "/login"):
        raise SystemExit(f"signing in as {username} failed: {answer.status} {answer.headers.get('location', '')}")


async def sign_in_api(http: HttpClient, username: str, password: str) -> str:
    """A bearer token for the API."""
    body = json.dumps({"username": username, "password": password}).encode()
    answer = await http.request("POST", "/api/v1/auth/token", body=body,
                                headers={"Content-Type": "application/json"})
    if answer.status != 200:
        raise SystemExit(f"a token for {username} failed: {answer.status} {answer.body[:200]!r}")
    return str(json.loads(answer.body)["token"])


# --- The kinds: what a client asks next, and what a right answer looks like ----------------------------------------


class Walker:
    """What one client of a kind asks for next, and what is wrong with an answer (None when it is right)."""

    kind: ClassVar[str]
    html: ClassVar[bool] = True  # a page: the sign-in page in its place means the session was lost
    signed_in: ClassVar[bool] = True  # a page of a signed-in user (with its sign-out form)

    def __init__(self, targets: tuple[str, ...], steps: int) -> None:
        self.targets, self.steps = targets, steps
        self.current = ""

    def next_path(self) -> str:
        """The path of the next request."""
        self.current = self.path()
        return self.current

    def path(self) -> str:
        """The path this kind asks for now."""
        raise NotImplementedError

    def check(self, body: bytes) -> str | None:
        """What is wrong with a 200's body, or None."""
        return None


class CitizenHome(Walker):
    """Năm của tôi: the citizen's home page."""

    kind = "citizen_home"

    def path(self) -> str:
        return "/citizen/"


class ApplicationApi(Walker):
    """The citizen's own application through the API; the answer must be that application."""

    kind = "application"
    html = False

    def path(self) -> str:
        return f"/api/v1/applications/{self.targets[0]}"

    def check(self, body: bytes) -> str | None:
        found = json.loads(body).get("id")
        return None if found == self.targets[0] else f"another application: {found}"


class QueuePage(Walker):
    """The reviewer's queue, page after page by its "Next page" link, then from the top again."""

    kind = "queue_page"
    FIRST = "/reviewer/?state=submitted"
    NEXT = re.compile(rb'<a rel="next" href="([^"]+)"')

    def __init__(self, targets: tuple[str, ...], steps: int) -> None:
        super().__init__(targets, steps)
        self.following, self.step = self.FIRST, 0

    def path(self) -> str:
        return self.following

    def check(self, body: bytes) -> str | None:
        if b"/reviewer/applications/" not in body:
            return "a queue page without applications"
        found = self.NEXT.search(body)
        if self.step >= self.steps or found is None:
            was = self.step
            self.following, self.step = self.FIRST, 0
            return None if found or self.steps == 0 else f"no Next page link on page {was + 1}"
        self.following, self.step = html.unescape(found.group(1).decode()), self.step + 1
        return None


class QueueApi(Walker):
    """The queue through the API, page after page by `next_cursor`; every page full (25)."""

    kind = "queue_api"
    html = False
    FIRST = "/api/v1/review/queue?state=submitted"

    def __init__(self, targets: tuple[str, ...], steps: int) -> None:
        super().__init__(targets, steps)
        self.following, self.step = self.FIRST, 0

    def path(self) -> str:
        return self.following

    def check(self, body: bytes) -> str | None:
        answer = json.loads(body)
        if len(answer.get("items", ())) != PAGE_SIZE:
            return f"{len(answer.get('items', ()))} items on a page"
        cursor = answer.get("next_cursor")
        if self.step >= self.steps or not cursor:
            was = self.step
            self.following, self.step = self.FIRST, 0
            return None if cursor or self.steps == 0 else f"no next_cursor on page {was + 1}"
        self.following, self.step = f"{self.FIRST}&cursor={quote(cursor)}", self.step + 1
        return None


class ReviewPage(Walker):
    """One submitted application of the ward, with its review form."""

    kind = "review_page"

    def path(self) -> str:
        return f"/reviewer/applications/{random.choice(self.targets)}?state=submitted"

    def check(self, body: bytes) -> str | None:
        return None if b'name="version"' in body else "no review form on the page"


class Dashboard(Walker):
    """The city administrator's dashboard, with its table of wards."""

    kind = "dashboard"

    def path(self) -> str:
        return "/admin/"

    def check(self, body: bytes) -> str | None:
        return None if b"<table" in body else "a dashboard without its table of wards"


class Verification(Walker):
    """Public verification of an issued certificate, which must be shown as valid."""

    kind = "verification"
    signed_in = False

    def path(self) -> str:
        return f"/verify/{random.choice(self.targets)}"

    def check(self, body: bytes) -> str | None:
        return None if b'class="facts"' in body else "the certificate is not shown as valid"


class Healthz(Walker):
    """The process answers: {"status": "ok"}."""

    kind = "healthz"
    html = False

    def path(self) -> str:
        return "/healthz"

    def check(self, body: bytes) -> str | None:
        return None if json.loads(body) == {"status": "ok"} else f"unexpected {body[:80]!r}"


WALKERS: dict[str, type[Walker]] = {w.kind: w for w in (CitizenHome, ApplicationApi, QueuePage, QueueApi,
                                                        ReviewPage, Dashboard, Verification, Healthz)}


def problem(walker: Walker, response: Response) -> str | None:
    """Why an answer is an error, or None: only a 200 with the expected body is right."""
    if 300 <= response.status < 400:
        where = response.headers.get("location", "")
        lost = " (the sign-in page: the session was lost)" if "/login" in where else ""
        return f"{response.status} redirect to {where}{lost}"
    if response.status != 200:
        return f"status {response.status}: {response.body[:160]!r}"
    if walker.html and SIGN_IN_PAGE in response.body:
        return "200 with the sign-in page (the session was lost)"
    if walker.html and walker.signed_in and SIGNED_IN_PAGE not in response.body:
        return "a page without the sign-out form (not signed in)"
    try:
        return walker.check(response.body)
    except (ValueError, AttributeError, TypeError) as exc:
        return f"an unreadable body ({type(exc).__name__}): {response.body[:80]!r}"


# --- The load process -----------------------------------------------------------------------------------------------


@dataclass
class Client:
    """A signed-in client: its connection, the headers it sends (a bearer token) and its walker."""

    http: HttpClient
    walker: Walker
    headers: dict[str, str] = field(default_factory=dict)

    async def fetch(self) -> str | None:
        """One request of the client's kind: None when right, else what went wrong."""
        path = self.walker.next_path()
        try:
            response = await asyncio.wait_for(self.http.request("GET", path, headers=self.headers),
                                              REQUEST_TIMEOUT_S)
        except TimeoutError:
            return f"GET {path}: no answer within {REQUEST_TIMEOUT_S:.0f} s"
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            return f"GET {path}: connection error {type(exc).__name__}: {exc}"
        error = problem(self.walker, response)
        return f"GET {path}: {error}" if error else None


@dataclass
class Tally:
    """What one kind measured in one process (plain data, to cross the process boundary)."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    warmup_errors: int = 0

    def add(self, elapsed_ms: float, error: str | None) -> None:
        """Count one measured request."""
        self.latencies_ms.append(elapsed_ms)
        if error:
            self.errors += 1
            if len(self.samples) < ERROR_SAMPLES:
                self.samples.append(error)


async def sign_in(plan: ClientPlan, host: str, port: int, number: int, gate: asyncio.Semaphore,
                  steps: int) -> Client:
    """A client of the plan's kind, signed in as its user (or anonymous)."""
    http = HttpClient(host, port, f"cdht-load/{number}")
    headers: dict[str, str] = {}
    async with gate:
        if plan.username and plan.api:
            headers["Authorization"] = f"Bearer {await sign_in_api(http, plan.username, plan.password)}"
        elif plan.username:
            await sign_in_page(http, plan.username, plan.password)
        else:  # anonymous: connect now all the same, like the others, rather than all at once at the start
            await http.request("GET", "/healthz")
    return Client(http, WALKERS[plan.kind](plan.targets, steps), headers)


class KeepWarm:
    """Clients signed in and waiting for the start ask for /healthz now and then, so that gunicorn (keepalive 5 s)
    does not close their connections: otherwise they would all reconnect at once at the start, and a worker that
    happens to be quick to accept would take most of them for the whole run."""

    def __init__(self) -> None:
        self.waiting: list[Client] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        """Ping the waiting clients every KEEP_WARM_S until stopped (an answer in flight is waited for)."""
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), KEEP_WARM_S)
            if not self.stop.is_set():
                await asyncio.gather(*(c.http.request("GET", "/healthz") for c in list(self.waiting)))

    async def sign_in(self, plan: ClientPlan, host: str, port: int, number: int, gate: asyncio.Semaphore,
                      steps: int) -> Client:
        """sign_in(), then wait among the warm."""
        client = await sign_in(plan, host, port, number, gate, steps)
        self.waiting.append(client)
        return client


async def keep_asking(client: Client, tally: Tally, start: float, end: float) -> None:
    """Ask, one request after the other, until the end; measure those that begin in [start, end)."""
    while (began := time.time()) < end:
        t0 = time.perf_counter()
        error = await client.fetch()
        elapsed_ms = (time.perf_counter() - t0) * 1000
        if began >= start:
            tally.add(elapsed_ms, error)
        elif error:
            tally.warmup_errors += 1
            if len(tally.samples) < ERROR_SAMPLES:
                tally.samples.append(f"(warm-up) {error}")


async def snapshot_at(moment: float, clients: list[Client]) -> tuple[float, int]:
    """This process's CPU seconds (user + system) and its clients' reconnections at a wall-clock moment."""
    await asyncio.sleep(max(0.0, moment - time.time()))
    return time.process_time(), sum(c.http.reconnects for c in clients)


async def load(plan: ProcessPlan, pipe: Pipe) -> dict[str, Any]:
    """Sign every client in, say ready, wait for the start, then load; the tallies as plain data."""
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)
    warm = KeepWarm()
    warming = asyncio.create_task(warm.run())
    clients = await asyncio.gather(*(warm.sign_in(c, plan.host, plan.port, i, gate, plan.queue_steps)
                                     for i, c in enumerate(plan.clients)))
    pipe.send(("ready", len(clients)))
    go = await asyncio.to_thread(pipe.recv)
    warm.stop.set()
    await warming
    start = float(go[1]) + plan.warmup
    end = start + plan.seconds
    tallies = {kind: Tally() for kind in KINDS}
    snapshots = asyncio.gather(snapshot_at(start, clients), snapshot_at(end, clients))
    await asyncio.gather(*(keep_asking(c, tallies[c.walker.kind], start, end) for c in clients))
    (cpu_start, reconnects_start), (cpu_end, reconnects_end) = await snapshots
    for c in clients:
        c.http.close()
    return {"kinds": {k: vars(t) for k, t in tallies.items()}, "cpu_s": cpu_end - cpu_start,
            "reconnects": reconnects_end - reconnects_start}


def client_process(plan: ProcessPlan, pipe: Pipe) -> None:
    """Entry point of a load process: its result (or why it failed) goes back through the pipe."""
    try:
        pipe.send(("done", asyncio.run(load(plan, pipe))))
    except BaseException as exc:
        pipe.send(("failed", f"{type(exc).__name__}: {exc}"))
        raise


# --- The orchestration ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Users:
    """Who signs in and what they ask for, picked from the database before the run."""

    password: str
    citizens: list[tuple[str, str]]  # (CCCD, their application of the year), from ward to ward
    submitted: list[str]  # submitted applications of ward 00004
    codes: list[str]  # issued certificates (stored PDF, valid signature)


def build_city(url: str, citizens: int, backlog: int, year: int) -> str:
    """Migrate, seed and generate the city; the password of every synthetic account."""
    with contextlib.redirect_stdout(sys.stderr):
        command.upgrade(alembic_config(url), "head")
    engine = keyed_engine(url)
    try:
        with session_scope(engine) as session:
            seed_reference(session)
        t0 = time.perf_counter()
        report = generate(engine, citizens=citizens, year=year, seed=1, backlog={WARD: backlog})
        log(f"city of {report.citizens:,} people, {report.applications:,} applications, "
            f"{report.live_certificates:,} live certificates in {time.perf_counter() - t0:.0f} s")
        return report.password
    finally:
        engine.dispose()


def issue_sample(engine: Engine, storage: Storage, private_key: bytes, count: int) -> list[str]:
    """Give `count` random live certificates what the worker gives them: a stored PDF and a signature."""
    kid = key_id(public_key_pem(private_key))
    with session_scope(engine) as session:
        certs = session.exec(select(Certificate).where(col(Certificate.live_key).is_not(None))
                             .order_by(func.random()).limit(count)).all()
        for cert in certs:
            key = certificate_storage_key(cert.year, cert.ward_code, cert.code)
            pdf = fake_pdf(cert.code)
            storage.put(key, pdf)
            sha256 = hashlib.sha256(pdf).hexdigest()
            cert.storage_key, cert.sha256, cert.key_id = key, sha256, kid
            cert.signature = sign(private_key, signed_payload(cert.snapshot, sha256))
            session.add(cert)
        return [c.code for c in certs]


def fake_pdf(code: str) -> bytes:
    """Bytes standing for a rendered certificate (verification only reads and hashes them)."""
    seed = hashlib.sha256(code.encode()).digest()
    return b"%PDF-1.7\n" + (seed * (PDF_BYTES // len(seed) + 1))[:PDF_BYTES]


def pick_citizens(session: Session, year: int, count: int) -> list[tuple[str, str]]:
    """`count` citizens with an application of the year, taken in turn from every ward."""
    wards = list(session.execute(text("SELECT code FROM ward WHERE active ORDER BY code")).scalars())
    random.Random(1).shuffle(wards)  # from all over the city, not the first codes
    per_ward = -(-count // max(1, len(wards)))
    found = [session.execute(text(
        "SELECT c.cccd, a.id FROM application a JOIN citizen c ON c.id = a.citizen_id "
        "WHERE a.ward_code = :w AND a.year = :y LIMIT :n"), {"w": w, "y": year, "n": per_ward}).all()
        for w in wards]
    unseal = seal_of(session.get_bind()).unseal  # the query reads the column as stored
    picked = [(unseal(rows[rank][0]), rows[rank][1]) for rank in range(per_ward) for rows in found if rank < len(rows)]
    if len(picked) < count:
        raise SystemExit(f"only {len(picked)} citizens have an application of {year}; {count} needed")
    return picked[:count]


def pick_users(engine: Engine, password: str, year: int, citizens: int, storage: Storage,
               private_key: bytes) -> Users:
    """Citizens, the backlog's submitted applications and issued certificate codes."""
    codes = issue_sample(engine, storage, private_key, ISSUED_SAMPLE)
    with session_scope(engine) as session:
        people = pick_citizens(session, year, citizens)
        submitted = list(session.execute(text(
            "SELECT id FROM application WHERE ward_code = :w AND state = 'submitted' AND year = :y "
            "ORDER BY random() LIMIT :n"), {"w": WARD, "y": year, "n": REVIEW_SAMPLE}).scalars())
    if not codes or not submitted:
        raise SystemExit(f"nothing to load: {len(codes)} issued certificates, {len(submitted)} submitted in {WARD}")
    log(f"issued {len(codes)} certificates for verification; {len(people)} citizens; "
        f"{len(submitted)} submitted applications of {WARD}")
    return Users(password, people, submitted, codes)


def vacuum(url: str) -> None:
    """VACUUM (ANALYZE) the whole database: a live one is vacuumed by autovacuum, a bulk-loaded one is not yet."""
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
    finally:
        engine.dispose()


def spread(clients: int) -> dict[str, int]:
    """Clients per kind, as even as possible (the first kinds get one more)."""
    return {kind: clients // len(KINDS) + (i < clients % len(KINDS)) for i, kind in enumerate(KINDS)}


def client_plans(per_kind: dict[str, int], users: Users) -> list[ClientPlan]:
    """One plan per client: the user it signs in as and its targets."""
    homes, apps = iter(users.citizens[: per_kind["citizen_home"]]), iter(users.citizens[per_kind["citizen_home"]:])
    pw = users.password
    makers = {
        "citizen_home": lambda: ClientPlan("citizen_home", next(homes)[0], pw),
        "application": lambda: ClientPlan("application", *_citizen_api(next(apps), pw)),
        "queue_page": lambda: ClientPlan("queue_page", f"reviewer{WARD}", pw),
        "queue_api": lambda: ClientPlan("queue_api", f"reviewer{WARD}", pw, api=True),
        "review_page": lambda: ClientPlan("review_page", f"reviewer{WARD}", pw, targets=tuple(users.submitted)),
        "dashboard": lambda: ClientPlan("dashboard", "admin", pw),
        "verification": lambda: ClientPlan("verification", targets=tuple(users.codes)),
        "healthz": lambda: ClientPlan("healthz"),
    }
    # Kinds interleaved, so that connections are made (and spread over gunicorn's workers) in a mixed order.
    return [makers[kind]() for rank in range(max(per_kind.values())) for kind, n in per_kind.items() if rank < n]


def _citizen_api(citizen: tuple[str, str], password: str) -> tuple[str, str, bool, tuple[str, ...]]:
    cccd, application = citizen
    return cccd, password, True, (application,)


def s3_access(env: dict[str, str]) -> S3Access:
    """The store's endpoint and credentials from the variables the app reads them from."""
    return S3Access(endpoint_url=env.get("S3_ENDPOINT_URL"), access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                    secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"), region=env.get("AWS_DEFAULT_REGION"))



def server_env(tmp: Path, url: str, port: int, workers: int | None, threads: int | None) -> dict[str, str]:
    """gunicorn's environment: production settings, this run's database, key, storage and port."""
    env = dict(os.environ) | {
        "CDHT_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": url,
        "STAFF_TOTP_REQUIRED": "false",  # staff sign in once, before the clock starts: no second step to measure
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12", "STORAGE_URL": str(tmp / "storage"),
        "SIGNING_KEY_PATH": str(tmp / "signing_key.pem"), "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/12", "LOGIN_RATE_LIMIT": "100000 per minute",
        "VERIFY_RATE_LIMIT": "1000000 per minute",  # 8 clients verify from one address
        "CDHT_INSTANCE_PATH": str(tmp / "instance"), "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "/dev/null",  # gunicorn formats the line as in production but writes it nowhere
    }
    if workers:
        env["WEB_CONCURRENCY"] = str(workers)
    if threads:
        env["WEB_THREADS"] = str(threads)
    return env


def gunicorn_settings(workers: int | None, threads: int | None) -> tuple[int, int, str]:
    """Workers, threads and worker class as gunicorn.conf.py decides them in this environment, unless given."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"), init_globals={"__file__": str(ROOT / "gunicorn.conf.py")})
    return workers or int(conf["workers"]), threads or int(conf["threads"]), str(conf["worker_class"])


def tail(path: Path, lines: int = 40) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def gunicorn(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """gunicorn running with this environment until the block ends (SIGTERM, SIGKILL after 30 s)."""
    with log_path.open("wb") as out:
        server = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py"],
                                  cwd=ROOT, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    try:
        wait_healthy(server, port, log_path)
        yield server
    except BaseException:
        log(f"gunicorn's log ends with:\n{tail(log_path)}")
        raise
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log(f"gunicorn stopped ({server.returncode})")


def wait_healthy(server: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Wait until /healthz answers 200; SystemExit if gunicorn exits or takes too long."""
    deadline = time.monotonic() + HEALTHY_TIMEOUT_S
    url = f"http://127.0.0.1:{port}/healthz"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode} before answering:\n{tail(log_path)}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.25)
    raise SystemExit(f"gunicorn did not answer {url} with 200 within {HEALTHY_TIMEOUT_S:.0f} s")


def receive(pipe: Pipe, expected: str, timeout: float) -> Any:
    """The next message of a load process, which must be `expected`; SystemExit otherwise."""
    if not pipe.poll(timeout):
        raise SystemExit(f"a load process sent nothing within {timeout:.0f} s (waiting for {expected})")
    try:
        what, payload = pipe.recv()
    except EOFError:
        raise SystemExit(f"a load process died (waiting for {expected})") from None
    if what != expected:
        raise SystemExit(f"a load process failed: {payload}")
    return payload


def connections_per_worker(master: int, port: int) -> list[int]:
    """Clients' connections each gunicorn worker holds, most first (from Linux's /proc; [] where there is none).

    A kept-alive connection stays with the worker that accepted it, and its requests wait for that worker's
    threads: an uneven spread explains uneven latencies.
    """
    try:
        established = {f[9] for f in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
                       if f[3] == "01" and int(f[1].rsplit(":", 1)[1], 16) == port}
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    counts = []
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):  # processes come and go while we look
            if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            fds = Path(f"/proc/{pid}/fd")
            sockets = {link[8:-1] for fd in os.listdir(fds) if (link := os.readlink(fds / fd)).startswith("socket:")}
            counts.append(len(sockets & established))
    return sorted(counts, reverse=True)


def drive(plans: list[ProcessPlan], probe: Callable[[], list[int]]) -> tuple[list[dict[str, Any]], list[int]]:
    """Run the load processes: all sign in, then all start together; their results, and what `probe` saw in
    the middle of the measured window."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for number, plan in enumerate(plans):
        mine, theirs = context.Pipe()
        process = context.Process(target=client_process, args=(plan, theirs), name=f"load-{number}", daemon=True)
        process.start()
        theirs.close()
        pipes.append(mine)
        processes.append(process)
    try:
        signed_in = sum(receive(p, "ready", SIGN_IN_TIMEOUT_S) for p in pipes)
        log(f"{signed_in} clients signed in; warm-up {plans[0].warmup:g} s, then {plans[0].seconds:g} s measured")
        start = time.time() + 0.5
        for p in pipes:
            p.send(("go", start))
        time.sleep(max(0.0, start + plans[0].warmup + plans[0].seconds / 2 - time.time()))
        seen = probe()
        budget = plans[0].seconds / 2 + REQUEST_TIMEOUT_S + 60
        results = [receive(p, "done", budget) for p in pipes]
    except BaseException:  # a failure, or SIGTERM: stop the load now
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
    return results, seen


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted samples (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(results: list[dict[str, Any]], per_kind: dict[str, int], seconds: float) -> dict[str, Any]:
    """Per kind and overall figures from the load processes' tallies; error samples on stderr."""
    kinds: dict[str, Any] = {}
    for kind in KINDS:
        tallies = [r["kinds"][kind] for r in results]
        latencies = sorted(x for t in tallies for x in t["latencies_ms"])
        errors = sum(t["errors"] for t in tallies)
        warmup_errors = sum(t["warmup_errors"] for t in tallies)
        for sample in [s for t in tallies for s in t["samples"]][:ERROR_SAMPLES]:
            log(f"  {kind} error: {sample}")
        if warmup_errors:
            log(f"  {kind}: {warmup_errors} errors during the warm-up (not counted)")
        kinds[kind] = {"clients": per_kind[kind], "requests": len(latencies),
                       "rps": round(len(latencies) / seconds, 1),
                       "p50_ms": round(percentile(latencies, 0.50), 2), "p95_ms": round(percentile(latencies, 0.95), 2),
                       "p99_ms": round(percentile(latencies, 0.99), 2), "errors": errors}
    measured = [k for k in kinds.values() if k["clients"]]
    requests = sum(k["requests"] for k in kinds.values())
    healthz = kinds["healthz"]["rps"]
    return {
        "kinds": kinds, "requests": requests, "rps": round(requests / seconds, 1),
        "worst_p95_ms": max((k["p95_ms"] for k in measured), default=0.0),
        "errors": sum(k["errors"] for k in kinds.values()),
        "queue_to_healthz": round(kinds["queue_page"]["rps"] / healthz, 3) if healthz else None,
        "client_cpu_s": round(sum(r["cpu_s"] for r in results), 2),
        "reconnects": sum(r["reconnects"] for r in results),
    }


def server_problems(log_path: Path) -> None:
    """Name on stderr what gunicorn's log says went wrong (tracebacks, time-outs, errors)."""
    text_ = log_path.read_text(errors="replace") if log_path.exists() else ""
    bad = [line for line in text_.splitlines()
           if any(w in line for w in ("Traceback", "[ERROR]", "[CRITICAL]", "WORKER TIMEOUT", "ERROR", "WARNING"))]
    log(f"gunicorn's log: {len(text_.splitlines())} lines, {len(bad)} of errors or warnings")
    for line in bad[:10]:
        log(f"  {line}")


@dataclass(frozen=True)
class Options:
    """The command line."""

    citizens: int
    backlog: int
    clients: int
    seconds: int
    warmup: int
    workers: int | None
    threads: int | None
    client_processes: int
    deployment: bool


def run(o: Options) -> dict[str, Any]:
    """Build the city, start gunicorn (with `--deployment`, the documented deployment around it), load it, and
    summarise."""
    year = today().year
    per_kind = spread(o.clients)
    workers, threads, worker_class = gunicorn_settings(o.workers, o.threads)
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cdht_load_")))
        url = stack.enter_context(postgres_database("load"))
        private_key = generate_private_key_pem()
        (tmp / "signing_key.pem").write_bytes(private_key)
        env = server_env(tmp, url, free_port(), o.workers, o.threads)
        if o.deployment:
            env |= stack.enter_context(deployment.object_store(tmp)) | deployment.production_extras()
        password = build_city(url, o.citizens, o.backlog, year)
        engine = keyed_engine(url)
        try:
            users = pick_users(engine, password, year, per_kind["citizen_home"] + per_kind["application"],
                               storage_from_url(env["STORAGE_URL"], s3_access(env)), private_key)
        finally:
            engine.dispose()
        vacuum(url)
        port = int(env["GUNICORN_BIND"].rpartition(":")[2])
        if o.deployment:
            stack.enter_context(deployment.workers_and_beat(env, tmp))
        plans = client_plans(per_kind, users)
        steps = min(QUEUE_STEPS, max(0, o.backlog // PAGE_SIZE - 1))
        groups = [tuple(plans[i:: o.client_processes]) for i in range(o.client_processes)]
        log(f"gunicorn: {workers} {worker_class} workers × {threads} threads on port {port}; {o.clients} clients in "
            f"{o.client_processes} load process(es): {per_kind}")
        log_path = tmp / "gunicorn.log"
        with gunicorn(env, port, log_path) as server:
            results, spread_seen = drive([ProcessPlan("127.0.0.1", port, g, o.warmup, o.seconds, steps)
                                          for g in groups if g], lambda: connections_per_worker(server.pid, port))
        server_problems(log_path)
    log(f"connections per gunicorn worker in the middle of the run: {spread_seen}")
    summary = summarise(results, per_kind, o.seconds)
    return {"benchmark": "load", "engine": "postgresql", "citizens": o.citizens, "backlog": o.backlog,
            "clients": o.clients, "seconds": o.seconds, "workers": workers, "worker_class": worker_class,
            "threads": threads, "deployment": o.deployment,
            "storage": "s3" if env["STORAGE_URL"].startswith("s3://") else "folder",
            "celery_workers": len(deployment.WORKER_NODES) if o.deployment else 0,
            "client_processes": o.client_processes, **summary, "connections_per_worker": spread_seen}


def main() -> None:
    """Parse the command line, run, print the JSON line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000, help="people in the synthetic city")
    parser.add_argument("--backlog", type=int, default=20_000, help=f"submitted applications in ward {WARD}")
    parser.add_argument("--clients", type=int, default=64, help="concurrent clients, spread over the kinds")
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before measuring")
    parser.add_argument("--workers", type=int, help="gunicorn processes (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="threads per gunicorn process (default: gunicorn.conf.py)")
    parser.add_argument("--client-processes", type=int, default=1, help="processes the clients run in")
    parser.add_argument("--deployment", action="store_true",
                        help="as docs/deploy.md deploys it: documents on a local S3-compatible server, two Celery "
                             "workers and a beat running, JSON logs and metrics on")
    args = parser.parse_args()
    if args.clients < 1 or args.seconds < 1 or args.warmup < 0 or args.client_processes < 1:
        parser.error("--clients, --seconds and --client-processes must be positive, --warmup not negative")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops gunicorn and drops the database
    options = Options(args.citizens, args.backlog, args.clients, args.seconds, args.warmup, args.workers,
                      args.threads, args.client_processes, args.deployment)
    print(json.dumps(run(options), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
