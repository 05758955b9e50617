"""A headless Chromium driven over the DevTools protocol on a pipe, with the standard library only.

`--remote-debugging-pipe` makes Chromium read commands from file descriptor 3 and write replies
and events to descriptor 4, each a JSON object ended by a NUL byte. That is all the tests need
(open a page, run a script in it, take a screenshot, see every network request), so no driver
library and no chromedriver: one browser launch serves every page of a test session.
"""
from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
         "--remote-debugging-pipe")


# key -> (Windows virtual key code, the text it types)
KEYS = {"Tab": (9, ""), "Enter": (13, "\r"), " ": (32, " "), "ArrowLeft": (37, ""), "ArrowUp": (38, ""),
        "ArrowRight": (39, ""), "ArrowDown": (40, ""), "Home": (36, ""), "End": (35, ""), "Escape": (27, "")}


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, executable: str, timeout: float = 30.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # The child sees our pipe ends as its descriptors 3 (commands in) and 4 (replies out).
        self._process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # -- the protocol ---------------------------------------------------------------------------

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, session: str | None) -> dict[str, Any]:
        for i, event in enumerate(self.events):
            if event.get("method") == method and event.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            event = self._read()
            if event.get("method") == method and event.get("sessionId") == session:
                return event
            self.events.append(event)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no answer from Chromium in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the pipe")
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    # -- pages ----------------------------------------------------------------------------------

    def open(self, path: Path, width: int = 1360, height: int = 900) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Network", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session)
        started = time.monotonic()
        self.send("Page.navigate", {"url": path.resolve().as_uri()}, session)
        self.wait_event("Page.loadEventFired", session)
        return Page(self, session, target, time.monotonic() - started)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)


class Page:
    def __init__(self, browser: Browser, session: str, target: str, load_seconds: float) -> None:
        self.browser = browser
        self.session = session
        self.target = target
        self.load_seconds = load_seconds

    def eval(self, expression: str) -> Any:
        """The value of a JavaScript expression (made JSON by the page), or BrowserError on an exception."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, self.session)
        if "exceptionDetails" in result:
            raise BrowserError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout_ms: int = 5000) -> Any:
        """Wait, inside the page, until a JavaScript expression is truthy (checked every frame);
        its value, or BrowserError when the time is up. No sleeping in the test."""
        return self.eval(f"""new Promise((resolve, reject) => {{
  const until = performance.now() + {timeout_ms};
  const check = () => {{
    const value = ({condition});
    if (value) resolve(value);
    else if (performance.now() > until) reject(new Error("timed out waiting for: " + {json.dumps(condition)}));
    else requestAnimationFrame(check);
  }};
  check();
}})""")

    def press(self, key: str, shift: bool = False) -> None:
        """A real key press (down and up) as the browser's input pipeline sees one from a keyboard:
        Tab moves the focus, Enter and Space activate, as they would for a person."""
        vk, text = KEYS[key]
        params: dict[str, Any] = {"key": key, "code": "Space" if key == " " else key, "windowsVirtualKeyCode": vk,
                                  "nativeVirtualKeyCode": vk, "modifiers": 8 if shift else 0}
        self.browser.send("Input.dispatchKeyEvent", {**params, "type": "keyDown" if text else "rawKeyDown",
                                                     **({"text": text} if text else {})}, self.session)
        self.browser.send("Input.dispatchKeyEvent", {**params, "type": "keyUp"}, self.session)

    def media(self, media: str) -> None:
        """Emulate a CSS media type ("print", "screen"; "" for the default)."""
        self.browser.send("Emulation.setEmulatedMedia", {"media": media}, self.session)

    def screenshot(self, path: Path, full: bool = True) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params["captureBeyondViewport"] = True
            params["clip"] = {"x": 0, "y": 0, "width": size[0], "height": min(size[1], 12000), "scale": 1}
        data = self.browser.send("Page.captureScreenshot", params, self.session)["data"]
        path.write_bytes(base64.b64decode(data))

    def requests(self) -> list[str]:
        """The URL of every request the page made, as the network domain saw them."""
        return [e["params"]["request"]["url"] for e in self.browser.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors and log errors (CSP violations land there)."""
        out = []
        for e in self.browser.events:
            if e.get("sessionId") != self.session:
                continue
            method = e.get("method")
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(e["params"]["exceptionDetails"])[:500])
            elif method == "Log.entryAdded" and e["params"]["entry"]["level"] == "error":
                out.append(e["params"]["entry"]["text"])
            elif method == "Runtime.consoleAPICalled" and e["params"]["type"] == "error":
                out.append(json.dumps(e["params"]["args"])[:500])
        return out

    def close(self) -> None:
        self.browser.send("Target.closeTarget", {"targetId": self.target})
