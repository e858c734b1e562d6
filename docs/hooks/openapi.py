"""MkDocs hook: the API reference page is rendered from the app's own OpenAPI document.

The app is built by its factory on a throw-away competition (synthetic source, nothing
prepared, no evaluator, no network), so the page lists exactly the routes the server has.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

MARKER = "<!-- openapi -->"
# settings that would point the example app at a real store or broker
OUTSIDE = ("PODIUM_STORE_URL", "PODIUM_BROKER")
TAG_TITLES = {"api": "Competition API", "workers": "Worker API (`podium worker` only)"}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of `create_app`, for an example competition."""
    from podium.service.setup import init_competition
    from podium.web.app import create_app

    saved = {name: os.environ.pop(name) for name in OUTSIDE if name in os.environ}
    try:
        with tempfile.TemporaryDirectory(prefix="podium-docs-") as tmp:
            root = Path(tmp) / "cup"
            init_competition(root, name="Example cup", source="synthetic", force=False)
            app = create_app(root, evaluate=False)
            try:
                return app.openapi()
            finally:
                app.state.podium.close()
    finally:
        os.environ.update(saved)


def _schema(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target: dict[str, Any] = doc["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return target
    return schema


def _type(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    kind = str(schema.get("type", "any"))
    if schema.get("format") == "binary":
        return "file"
    return kind


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _operation(doc: dict[str, Any], method: str, path: str, op: dict[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}`", ""]
    if op.get("description"):
        out += [str(op["description"]).strip(), ""]
    elif op.get("summary"):
        out += [str(op["summary"]), ""]
    rows = [
        f"| `{p['name']}` | {p['in']} | {'yes' if p.get('required') else 'no'} "
        f"| {_type(p.get('schema', {}))} | {_cell(p.get('description', ''))} |"
        for p in op.get("parameters", [])
    ]
    body = op.get("requestBody", {}).get("content", {})
    for media, content in body.items():
        schema = _schema(doc, content.get("schema", {}))
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            yes = "yes" if name in required else "no"
            rows.append(f"| `{name}` | body ({media}) | {yes} | {_type(prop)} | |")
    if rows:
        out += ["| parameter | in | required | type | description |", "|---|---|---|---|---|"]
        out += [*rows, ""]
    responses = ", ".join(
        f"`{code}` {_cell(r.get('description', ''))}" for code, r in op["responses"].items()
    )
    out += [f"Responses: {responses}.", ""]
    return out


def render(doc: dict[str, Any]) -> str:
    """Markdown for every operation, grouped by tag, in the app's order."""
    info = doc["info"]
    out = [str(info.get("description", "")).strip(), "", f"OpenAPI {doc['openapi']}.", ""]
    groups: dict[str, list[str]] = {}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(tag, []).extend(_operation(doc, method, path, op))
    for tag, lines in groups.items():
        out += [f"## {TAG_TITLES.get(tag, tag)}", "", *lines]
    return "\n".join(out)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Fill the marker of the API page; other pages pass through."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, render(openapi_document()))
