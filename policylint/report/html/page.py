"""One self-contained HTML file: the data as JSON inside the page, the stylesheet and the script
inline, no request to anywhere.

Every value that came from the input (names, labels, messages, file contents) travels only inside
the JSON block and is put on the page by the script with `textContent`, never as markup. The JSON
block escapes `<`, `>` and `&`, so no input can close the `<script>` element that carries it. A
Content-Security-Policy allows exactly the inline stylesheet and script (by hash) and nothing
else: no fetch, no image, no font, no frame.
"""
from __future__ import annotations

import base64
import hashlib
import html
from importlib import resources
from typing import Any

from policylint.report.escape import json_dumps

_ASSETS = resources.files("policylint.report.html")


def _asset(name: str) -> str:
    return _ASSETS.joinpath(name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON that is safe inside a <script> element whatever strings it holds: through the
    project's JSON escaping (printable in a log, no `##` marker), and no `<`, `>` or `&`."""
    text = json_dumps(data, separators=(",", ":"), allow_nan=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _digest(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def render_page(data: dict[str, Any], title: str) -> str:
    css = _asset("report.css")
    js = _asset("report.js")
    policy = (f"default-src 'none'; style-src {_digest(css)}; script-src {_digest(js)}; img-src data:; "
              "base-uri 'none'; form-action 'none'")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>{css}</style>\n</head>\n<body>\n"
        '<a class="skip" href="#main">Skip to the report</a>\n'
        '<header class="top"><div class="brand">policylint</div>'
        '<nav id="nav" aria-label="Sections"></nav></header>\n'
        '<main id="main" tabindex="-1"><noscript><p>This report draws its views with JavaScript; '
        "the same data is in the JSON report (<code>--format json</code>).</p></noscript></main>\n"
        f'<script type="application/json" id="policylint-data">{script_json(data)}</script>\n'
        f"<script>{js}</script>\n</body>\n</html>\n"
    )
