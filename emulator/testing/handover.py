"""The helper's handover protocol: act as another app connected to the page (the Page Inbox by
default) on one person's thread, through the control API (`/pages/{page}/threads/{psid}/…`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.testing.helper import SendApi


class OtherApp:
    """`send_api.inbox(psid)`: the Page Inbox (or `app_id`) on the person's thread. Each call
    answers the thread as it is then (`{"page_id", "psid", "thread_owner"}`) or raises
    SendApiError with the rule that refused it."""

    def __init__(self, api: SendApi, psid: str, page_id: str | None, app_id: str) -> None:
        self._api = api
        self.psid = psid
        self.page_id = page_id
        self.app_id = app_id

    def passes_back(self, metadata: str | None = None) -> dict[str, Any]:
        """Pass the thread to the scenario's own app (the bot)."""
        return self._act("pass", metadata)

    def passes_to(self, target_app_id: str, metadata: str | None = None) -> dict[str, Any]:
        return self._act("pass", metadata, target_app_id=str(target_app_id))

    def takes(self, metadata: str | None = None) -> dict[str, Any]:
        """Take the thread (the app must be the page's primary receiver)."""
        return self._act("take", metadata)

    def requests(self, metadata: str | None = None) -> dict[str, Any]:
        """Ask the owner for the thread: the bot gets a `request_thread_control` event."""
        return self._act("request", metadata)

    def releases(self, metadata: str | None = None) -> dict[str, Any]:
        """Give the thread back to the primary receiver."""
        return self._act("release", metadata)

    def _act(self, action: str, metadata: str | None, **extra: str) -> dict[str, Any]:
        page = self._api._page_id(self.page_id)
        body: dict[str, Any] = {"app_id": self.app_id, **extra}
        if metadata is not None:
            body["metadata"] = metadata
        answer: dict[str, Any] = self._api.control(
            "POST", f"/pages/{page}/threads/{self.psid}/{action}", json=body
        )
        return answer

    def __repr__(self) -> str:
        return f"<OtherApp {self.app_id} on {self.psid}>"
