"""The remediation catalogue (`remediations/*.yaml`) and the Jinja templates (`templates/`), loaded and validated.

Adding a remediation means adding an entry and a template, not editing Python: each entry says which root causes
it answers (`when`), its risk, its explanation (a text with `{placeholders}` filled from the diagnosis), the
templates it renders, and — for causes s3why must not fix itself — why (`never_automatic`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import yaml

from bot.diagnose.model import CauseKind
from bot.errors import S3whyError
from bot.escape import JINJA_FILTERS
from bot.fixes.model import Risk

_RISKS = tuple(r.value for r in Risk)
_KINDS = tuple(k.value for k in CauseKind)
_TARGETS = (
    "principal",
    "bucket",
    "key",
    "vpc_endpoint",
    "boundary",
    "access_point",
    "multi_region_access_point",
    None,
)


class CatalogueError(S3whyError):
    """A remediation entry or template that cannot be used (named with its file)."""


@dataclass(frozen=True)
class Remediation:
    id: str
    layer: str
    title: str
    risk: str
    explanation: str
    layers: tuple[str, ...]
    kinds: tuple[str, ...]
    cross_account: bool | None = None
    via_access_point: bool | None = None
    identity_side: bool | None = None
    templates: tuple[str, ...] = ()
    target: str | None = None
    companions: tuple[str, ...] = ()
    never_automatic: str | None = None
    fixes_request: bool = True
    alternatives: tuple[str, ...] = field(default=())
    scope: str | None = None  # "bucket": the entry always grants the whole bucket (AWS's pattern for its layer)
    # False: only for a principal with no identity-based policy (a CloudFront OAI, a service), which only a
    # resource policy can grant; True: only for one that has them; None: either.
    identity_policies: bool | None = None


def _home(kind: str) -> Path:
    env = os.environ.get(f"S3WHY_{kind.upper()}")
    candidates = [Path(env)] if env else []
    candidates += [Path(__file__).resolve().parents[2] / kind, Path.cwd() / kind]
    for c in candidates:
        if c.is_dir():
            return c
    raise CatalogueError(f"the {kind} folder was not found (set S3WHY_{kind.upper()})")


def _entry(path: Path) -> Remediation:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"remediation {path.name}: cannot read it ({exc})") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"remediation {path.name}: must be a mapping")
    for key in ("id", "layer", "title", "risk", "explanation", "when"):
        if key not in raw:
            raise CatalogueError(f"remediation {path.name}: missing {key!r}")
    if raw["risk"] not in _RISKS:
        raise CatalogueError(f"remediation {path.name}: risk must be one of {_RISKS}")
    when = raw["when"]
    if not isinstance(when, dict):
        raise CatalogueError(f"remediation {path.name}: when must be a mapping")
    kinds = tuple(when.get("kinds") or _KINDS)
    if any(k not in _KINDS for k in kinds):
        raise CatalogueError(f"remediation {path.name}: unknown kind in {kinds}")
    if raw.get("target") not in _TARGETS:
        raise CatalogueError(f"remediation {path.name}: target must be one of {_TARGETS}")
    templates = tuple(raw.get("templates") or ())
    if raw.get("never_automatic") is None and not templates:
        raise CatalogueError(f"remediation {path.name}: an entry without templates must say never_automatic")
    return Remediation(
        id=str(raw["id"]),
        layer=str(raw["layer"]),
        title=str(raw["title"]),
        risk=str(raw["risk"]),
        explanation=str(raw["explanation"]),
        layers=tuple(when.get("layers") or ()),
        kinds=kinds,
        cross_account=when.get("cross_account"),
        via_access_point=when.get("via_access_point"),
        identity_side=when.get("identity_side"),
        identity_policies=when.get("identity_policies"),
        templates=templates,
        target=raw.get("target"),
        companions=tuple(raw.get("companions") or ()),
        never_automatic=raw.get("never_automatic"),
        fixes_request=bool(raw.get("fixes_request", True)),
        alternatives=tuple(raw.get("alternatives") or ()),
        scope=_scope(raw.get("scope"), path),
    )


def _scope(value: Any, path: Path) -> str | None:
    if value not in (None, "bucket"):
        raise CatalogueError(f"remediation {path.name}: scope must be bucket when given")
    return None if value is None else str(value)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Remediation]:
    entries = {}
    for path in sorted(_home("remediations").glob("*.yaml")):
        entry = _entry(path)
        if entry.id in entries:
            raise CatalogueError(f"remediation {path.name}: id {entry.id!r} is used twice")
        entries[entry.id] = entry
    env = environment()
    for entry in entries.values():
        for name in entry.templates:
            try:
                env.get_template(f"{name}.json.j2")
            except jinja2.TemplateError as exc:
                raise CatalogueError(f"remediation {entry.id}: template {name}.json.j2: {exc}") from None
        for companion in entry.companions:
            if companion not in entries:
                raise CatalogueError(f"remediation {entry.id}: unknown companion {companion!r}")
    return entries


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """Jinja with StrictUndefined; values reach JSON only through the JSON filters, never by concatenation."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_home("templates"))),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the outputs are JSON, shell and HCL: each value is encoded by its own filter
        keep_trailing_newline=True,
    )
    env.filters.update(JINJA_FILTERS)  # one escaping function per output format (bot/escape.py)
    return env


def render_statement(template: str, values: dict[str, Any]) -> dict[str, Any]:
    text = environment().get_template(f"{template}.json.j2").render(**values)
    statement: dict[str, Any] = json.loads(text)
    return statement


def render_text(template: str, values: dict[str, Any]) -> str:
    return environment().get_template(template).render(**values).strip()


@dataclass(frozen=True)
class RequestWording:
    """remediations/request-side/wording.yaml: what to tell the sender, per condition key and per layer."""

    condition_keys: dict[str, str]
    layers: dict[str, str]

    def for_key(self, key: str, value: str | None) -> str:
        text = self.condition_keys.get(key) or self.condition_keys["default"]
        return text.format(key=key, value=value if value is not None else "(absent)")


@lru_cache(maxsize=1)
def request_wording() -> RequestWording:
    path = _home("remediations") / "request-side" / "wording.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogueError(f"request-side/wording.yaml: cannot read it ({exc})") from None
    if not isinstance(raw, dict) or "default" not in (raw.get("condition_keys") or {}):
        raise CatalogueError("request-side/wording.yaml: needs condition_keys (with default) and layers")
    return RequestWording(dict(raw["condition_keys"]), dict(raw.get("layers") or {}))
