"""The receivers users copy, driven through each framework's own test client."""

from __future__ import annotations

import importlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, NamedTuple

import httpx
import pytest

import wisepops

KEY = "3f9c1a7e5b2d48c0a6e1f7b9d2c4e8a0"  # the api2 vector's key
URL = "/wisepops/webhook"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Reply(NamedTuple):
    status: int
    json: Any


Post = Callable[[bytes, dict[str, str]], Reply]


def flask_post() -> Post:
    from examples import flask_receiver

    flask_receiver.SEEN.clear()
    client = flask_receiver.app.test_client()

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, data=body, headers=headers)
        return Reply(response.status_code, response.get_json())

    return post


def django_post() -> Post:
    from django.test import Client

    from examples import django_receiver

    django_receiver.SEEN.clear()
    client = Client()

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, data=body, content_type="application/json", headers=headers)
        return Reply(response.status_code, json.loads(response.content))

    return post


def fastapi_post() -> Post:
    from fastapi.testclient import TestClient

    from examples import fastapi_receiver

    fastapi_receiver.SEEN.clear()
    client = TestClient(fastapi_receiver.app)

    def post(body: bytes, headers: dict[str, str]) -> Reply:
        response = client.post(URL, content=body, headers=headers)
        return Reply(response.status_code, response.json())

    return post


@pytest.fixture(params=[flask_post, django_post, fastapi_post], ids=["flask", "django", "fastapi"])
def post(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Post:
    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver")
    factory: Callable[[], Post] = request.param
    return factory()


@pytest.fixture
def vector(signature_vectors: list[dict[str, str]]) -> dict[str, str]:
    (api2,) = [v for v in signature_vectors if v["name"] == "api2-fields-shape"]
    return api2


def signed(body: bytes, signature: str) -> dict[str, str]:
    return {wisepops.SIGNATURE_HEADER: signature, "Content-Type": "application/json"}


def test_a_php_signed_delivery_is_accepted(post: Post, vector: dict[str, str]) -> None:
    body = vector["body"].encode()
    reply = post(body, signed(body, vector["signature"]))
    assert reply == Reply(200, {"received": 1, "new": 1})


def test_a_redelivery_is_acknowledged_but_not_stored_twice(
    post: Post, vector: dict[str, str]
) -> None:
    body = vector["body"].encode()
    post(body, signed(body, vector["signature"]))
    assert post(body, signed(body, vector["signature"])) == Reply(200, {"received": 1, "new": 0})


def test_a_tampered_delivery_is_refused(post: Post, vector: dict[str, str]) -> None:
    body = vector["body"].replace("marie@", "mallory@").encode()
    reply = post(body, signed(body, vector["signature"]))
    assert reply.status == 401


def test_an_unsigned_delivery_is_refused(post: Post, vector: dict[str, str]) -> None:
    reply = post(vector["body"].encode(), {"Content-Type": "application/json"})
    assert reply.status == 401


def test_a_signed_but_malformed_delivery_is_a_400(post: Post) -> None:
    body = b'[{"email": "x@example.com", "wisepop_id": 1}]'
    reply = post(body, signed(body, wisepops.sign(body, KEY)))
    assert reply == Reply(400, {"error": "record 0: 'collected_at' is missing"})


def test_a_body_beyond_the_cap_is_a_413(post: Post) -> None:
    body = b"[" + b" " * (1024 * 1024) + b"]"
    reply = post(body, signed(body, wisepops.sign(body, KEY)))
    assert reply.status == 413


def test_several_records_in_one_delivery(
    post: Post, signature_vectors: list[dict[str, str]]
) -> None:
    (api1,) = [v for v in signature_vectors if v["name"] == "seed-example-api1"]
    body = api1["body"].encode()
    headers = signed(body, wisepops.sign(body, KEY))
    assert post(body, headers) == Reply(200, {"received": 2, "new": 2})


def test_the_django_example_can_be_imported_twice() -> None:
    module = importlib.import_module("examples.django_receiver")
    again = importlib.reload(module)
    assert again.urlpatterns[0].pattern.describe() == "'wisepops/webhook'"


def test_the_django_example_refuses_get() -> None:
    from django.test import Client

    importlib.import_module("examples.django_receiver")
    assert Client().get(URL, headers={"Host": "testserver"}).status_code == 405


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize(
    "command",
    [
        ["flask_receiver.py"],
        ["django_receiver.py", "runserver", "--noreload", "127.0.0.1:{port}"],
        ["fastapi_receiver.py"],
    ],
    ids=["flask", "django", "fastapi"],
)
def test_each_example_serves_when_run_as_a_script(
    command: list[str], vector: dict[str, str]
) -> None:
    """``python examples/<name>.py`` starts a server that accepts a signed delivery."""
    port = free_port()
    argv = [sys.executable, str(EXAMPLES / command[0])]
    argv += [arg.format(port=port) for arg in command[1:]]
    env = {**os.environ, "WISEPOPS_API_KEY": KEY, "PORT": str(port)}
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    body = vector["body"].encode()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}{URL}",
                    content=body,
                    headers=signed(body, vector["signature"]),
                )
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(server.stderr.read() if server.stderr else "") from None
                time.sleep(0.1)
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert response.status_code == 200
    assert response.json() == {"received": 1, "new": 1}


def test_the_fastapi_cap_holds_without_a_content_length(monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunked upload declares no length: the receiver stops reading past the cap."""
    from fastapi.testclient import TestClient

    from examples import fastapi_receiver

    monkeypatch.setenv("WISEPOPS_API_KEY", KEY)
    chunks = (b" " * 65536 for _ in range(20))  # 1.25 MiB, streamed
    response = TestClient(fastapi_receiver.app).post(URL, content=chunks)
    assert response.status_code == 413
