"""The emulator's uvicorn server: open event streams (the web UI's) end as shutdown begins.

uvicorn waits for open responses before it stops, and an event stream never finishes by
itself; ending the streams first lets SIGTERM or a test's stop take effect at once.
"""

from __future__ import annotations

import socket

import uvicorn


class EmulatorServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from emulator.control.events import end_all_streams

        end_all_streams()
        await super().shutdown(sockets)
