"""A small Chrome DevTools Protocol client over `--remote-debugging-pipe` (stdlib only).

Chromium reads commands on its fd 3 and writes answers and events on its fd 4, each a JSON
object ended by a NUL byte (what Puppeteer's pipe transport does): no websocket library and
no port. Every wait has a deadline; the browser is killed on close.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

DEADLINE = 60.0  # seconds for one answer: a loaded 2-core CI machine
BASH = shutil.which("bash") or "/bin/bash"
_PAUSE = threading.Event()  # never set: wait(t) is the poll interval

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-proxy-server",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


class CdpError(AssertionError):
    pass


def _high(fd: int) -> int:
    """`fd` moved to 10 or above, so the shell's `3<&N 4>&M` never clobbers one of them."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless Chromium; `page()` opens a tab to drive."""

    def __init__(self, chromium: str, profile: Path) -> None:
        to_child_r, self._to_child = (_high(fd) for fd in os.pipe())
        self._from_child, from_child_w = (_high(fd) for fd in os.pipe())
        # bash puts the pipe ends at fds 3 and 4, where Chromium expects them (dash, the usual
        # /bin/sh, only takes one-digit fd numbers in redirections).
        script = (
            f'exec "$0" "$@" 3<&{to_child_r} 4>&{from_child_w} {to_child_r}<&- {from_child_w}>&-'
        )
        self.proc = subprocess.Popen(
            [BASH, "-c", script, chromium, *FLAGS, f"--user-data-dir={profile}"],
            pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(profile / "chromium.log").open("wb"),
            env={**os.environ, "HOME": str(profile)},  # nothing written to the real home
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    # -- the wire ------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, session: str = "") -> Any:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise CdpError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def _receive(self) -> dict[str, Any]:
        end = time.monotonic() + DEADLINE
        while b"\0" not in self._buffer:
            left = end - time.monotonic()
            if left <= 0:
                raise CdpError(f"no answer from Chromium in {DEADLINE} s")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise CdpError(f"Chromium exited ({self.proc.poll()})")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        result: dict[str, Any] = json.loads(message)
        return result

    # -- tabs ----------------------------------------------------------------------------

    def page(self, width: int, height: int) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        page = Page(self, session["sessionId"], width, height)
        page.send("Page.enable")
        page.resize(height)
        return page

    def close(self) -> None:
        try:
            self.send("Browser.close")
            self.proc.wait(timeout=20)
        except (CdpError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(timeout=10)
        finally:
            os.close(self._to_child)
            os.close(self._from_child)


class Page:
    """One tab at a fixed viewport width."""

    def __init__(self, browser: Browser, session: str, width: int, height: int) -> None:
        self.browser, self.session, self.width, self.height = browser, session, width, height

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return self.browser.send(method, params, self.session)

    def resize(self, height: int) -> None:
        mobile = self.width <= 600
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )

    def goto(self, url: str) -> None:
        """Navigate and wait until the new document has loaded (polled: a load event may
        still be queued from the tab's about:blank)."""
        self.send("Page.navigate", {"url": url})
        end = time.monotonic() + DEADLINE
        check = "[location.href, document.readyState]"
        while self.js(check) != [url, "complete"]:
            if time.monotonic() > end:
                raise CdpError(f"{url} did not load in {DEADLINE} s")
            _PAUSE.wait(0.05)

    def js(self, expression: str) -> Any:
        """Evaluate in the page (DevTools runs it whatever the page's CSP says)."""
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise CdpError(f"{expression[:80]}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (scrolled into view first)."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.x + Math.min(r.width / 2, 40), r.y + r.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1},
            )

    def screenshot(self, path: Path) -> Path:
        """The whole page (the viewport stretched to its height), as PNG."""
        height = int(self.js("document.documentElement.scrollHeight"))
        self.resize(min(max(height, self.height), 8000))
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        self.resize(self.height)
        path.write_bytes(base64.b64decode(data))
        return path
