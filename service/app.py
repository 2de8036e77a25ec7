"""The ASGI application: the JSON API under /v1, /openapi.json, /healthz and the interview page at /.

Handlers parse the request, call the public API in a worker thread under a time limit, and answer
JSON; every refusal is the Error shape of errors.py. Nothing from a request body is logged.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
from asylum_kb import AsylumKbError, Diagnostic
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import api
from .errors import ServiceError, body, problem
from .holder import KnowledgeBaseHolder, Loaded
from .limits import Limits, check_size, parse_body
from .openapi import document

log = logging.getLogger("asylum_kb.service")
STATIC = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # answers about a person's claim are personal data
}
PAGE_POLICY = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "frame-src 'self'; connect-src 'self'; form-action 'none'; base-uri 'none'")

Handler = Callable[[Request, Loaded], Any]


def create_app(holder: KnowledgeBaseHolder, limits: Limits | None = None, token: str | None = None) -> Starlette:
    """The service for one knowledge-base holder; ``token``, when given, is required on /v1 and /openapi.json."""
    limits = limits or Limits()
    workers = anyio.CapacityLimiter(limits.concurrent_evaluations)

    def endpoint(handler: Handler, with_body: bool = True) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            try:
                _authorize(request, token)
                loaded = holder.current  # one snapshot for the whole request, whatever a reload does
                if with_body and request.method == "POST":
                    request.state.data = parse_body(await _read(request, limits), limits)
                with anyio.fail_after(limits.timeout_seconds):
                    answer = await anyio.to_thread.run_sync(handler, request, loaded, abandon_on_cancel=True,
                                                            limiter=workers)
            except ServiceError as error:
                return _error(error.status, error.diagnostics)
            except AsylumKbError as error:
                return _error(400, error.diagnostics)
            except TimeoutError:
                return _error(503, [Diagnostic("S503", f"the request took longer than {limits.timeout_seconds:g} s",
                                               hint="send a smaller request, or ask without explain")])
            except Exception as error:  # noqa: BLE001 - an internal error is reported, never a traceback
                # The type only: a message may quote the facts, which must not reach the logs.
                log.error("internal error on %s %s: %s", request.method, request.url.path, type(error).__name__)
                return _error(500, [Diagnostic("S500", f"internal error: {type(error).__name__}")])
            if isinstance(answer, Response):
                answer.headers.update(SECURITY_HEADERS)
                return answer
            return JSONResponse(answer, headers=SECURITY_HEADERS)

        return run

    async def openapi(request: Request) -> Response:
        try:
            _authorize(request, token)
        except ServiceError as error:
            return _error(error.status, error.diagnostics)
        return JSONResponse(document(holder.current, token is not None), headers=SECURITY_HEADERS)

    async def healthz(_request: Request) -> Response:
        kb = holder.current.kb
        return JSONResponse({"status": "ok", "kb": {"id": kb.manifest.id, "version": kb.manifest.version},
                             "loaded_at": holder.current.loaded_at}, headers=SECURITY_HEADERS)

    async def page(_request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={**SECURITY_HEADERS, "Content-Security-Policy": PAGE_POLICY})

    routes = [
        Route("/", page, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/v1/evaluate", endpoint(api.evaluate), methods=["POST"]),
        Route("/v1/report", endpoint(api.report), methods=["POST"]),
        Route("/v1/facts", endpoint(api.facts), methods=["GET"]),
        Route("/v1/rules", endpoint(api.rules), methods=["GET"]),
        Route("/v1/rules/{rule_id:str}", endpoint(api.rule), methods=["GET"]),
        Route("/v1/eras", endpoint(api.eras), methods=["GET"]),
        Route("/v1/diff", endpoint(api.diff), methods=["POST"]),
        Route("/v1/interview", endpoint(api.interview), methods=["POST"]),
        Route("/v1/interface", endpoint(api.interface), methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]

    async def http_error(_request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, HTTPException) else 500
        code, message = {404: ("S404", "no such resource"), 405: ("S405", "method not allowed here")}.get(
            status, (f"S{status}", str(getattr(error, "detail", "error"))))
        response = _error(status, [Diagnostic(code, message)])
        if isinstance(error, HTTPException) and error.headers:
            response.headers.update(error.headers)  # e.g. Allow on a 405
        return response

    return Starlette(routes=routes, exception_handlers={HTTPException: http_error})


def _authorize(request: Request, token: str | None) -> None:
    if token is None:
        return
    given = request.headers.get("authorization", "")
    if not (given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())):
        raise problem(401, "S401", "a bearer token is required (Authorization: Bearer …)")


async def _read(request: Request, limits: Limits) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit():
        check_size(int(length), limits)
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        check_size(len(chunks), limits)
    return bytes(chunks)


def _error(status: int, diagnostics: list[Diagnostic]) -> JSONResponse:
    headers = dict(SECURITY_HEADERS)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body(status, diagnostics), status_code=status, headers=headers)
