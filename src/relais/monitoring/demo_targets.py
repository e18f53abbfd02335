"""Local targets for the embedded demo: `relais run` has its prober serve them, so the demo's
checks have something real to probe (an HTTP service, a JSON health endpoint, a slow page,
a failing page and a TCP port). Stopping one (POST /toggle/<name>) simulates an outage."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

STOPPED: set[str] = set()


async def _page(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name in STOPPED:
        return web.Response(status=503, text="unavailable")
    if name.startswith("slow"):
        await asyncio.sleep(1.5)
    if name.startswith("json"):
        return web.Response(
            text=json.dumps({"status": "ok", "name": name}), content_type="application/json"
        )
    return web.Response(text=f"Relais demo target {name}: OK")


async def _toggle(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    STOPPED.symmetric_difference_update({name})
    return web.Response(text="stopped" if name in STOPPED else "running")


async def _tcp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()


async def serve(port: int) -> tuple[web.AppRunner, asyncio.Server]:
    """HTTP on 127.0.0.1:port, TCP on port+1."""
    app = web.Application()
    app.router.add_get("/{name}", _page)
    app.router.add_post("/toggle/{name}", _toggle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    tcp = await asyncio.start_server(_tcp, "127.0.0.1", port + 1)
    return runner, tcp
