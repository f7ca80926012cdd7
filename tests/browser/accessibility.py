"""axe-core (the copy bundled by the pinned `axe-playwright-python` package, never one fetched at run time)
run on every page a browser test opens.

axe-core is added to every document of the context (an init script, which the Content-Security-Policy does
not block) and runs in the page itself once it has loaded; it reports through a binding. A test moving on
does not lose the analysis: a navigation that would replace a document still being analysed is held (a
route on the context) until the report has arrived, as Chromium keeps the old document alive until the new
one's response arrives. Each distinct address and viewport is analysed once per browser context (a test opens
its own), which bounds the cost. An analysis that a new document cut short (a test that moved on before
`load`, the old document firing `load` late) is released when the new document commits, so no
navigation waits for a report that cannot come, and its address is analysed again by GET at the end.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urldefrag

from axe_playwright_python.base import AXE_SCRIPT
from playwright.async_api import BrowserContext, Page, Route

# How long a navigation waits for the analysis of the page it leaves (axe-core takes well under a second).
WAIT_SECONDS = 30

INIT = """(() => {
  if (window.top !== window) return;
  function loadAxe() {
%s
  }
  window.addEventListener("load", async () => {
    if (document.contentType !== "text/html" || !location.protocol.startsWith("http")) return;
    // once per address and viewport in a test (a context's localStorage is the test's own)
    const key = "axe-core " + innerWidth + "x" + innerHeight + " " + location.href.split("#")[0];
    if (localStorage.getItem(key)) return;
    localStorage.setItem(key, "1");
    // bindings are called without awaiting their answer: Playwright could not deliver it to a page that
    // a test is leaving (the navigation waits for the report, which would wait for the answer)
    window.__axeStarted(location.href);
    let found;
    try {
      if (typeof window.axe === "undefined") loadAxe.call(window);
      const results = await window.axe.run(document, {resultTypes: ["violations"]});
      found = results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
      }));
    } catch (error) {
      found = [{id: "axe-core", impact: "erreur", help: String(error), targets: []}];
    }
    window.__axeReport(location.href, found);
  });
})();"""


# The analysis of an address again, evaluated from Python once its page has loaded (no navigation held then).
RERUN = """(async () => {
  if (typeof window.axe === "undefined") {
%s
  }
  const results = await window.axe.run(document, {resultTypes: ["violations"]});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
})()"""


class AxeChecker:
    """Analyses the pages of the contexts it watches and keeps the violations found."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.pending: dict[Page, asyncio.Event] = {}
        self.started: dict[asyncio.Event, str] = {}
        self.urls: dict[asyncio.Event, str] = {}
        self.lost: list[tuple[BrowserContext, str, dict]] = []  # analyses cut short: done again in `finish`

    async def watch(self, context: BrowserContext, viewport: dict) -> None:
        size = f"{viewport['width']}x{viewport['height']}"

        def started(source: dict, url: str) -> None:
            self.pending[source["page"]] = event = asyncio.Event()
            self.started[event] = f"{urldefrag(url)[0]} ({size})"
            self.urls[event] = urldefrag(url)[0]

        def report(source: dict, url: str, found: list[dict]) -> None:
            for v in found:
                self.violations.append(f"{urldefrag(url)[0]} ({size}) : {v['id']} [{v['impact']}] {v['help']} → "
                                       + " | ".join(v["targets"]))
            event = self.pending.get(source["page"])
            if event is not None:
                event.set()

        async def hold_navigation(route: Route) -> None:
            request = route.request
            if request.is_navigation_request() and request.frame == request.frame.page.main_frame:
                event = self.pending.get(request.frame.page)
                if event is not None and not event.is_set():
                    try:
                        await asyncio.wait_for(event.wait(), WAIT_SECONDS)
                    except TimeoutError:
                        self.violations.append(f"{request.frame.page.url} ({size}) : axe-core n'a pas terminé "
                                               f"son analyse en {WAIT_SECONDS} s")
                        event.set()
            await route.fallback()

        def on_page(page: Page) -> None:
            def committed(frame) -> None:
                # A new document replaced the page's: an analysis still marked running was cut short with the
                # old document (it started on a late `load` while the test had already moved on). Release
                # it (nothing will report) and analyse that address again at the end of the test.
                if frame != page.main_frame:
                    return
                event = self.pending.get(page)
                if event is not None and not event.is_set():
                    event.set()
                    self.lost.append((context, self.urls[event], viewport))
            page.on("framenavigated", committed)

        context.on("page", on_page)
        await context.expose_binding("__axeStarted", started)
        await context.expose_binding("__axeReport", report)
        await context.add_init_script(INIT % AXE_SCRIPT)
        await context.route("**/*", hold_navigation)

    async def finish(self) -> None:
        """Waits for the analyses still running, then analyses again (by GET, in a new page of the same
        context: same cookies and viewport) every address whose analysis a new document cut short, so no
        page escapes the check (before the contexts close)."""
        await self._wait_running()
        for context, url, viewport in self.lost:
            page = await context.new_page()
            try:
                await page.set_viewport_size(viewport)
                await page.goto(url, wait_until="load")
                found = await page.evaluate(RERUN % AXE_SCRIPT)
            except Exception as exc:  # noqa: BLE001 - reported as a failure of the check, never dropped
                found = [{"id": "axe-core", "impact": "erreur", "help": repr(exc), "targets": []}]
            finally:
                await page.close()
            size = f"{viewport['width']}x{viewport['height']}"
            self.violations += [f"{url} ({size}) : {v['id']} [{v['impact']}] {v['help']} → " + " | ".join(v["targets"])
                                for v in found]
        self.lost.clear()
        await self._wait_running()

    async def _wait_running(self) -> None:
        waiting = [e for e in self.pending.values() if not e.is_set()]
        if waiting:
            try:
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in waiting)), WAIT_SECONDS)
            except TimeoutError:
                self.violations += [f"{self.started[e]} : axe-core n'a pas terminé son analyse"
                                    for e in waiting if not e.is_set()]
