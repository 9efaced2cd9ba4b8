"""The emulator's server, stopped at once from another thread (uvicorn's main loop looks
every 0.1 s); open event streams end as it shuts down (see emulator/serving.py)."""

from __future__ import annotations

import asyncio
import contextlib

from emulator.serving import EmulatorServer


class StoppableServer(EmulatorServer):
    _exit: asyncio.Event | None = None
    _exit_loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._exit = asyncio.Event()
        self._exit_loop = asyncio.get_running_loop()
        while not await self.on_tick(0):  # also refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), 1.0)

    def stop(self) -> None:
        """Ask the server to shut down; safe from any thread, before or after it started."""
        self.should_exit = True
        if self._exit is not None and self._exit_loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                self._exit_loop.call_soon_threadsafe(self._exit.set)
