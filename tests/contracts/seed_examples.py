"""Pull the example JSON payloads out of the seed pages and SPEC.md.

The seeds are text copies of documentation pages whose code blocks carry line numbers ("1{",
"2  \"name\": ...") and sometimes // comments and {{template}} placeholders; SPEC.md quotes its
examples in ```json fences. Both are reduced to plain JSON here so tests can validate them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_BLOCK_START = re.compile(r"(?<![0-9])1\{")
_LINE_NUMBER = re.compile(r"\n[0-9]+ ?")
_PLACEHOLDER = re.compile(r"\{\{[^}]*\}\}")
_COMMENT = re.compile(r"//[^\n]*")
_FENCE = re.compile(r"```json\n(.*?)```", re.S)


def _balanced(text: str, start: int) -> str:
    depth, in_string, escaped = 0, False, False
    for end in range(start, len(text)):
        char = text[end]
        if in_string:
            escaped = char == "\\" and not escaped
            in_string = not (char == '"' and not escaped)
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return text[start : end + 1]
    raise ValueError(f"unbalanced example starting at {start}")


def _clean(block: str) -> str:
    block = _LINE_NUMBER.sub("\n", block)
    block = _COMMENT.sub("", block)
    # A placeholder stands for an id; quoted ones become "1", bare ones 1.
    return _PLACEHOLDER.sub("1", block)


def seed_examples(seeds_dir: Path) -> list[tuple[str, object]]:
    """(origin, payload) for every numbered JSON block of every seed page."""
    found = []
    for page in sorted(seeds_dir.glob("*.txt")):
        text = page.read_text(encoding="utf-8")
        for match in _BLOCK_START.finditer(text):
            # Normalise so that line-number prefixes always follow a newline.
            block = _balanced(_clean("\n" + text[match.start() + 1 :]), 1)
            found.append((f"{page.name}@{match.start()}", json.loads(block)))
    return found


def spec_examples(spec: Path) -> list[tuple[str, object]]:
    """(origin, payload) for every ```json fence of SPEC.md."""
    text = spec.read_text(encoding="utf-8")
    return [(f"SPEC.md@{m.start()}", json.loads(m.group(1))) for m in _FENCE.finditer(text)]
