"""What every page a journey visits must pass: axe-core's WCAG 2.0/2.1/2.2 A and AA rules, reflow at 320 CSS
pixels (WCAG 1.4.10: no scrolling sideways), with a screenshot of each page at 320 px.

axe-core comes from its npm package (package.json, installed from package-lock.json by the tests) and is
injected into each page; the contexts bypass the site's Content-Security-Policy only so that it can run.
"""
from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
NARROW = 320  # CSS pixels: WCAG 1.4.10 reflow
WIDE = {"width": 1280, "height": 900}


@dataclass
class Tally:
    """What the checks found in this test process; written to the artefacts folder at the session's end."""

    pages: int = 0
    violations: list[dict] = field(default_factory=list)
    reflow_failures: list[dict] = field(default_factory=list)
    screenshots: int = 0

    def write(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"summary-{name}.json").write_text(json.dumps({
            "pages_checked_by_axe": self.pages, "axe_violations": len(self.violations),
            "violations": self.violations, "reflow_failures": self.reflow_failures,
            "screenshots": self.screenshots,
        }, indent=2))


TALLY = Tally()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "home"


class Checker:
    """check(page): axe and reflow on the page now shown, with its screenshot at 320 px, for one test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def screenshot(self, page, label: str) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{slug(label)}.png"
        page.screenshot(path=str(path), full_page=True)
        TALLY.screenshots += 1
        return path

    def axe(self, page) -> list[dict]:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Evaluated by the driver, not added as a <script>: the site's Content-Security-Policy forbids inline
            # scripts, and the journeys run with it in force.
            page.evaluate(_axe_source() + "\n;0")
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        return [{"page": page.url, "rule": v["id"], "impact": v["impact"], "help": v["help"],
                 "nodes": [" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                           for n in v["nodes"]][:10]}
                for v in result["violations"]]

    def reflow(self, page) -> dict:
        """Narrow the window to 320 px, measure, screenshot, and widen it again."""
        viewport = page.viewport_size or WIDE
        page.set_viewport_size({"width": NARROW, "height": viewport["height"]})
        try:
            widths = page.evaluate("() => ({scroll: document.documentElement.scrollWidth,"
                                   " client: document.documentElement.clientWidth})")
            shot = self.screenshot(page, urlsplit(page.url).path + "-320px")
        finally:
            page.set_viewport_size(viewport)
        return {"page": page.url, "scroll_width": widths["scroll"], "client_width": widths["client"],
                "screenshot": str(shot)}

    def __call__(self, page) -> None:
        page.wait_for_load_state("load")
        path = urlsplit(page.url).path
        refused = page.evaluate("() => window.__cspViolations || []")
        assert not refused, f"{path}: the Content-Security-Policy refused {refused}"
        violations = self.axe(page)
        TALLY.pages += 1
        TALLY.violations.extend(violations)
        assert not violations, "axe found WCAG A/AA violations:\n" + json.dumps(violations, indent=2)
        measured = self.reflow(page)
        if measured["scroll_width"] > measured["client_width"]:
            TALLY.reflow_failures.append(measured)
            raise AssertionError(f"{path} scrolls sideways at {NARROW} CSS px: {measured}")


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


# Added to every page of a journey before its own scripts run (an init script is the driver's, so the policy
# does not apply to it): it notes each thing the Content-Security-Policy refused, which check_page then fails on.
CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def artefacts_folder() -> Path:
    """BROWSER_ARTIFACTS, or var/browser-artifacts/<run id> (the plugin names the run before workers start)."""
    return Path(os.environ.get("BROWSER_ARTIFACTS") or ROOT / "var" / "browser-artifacts" / "unnamed-run")
