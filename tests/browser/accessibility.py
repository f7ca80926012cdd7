"""axe-core (the copy bundled by the pinned `axe-playwright-python` package, never one fetched at run time)
run on every page a browser test opens.

Why it was flaky: the analysis used to start inside the page on its `load` event and report through a
binding, and a navigation leaving a page whose analysis had started was held until the report arrived.
A test that moved on before `load` let its navigation through (nothing had started yet); the old document
then fired `load` while the new one was on its way, started an analysis that the new document cut short,
and the page's "analysis running" mark was never cleared: the page's next navigation waited the full 30 s
and reported « axe-core n'a pas terminé », while the page left early had in fact never been checked.

How it works now: the analysis is driven from Python (`page.evaluate`), so its result comes back with the
call, on the very document analysed, or the call fails; nothing waits for a message that may never come.
- when a page fires `load`, its document is analysed at once (in the background, while the test goes on);
- when the test moves on (any main-frame navigation request: goto, click, form post answered by 303, the
  waiting room's own reload or Refresh header, a download), a context route holds that request just long
  enough to finish the analysis of the document being left: it awaits the running analysis, or, for a
  document not analysed yet (left before `load`), analyses it now, after its `load` (Chromium keeps the
  old document alive and loading until the new one's response arrives; at most LOAD_PATIENCE_MS, then
  the document is analysed as it is). A document already analysed costs one small evaluate, no wait;
- at the end of the test the pages still open are analysed the same way before the contexts close;
- a document that disappeared before it could be analysed (a page closed by the test, a document replaced
  without a network request) is never dropped silently: its address is re-opened by GET in a new page of
  the same context (same cookies, same viewport) at the end of the test and analysed there (for the
  result of a POST this is the GET view of the same address, the portal's pages being POST/redirect/GET).
Each distinct address and viewport is analysed once per browser context (a test opens its own), which
bounds the cost: one analysis per page, plus one small evaluate per navigation.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urldefrag

from axe_playwright_python.base import AXE_SCRIPT
from playwright.async_api import BrowserContext, Error, Page, Route

# The longest an analysis may take (axe-core takes well under a second) before it is reported as a violation.
WAIT_SECONDS = 30
# How long the analysis of a document left before its `load` event waits for it.
LOAD_PATIENCE_MS = 5_000

# Defines, in every top-level document, the function the checker calls; axe-core itself is only evaluated
# when a document is analysed (an init script, which the Content-Security-Policy does not block).
INIT = """(() => {
  if (window.top !== window) return;
  function loadAxe() {
%s
  }
  window.__axeAnalyse = async (done, patience) => {
    if (document.contentType !== "text/html" || !location.protocol.startsWith("http")) return null;
    const url = location.href.split("#")[0];
    const key = innerWidth + "x" + innerHeight + " " + url;
    if (done.includes(key)) return {key, url, found: null};
    if (document.readyState !== "complete") {
      await new Promise(resolve => {
        window.addEventListener("load", resolve, {once: true});
        setTimeout(resolve, patience);
      });
    }
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
    return {key, url, found};
  };
})();"""

ANALYSE = "([done, patience]) => window.__axeAnalyse ? window.__axeAnalyse(done, patience) : null"


class AxeChecker:
    """Analyses the pages of the contexts it watches and keeps the violations found."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self.analysed: list[str] = []  # "WxH address", in order (the tests of this module read it)
        self.done: dict[BrowserContext, set[str]] = {}
        self.running: dict[Page, asyncio.Task] = {}
        self.missed: list[tuple[BrowserContext, str, dict | None]] = []

    async def watch(self, context: BrowserContext, viewport: dict) -> None:
        self.done[context] = set()

        def on_page(page: Page) -> None:
            page.on("load", lambda: self._start(page))

        async def hold_navigation(route: Route) -> None:
            request = route.request
            if request.is_navigation_request() and request.frame.parent_frame is None:
                await self.settle(request.frame.page)
            await route.fallback()

        context.on("page", on_page)
        await context.add_init_script(INIT % AXE_SCRIPT)
        await context.route("**/*", hold_navigation)

    def _start(self, page: Page) -> asyncio.Task:
        task = self.running.get(page)
        if task is None or task.done():
            task = self.running[page] = asyncio.get_running_loop().create_task(self._analyse(page))
        return task

    async def settle(self, page: Page) -> None:
        """Until the page's current document is analysed (at once if it already was)."""
        task = self.running.get(page)
        if task is not None and not task.done():
            await asyncio.shield(task)
        if not page.is_closed() and page.url.startswith("http"):  # (never about:blank, the page's first)
            await asyncio.shield(self._start(page))

    async def _analyse(self, page: Page) -> None:
        context, url, size = page.context, urldefrag(page.url)[0], page.viewport_size
        done = self.done.setdefault(context, set())
        try:
            result = await asyncio.wait_for(page.evaluate(ANALYSE, [sorted(done), LOAD_PATIENCE_MS]),
                                            WAIT_SECONDS)
        except TimeoutError:
            self.violations.append(f"{url} : axe-core n'a pas terminé son analyse en {WAIT_SECONDS} s")
            return
        except Error:
            # the document went away under the analysis (page closed, document replaced): checked again later
            if url.startswith("http"):
                self.missed.append((context, url, size))
            return
        if not result or result["found"] is None or result["key"] in done:
            return
        done.add(result["key"])
        self.analysed.append(result["key"])
        size_text, _, _ = result["key"].partition(" ")
        for v in result["found"]:
            self.violations.append(f"{result['url']} ({size_text}) : {v['id']} [{v['impact']}] {v['help']} → "
                                   + " | ".join(v["targets"]))

    async def finish(self) -> None:
        """Analyses what is still open or was missed, before the contexts close."""
        for context in self.done:
            for page in context.pages:
                await self.settle(page)
        missed, self.missed = self.missed, []
        for context, url, size in missed:
            key = f"{size['width']}x{size['height']} {url}" if size else None
            if key in self.done[context]:
                continue
            page = await context.new_page()
            try:
                if size:
                    await page.set_viewport_size(size)
                await page.goto(url, wait_until="load")
                await self.settle(page)
            except Error as error:
                self.violations.append(f"{url} : axe-core n'a pas pu analyser la page ({error.message})")
            finally:
                await page.close()
        for context, url, _size in self.missed:
            self.violations.append(f"{url} : axe-core n'a pas pu analyser la page")
