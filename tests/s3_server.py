"""A local S3-compatible server for the tests: moto's server mode (the `test` extra), in this process on a free port,
reachable by worker processes over HTTP. Stopped and started again on the same port, it keeps its objects."""

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

import boto3
from moto.s3.responses import S3Response
from moto.server import ThreadedMotoServer
from processes import free_port
from werkzeug.datastructures import Headers

ACCESS_KEY_ID = "cdht-test-access-key"  # moto accepts any credentials; these name no real account
SECRET_ACCESS_KEY = "cdht-test-secret-key"
REGION = "us-east-1"

_put_lock = threading.Lock()
# How the server treats `If-None-Match: *` on PutObject: "honoured" (S3's way), "ignored" (an old server that writes
# anyway) or "refused" (a server that answers 501 NotImplemented). Set by S3Server.conditional_writes().
_conditional = {"mode": "honoured"}
_NOT_IMPLEMENTED = ("<?xml version='1.0' encoding='UTF-8'?><Error><Code>NotImplemented</Code><Message>A header you "
                    "provided implies functionality that is not implemented</Message></Error>")


def _serialised_put(put_object: Callable[[S3Response], Any]) -> Callable[[S3Response], Any]:
    """moto checks `If-None-Match: *` and then writes, in two steps a second request can come between; S3 does both
    at once. Serialising moto's PutObject makes the local server keep S3's promise, so the storage tests test our
    client, not moto's race. It also plays the servers that lack conditional writes (_conditional)."""
    @wraps(put_object)
    def put(self: S3Response) -> Any:
        if "If-None-Match" in self.headers and _conditional["mode"] != "honoured":
            if _conditional["mode"] == "refused":
                return 501, {"Content-Type": "application/xml"}, _NOT_IMPLEMENTED
            headers = Headers(self.headers)
            headers.remove("If-None-Match")
            self.headers = headers
        with _put_lock:
            return put_object(self)
    return put


if not getattr(S3Response.put_object, "__wrapped__", None):
    S3Response.put_object = _serialised_put(S3Response.put_object)  # type: ignore[method-assign]



class S3Server:
    """moto's S3 on 127.0.0.1:<free port>, with a bucket made for this run."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self.bucket = f"cdht-test-{uuid.uuid4().hex[:8]}"
        self._server: ThreadedMotoServer | None = None

    def start(self) -> None:
        """Start answering (again) on the same port."""
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def stop(self) -> None:
        """Stop answering and close the port: connections are refused until start(), as with a server down."""
        if self._server is not None:
            self._server.stop()
            wsgi_server = self._server._server  # ThreadedMotoServer.stop() leaves its socket open
            if wsgi_server is not None:
                wsgi_server.server_close()
            self._server = None

    @contextmanager
    def conditional_writes(self, mode: str) -> Iterator[None]:
        """Play a server whose PutObject "ignored" or "refused" (501) `If-None-Match: *`, for the time of a block."""
        _conditional["mode"] = mode
        try:
            yield
        finally:
            _conditional["mode"] = "honoured"

    def client(self) -> Any:
        """A boto3 client of this server, to arrange and inspect objects behind the storage's back."""
        return boto3.client("s3", endpoint_url=self.endpoint_url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)

    def env(self, prefix: str) -> dict[str, str]:
        """The environment of a process storing under s3://<bucket>/<prefix> on this server."""
        return {"STORAGE_URL": f"s3://{self.bucket}/{prefix}", "S3_ENDPOINT_URL": self.endpoint_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
                "AWS_DEFAULT_REGION": REGION}


def started() -> S3Server:
    """A running server with this run's bucket."""
    server = S3Server()
    server.start()
    server.client().create_bucket(Bucket=server.bucket)
    return server
