"""A REST client for the simulator that checks every response against Binance's OpenAPI spec.

It signs requests with its own HMAC code (not the simulator's), so a signature bug on either
side shows up. Responses with a status the spec does not describe for the endpoint (429, 418,
5xx) are checked against the spec's ``error`` schema instead, except Binance's 503 which has
no ``code``.

One correction is applied to the spec in memory (the file stays as vendored): ``oneOf`` is
read as ``anyOf``. The spec lists overlapping alternatives under ``oneOf`` (a FULL order
response is also a valid ACK one, neither forbids extra fields), which no response, Binance's
own included, could satisfy; where the alternatives exclude each other nothing changes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import msgspec
import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

SPEC_PATH = Path(__file__).parents[1] / "specs" / "binance_spot_api.yaml"
SPEC_HOST = "https://api.binance.com"


def _one_of_as_any_of(node: Any) -> Any:
    if isinstance(node, dict):
        return {("anyOf" if k == "oneOf" else k): _one_of_as_any_of(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_one_of_as_any_of(v) for v in node]
    return node


@functools.cache
def _spec() -> tuple[OpenAPI, dict[str, Any]]:
    with SPEC_PATH.open() as f:
        raw = _one_of_as_any_of(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    # The vendored spec does not pass the OpenAPI meta-schema check (a few sapi examples are
    # malformed); the response schemas we validate against are fine.
    return OpenAPI(SchemaPath.from_dict(raw), config=Config(spec_validator_cls=None)), raw


def validate_response(method: str, path: str, status: int, body: bytes, content_type: str) -> None:
    """Raise if the response is not what the spec allows for this endpoint and status."""
    api, raw = _spec()
    declared = raw["paths"][path][method.lower()]["responses"]
    if str(status) in declared:
        request = MockRequest(SPEC_HOST, method.lower(), path)
        response = MockResponse(body, status_code=status, content_type=content_type)
        api.validate_response(request, response)
        return
    decoded = msgspec.json.decode(body)
    if status == 503 and "code" not in decoded:
        assert set(decoded) == {"msg"}, decoded
        return
    OAS30Validator(raw["components"]["schemas"]["error"]).validate(decoded)


class Reply(msgspec.Struct, frozen=True):
    status: int
    headers: dict[str, str]
    body: Any


class SpecClient:
    def __init__(self, session: aiohttp.ClientSession, base: str, key: str, secret: str) -> None:
        self.session = session
        self.base = base
        self.key = key
        self.secret = secret
        self.timestamp_offset_ms = 0

    def sign(self, params: dict[str, object]) -> dict[str, object]:
        signed = {"timestamp": int(time.time() * 1000) + self.timestamp_offset_ms, **params}
        payload = urlencode(signed)
        digest = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        return {**signed, "signature": digest}

    async def call(
        self,
        method: str,
        path: str,
        params: dict[str, object] | None = None,
        *,
        signed: bool = False,
        key: str | None = None,
        in_body: bool | None = None,
        validate: bool = True,
    ) -> Reply:
        params = dict(params or {})
        if signed:
            params = self.sign(params)
        headers = {}
        if signed or key is not None or path.endswith("userDataStream"):
            headers["X-MBX-APIKEY"] = self.key if key is None else key
        query = urlencode(params)
        body_mode = method in ("POST", "PUT") if in_body is None else in_body
        url = self.base + path + ("" if body_mode or not query else "?" + query)
        data = query if body_mode else None
        if data is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        async with self.session.request(method, url, data=data, headers=headers) as response:
            raw = await response.read()
            if validate:
                validate_response(method, path, response.status, raw, response.content_type)
            return Reply(response.status, dict(response.headers), msgspec.json.decode(raw))
