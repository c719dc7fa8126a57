"""Schemathesis hooks for scripts/fuzz-api.sh.

Signing. `POST /orders` carries the API's v2 signature (src/api/signing.ts):

    X-Signature: t=<unix seconds>,v2=<hex HMAC-SHA256(secret, canonical)>
    canonical = "v2\\n" + t + "\\n" + METHOD + "\\n" + request target + "\\n" + Idempotency-Key + "\\n" + body bytes

The auth config in schemathesis.toml puts a placeholder in X-Signature on every case meant to carry
valid credentials (so Schemathesis counts them as explicit credentials, and its ignored_auth probes
strip or garble them and expect a 401). `before_call` swaps the placeholder for a real signature at
call time, over the request exactly as it goes on the wire: the bytes the transport serializes, the
target it sends (path and query, no host) and the Idempotency-Key it sends. Cases that dropped or
garbled the header on purpose (negative tests) carry no placeholder and go out as generated.

Test data the schema cannot describe:
- Idempotency keys: a valid key is replaced by one derived from the body, so a repeated body is an
  idempotent replay (200) and two different bodies never collide on a made-up key (422 by design).
- Approvals: every route authenticates with the operator token from the config except the approval,
  which only an approver may decide (with the operator's token it could only ever answer 403).
- Stateful entry points: Schemathesis reads `shippingAddress` (and `customerId`) as references to
  resources some operation should produce, finds none, and so never starts a scenario with
  `POST /orders`: no scenario would create an order and then read, approve, cancel or retry it.
  The API checks no reference in a body or query, so `_prune_unproduced_inputs` drops those
  inputs that no operation produces from its dependency graph.
- List cursors: only a cursor the API issued (an HMAC under API_CURSOR_SECRET) is valid, so a made-up
  one in an otherwise valid request is refused with 400 by design; `filter_failure` drops exactly
  that failure of positive_data_acceptance, and no other 400.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from typing import Any

import requests
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.stateful import dependencies

SIGNATURE_HEADER = "X-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# The API's rule for Idempotency-Key (idempotencyKeySchema in src/api/schemas.ts).
VALID_KEY = re.compile(r"^[A-Za-z0-9_-]{8,100}$")
# Must match [auth.openapi.requestSignature] in schemathesis.toml.
PLACEHOLDER = "signed-by-scripts-fuzz-hooks"
SECRET = os.environ["FUZZ_SIGNING_SECRET"].encode("utf-8")
OPERATOR = f"Bearer {os.environ['FUZZ_OPERATOR_TOKEN']}"
APPROVER = f"Bearer {os.environ['FUZZ_APPROVER_TOKEN']}"


def sign(method: str, target: str, idempotency_key: str, body: bytes, timestamp: int) -> str:
    head = f"v2\n{timestamp}\n{method.upper()}\n{target}\n{idempotency_key}\n".encode("utf-8")
    digest = hmac.new(SECRET, head + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v2={digest}"


def _text(value: str | bytes | None) -> str:
    # http.client sends str header values as latin-1 and Node decodes header bytes as latin-1: the
    # same characters on both sides, which both then feed to the HMAC as UTF-8. Node also strips
    # the optional whitespace around a value before the API reads it.
    if value is None:
        return ""
    return (value.decode("latin-1") if isinstance(value, bytes) else value).strip(" \t")


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if case.headers is None:
        return
    if case.operation.path == "/orders/{id}/approval" and case.headers.get("Authorization") == OPERATOR:
        case.headers["Authorization"] = APPROVER
    if case.headers.get(SIGNATURE_HEADER) == PLACEHOLDER:
        _sign(case)


def _sign(case: Any) -> None:
    # The request the transport is about to send, prepared the way `requests` prepares it. The
    # serializer is deterministic, so the body sent a moment later is byte for byte this one.
    wire = case.as_transport_kwargs()
    prepared = requests.Request(
        method=wire["method"],
        url=wire["url"],
        headers=wire.get("headers"),
        params=wire.get("params"),
        json=wire.get("json"),
        data=wire.get("data"),
        files=wire.get("files"),
    ).prepare()
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    key = _text(prepared.headers.get(IDEMPOTENCY_HEADER))
    if VALID_KEY.match(key):
        key = f"fuzz-{hashlib.sha256(body).hexdigest()[:40]}"
        case.headers[IDEMPOTENCY_HEADER] = key
    method = prepared.method or case.method
    case.headers[SIGNATURE_HEADER] = sign(method, prepared.path_url, key, body, int(time.time()))


def _prune_unproduced_inputs() -> None:
    # Wraps the one call that builds the dependency graph (lazily, once the base URL is known):
    # Schemathesis internals, pinned in requirements.txt; an upgrade that moves them fails loudly here.
    analyze = dependencies.analyze

    def analyze_pruned(schema: Any) -> Any:
        graph = analyze(schema)
        produced = {output.resource.name for node in graph.operations.values() for output in node.outputs}
        for node in graph.operations.values():
            # Path inputs stay: they are how the links reach an order (`/orders/{id}/...`).
            node.inputs = [
                slot
                for slot in node.inputs
                if slot.parameter_location == ParameterLocation.PATH or slot.resource.name in produced
            ]
        return graph

    dependencies.analyze = analyze_pruned


_prune_unproduced_inputs()


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    made_up_cursor = (
        "positive_data_acceptance" in getattr(failure, "checks", ())
        and case.operation.method.upper() == "GET"
        and case.operation.path == "/orders"
        and response.status_code == 400
        and _error_fields(response) == {"cursor"}
    )
    return not made_up_cursor


def _error_fields(response: Any) -> set[str]:
    try:
        errors = json.loads(response.content).get("errors") or []
        return {str(error.get("field")) for error in errors}
    except (ValueError, AttributeError):
        return set()
