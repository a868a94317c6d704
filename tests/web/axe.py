"""axe-core in the browser tests: `axe_violations(page)` runs Deque's accessibility engine on
the page Playwright shows and returns its violations. axe comes from the npm registry into
tests/web/node_modules (`make` installs it from package-lock.json); it is never served by Peeka.

The script goes in through Playwright's `evaluate` (the DevTools protocol), not through a
<script> tag: the page keeps its own Content Security Policy, so a test that also watches for
CSP violations still sees every one the product would cause."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_HINT = "axe-core is missing: run `npm ci --prefix tests/web` (make test does)"

# WCAG 2.0, 2.1 and 2.2 A and AA, plus axe's best practices (landmarks, headings, skip link).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

_RUN = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html,
      summary: n.failureSummary,
    })),
  }));
}"""


def axe_source() -> str:
    if not AXE_JS.is_file():
        raise FileNotFoundError(f"{AXE_JS}: {INSTALL_HINT}")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(
    page: Page, impact: tuple[str, ...] = ("serious", "critical")
) -> list[dict[str, Any]]:
    """The violations of the impacts `impact` on the page as it is now, each
    `{"id", "impact", "help", "helpUrl", "nodes": [{"target", "html", "summary"}]}`."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # A trailing expression makes the whole file one evaluated script (not a function).
        page.evaluate(axe_source() + "\n;true")
    found: list[dict[str, Any]] = page.evaluate(_RUN, TAGS)
    return [violation for violation in found if violation["impact"] in impact]


def violations_report(violations: list[dict[str, Any]], where: str = "") -> str:
    """One readable block per violation: rule, impact, what it asks, and each offending node."""
    lines = []
    for violation in violations:
        lines.append(
            f"{where}[{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}  {node['html'][:160]}")
            summary = " ".join((node["summary"] or "").split())
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)
