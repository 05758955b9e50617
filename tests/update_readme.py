"""Regenerate the README's rule table from the registry: `python -m tests.update_readme`."""
from __future__ import annotations

import re
from pathlib import Path

from policylint.analysis import registry
from policylint.rule_catalogue import rules_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text(encoding="utf-8")
    text = re.sub(r"(<!-- rules:start[^>]*-->\n).*?(<!-- rules:end -->)",
                  lambda m: m.group(1) + rules_markdown(registry()) + m.group(2), text, flags=re.S)
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
