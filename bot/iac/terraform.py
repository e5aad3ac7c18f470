"""Where a Terraform tree defines the policy a fix changes, and the smallest patch to that file.

The resource types that carry a policy (Terraform AWS provider): `aws_iam_role_policy` (role), `aws_iam_user_policy`
(user), `aws_iam_group_policy` (group), `aws_iam_policy` (a managed policy, attached with
`aws_iam_role_policy_attachment` / `aws_iam_user_policy_attachment` or named by ARN), `aws_s3_bucket_policy`
(bucket), `aws_kms_key` (its `policy`, found through an `aws_kms_alias`) and `aws_kms_key_policy`,
`aws_vpc_endpoint_policy`, `aws_s3control_access_point_policy`. The policy may be written as
`jsonencode({...})`, as a heredoc holding JSON, or as `data "aws_iam_policy_document"`. The patch keeps the
form: an HCL object added to `Statement` in `jsonencode`, a JSON object added to the heredoc's `Statement`, a
`statement {}` block added to the data source. The patched file is parsed again with python-hcl2 and the
policy it now defines is what the fix is verified against.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

from bot.iac.hcltext import find_code, hcl_escape, hcl_string, hcl_unescape, line_indent, match, plain

POLICY_TYPES = (
    "aws_iam_role_policy",
    "aws_iam_user_policy",
    "aws_iam_group_policy",
    "aws_iam_policy",
    "aws_s3_bucket_policy",
    "aws_kms_key",
    "aws_kms_key_policy",
    "aws_vpc_endpoint_policy",
    "aws_s3control_access_point_policy",
)
_REF = re.compile(r"^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}$")
_DATA_REF = re.compile(r"^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$")


class TerraformError(Exception):
    """A Terraform file s3why cannot read or patch (said in words, with the file)."""


@dataclass(frozen=True)
class PolicyInCode:
    """One policy as a Terraform file defines it."""

    file: Path
    rtype: str  # the resource type that carries it
    name: str  # the resource's name
    form: str  # jsonencode | heredoc | document
    document_name: str | None  # for the document form: the data source's name
    document: dict[str, Any]  # the policy as IAM JSON (unresolved references kept as "${...}")


@dataclass(frozen=True)
class TerraformPatch:
    policy: PolicyInCode
    path: str  # the file, relative to the tree
    diff: str  # unified diff of the file
    after_text: str
    after: dict[str, Any]  # the policy the patched file defines (parsed again)


# --- reading the tree ----------------------------------------------------------------------------------------
@dataclass
class Tree:
    root: Path
    resources: dict[tuple[str, str], tuple[Path, dict[str, Any]]]
    documents: dict[str, tuple[Path, dict[str, Any]]]
    problems: list[str]

    def attr(self, value: Any, want: str) -> str | None:
        """A literal, or the `want` attribute of the resource a reference names (`aws_iam_role.app.name`)."""
        if not isinstance(value, str):
            return None
        m = _REF.match(value)
        if m is None:
            text = plain(value)
            return text if isinstance(text, str) and "${" not in text else None
        found = self.resources.get((m.group(1), m.group(2)))
        if found is None:
            return None
        attrs = found[1]
        if m.group(3) in ("id", "name", "bucket", want) and want in attrs:
            return self.attr(attrs[want], want)
        return None


def load_tree(root: str | Path) -> Tree:
    base = Path(root)
    if not base.is_dir():
        raise TerraformError(f"{root}: not a directory")
    tree = Tree(base, {}, {}, [])
    for path in sorted(base.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        try:
            data = hcl2.loads(path.read_text(encoding="utf-8"))
        except Exception as exc:
            tree.problems.append(f"{path.relative_to(base)}: not valid HCL ({type(exc).__name__})")
            continue
        for block in data.get("resource", []):
            for rtype, named in block.items():
                for name, attrs in named.items():
                    tree.resources[(plain(rtype), plain(name))] = (path, attrs)
        for block in data.get("data", []):
            for dtype, named in block.items():
                if plain(dtype) == "aws_iam_policy_document":
                    for name, attrs in named.items():
                        tree.documents[plain(name)] = (path, attrs)
    return tree


def _policy_of(tree: Tree, path: Path, rtype: str, name: str, attrs: dict[str, Any]) -> PolicyInCode | None:
    raw = attrs.get("policy")
    if not isinstance(raw, str):
        return None
    if raw.startswith("${jsonencode("):
        inner = raw[len("${jsonencode(") : -2]
        try:
            value = plain(hcl2.loads("x = " + inner + "\n")["x"])
        except Exception:
            return None
        return PolicyInCode(path, rtype, name, "jsonencode", None, value)
    m = _DATA_REF.match(raw)
    if m is not None and m.group(1) in tree.documents:
        doc_path, doc_attrs = tree.documents[m.group(1)]
        return PolicyInCode(doc_path, rtype, name, "document", m.group(1), document_from_data(doc_attrs))
    text = plain(raw)
    if isinstance(text, str) and text.startswith("<<"):
        body = text.split("\n", 1)[1].rsplit("\n", 1)[0]
        try:
            return PolicyInCode(path, rtype, name, "heredoc", None, json.loads(hcl_unescape(body)))
        except json.JSONDecodeError:
            return None
    return None


def document_from_data(attrs: dict[str, Any]) -> dict[str, Any]:
    """An `aws_iam_policy_document` data source as IAM JSON (the provider's mapping of its blocks)."""
    statements = []
    for st in plain(attrs.get("statement") or []):
        out: dict[str, Any] = {"Effect": st.get("effect", "Allow")}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        for hcl_key, json_key in (
            ("actions", "Action"),
            ("not_actions", "NotAction"),
            ("resources", "Resource"),
            ("not_resources", "NotResource"),
        ):
            if st.get(hcl_key) is not None:
                out[json_key] = st[hcl_key]
        for hcl_key, json_key in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            blocks = st.get(hcl_key) or []
            if blocks:
                principal: dict[str, Any] = {}
                for b in blocks:
                    if b.get("type") == "*":
                        principal = {"*": True}
                        break
                    principal.setdefault(b["type"], []).extend(b.get("identifiers") or [])
                out[json_key] = "*" if "*" in principal else principal
        conditions: dict[str, dict[str, Any]] = {}
        for cond in st.get("condition") or []:
            conditions.setdefault(cond["test"], {})[cond["variable"]] = cond.get("values") or []
        if conditions:
            out["Condition"] = conditions
        statements.append(out)
    version = plain(attrs.get("version")) or "2012-10-17"
    return {"Version": version, "Statement": statements}


# --- which resource defines the target -----------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """What a fix changes, as s3why knows it: `where` (principal-inline | managed | bucket | key | vpce |
    access-point) and the names that identify it."""

    where: str
    kind: str = ""  # role | user (principal-inline)
    name: str = ""  # role/user/group/bucket/policy/access point name, or the endpoint id
    aliases: tuple[str, ...] = ()  # a key's aliases
    arn: str = ""


def find_policy(tree: Tree, target: Target) -> PolicyInCode | None:
    """The policy in the tree that defines the target, or None when the tree does not define it."""
    res = tree.resources
    candidates: list[tuple[str, str]] = []
    if target.where == "principal-inline":
        inline = "aws_iam_role_policy" if target.kind == "role" else "aws_iam_user_policy"
        attachment = "aws_iam_role_policy_attachment" if target.kind == "role" else "aws_iam_user_policy_attachment"
        field = target.kind
        candidates += [
            k for k, (_, a) in res.items() if k[0] == inline and tree.attr(a.get(field), "name") == target.name
        ]
        for k, (_, a) in res.items():
            if k[0] == attachment and tree.attr(a.get(field), "name") == target.name:
                ref = a.get("policy_arn")
                m = _REF.match(ref) if isinstance(ref, str) else None
                if m is not None and m.group(1) == "aws_iam_policy":
                    candidates.append(("aws_iam_policy", m.group(2)))
    elif target.where == "group":
        candidates += [
            k
            for k, (_, a) in res.items()
            if k[0] == "aws_iam_group_policy" and tree.attr(a.get("group"), "name") == target.name
        ]
    elif target.where == "managed":
        candidates += [
            k
            for k, (_, a) in res.items()
            if k[0] == "aws_iam_policy" and tree.attr(a.get("name"), "name") == target.name
        ]
    elif target.where == "bucket":
        candidates += [
            k
            for k, (_, a) in res.items()
            if k[0] == "aws_s3_bucket_policy" and tree.attr(a.get("bucket"), "bucket") == target.name
        ]
    elif target.where == "key":
        keys = set()
        for k, (_, a) in res.items():
            if k[0] == "aws_kms_alias" and tree.attr(a.get("name"), "name") in target.aliases:
                ref = a.get("target_key_id")
                m = _REF.match(ref) if isinstance(ref, str) else None
                if m is not None and m.group(1) == "aws_kms_key":
                    keys.add(m.group(2))
        candidates += [("aws_kms_key", k) for k in sorted(keys)]
        for k, (_, a) in res.items():
            ref = a.get("key_id")
            m = _REF.match(ref) if isinstance(ref, str) else None
            if k[0] == "aws_kms_key_policy" and (
                (m is not None and m.group(2) in keys) or tree.attr(ref, "key_id") in (target.arn, target.name)
            ):
                candidates.insert(0, k)
    elif target.where == "vpce":
        for k, (_, a) in res.items():
            if k[0] == "aws_vpc_endpoint_policy" and tree.attr(a.get("vpc_endpoint_id"), "id") == target.name:
                candidates.append(k)
    elif target.where == "access-point":
        for k, (_, a) in res.items():
            if k[0] != "aws_s3control_access_point_policy":
                continue
            ref = a.get("access_point_arn")
            m = _REF.match(ref) if isinstance(ref, str) else None
            named = (
                tree.attr(res[(m.group(1), m.group(2))][1].get("name"), "name")
                if m and (m.group(1), m.group(2)) in res
                else None
            )
            if plain(ref) == target.arn or named == target.name:
                candidates.append(k)
    for key in candidates:
        if key not in res:
            continue
        path, attrs = res[key]
        found = _policy_of(tree, path, key[0], key[1], attrs)
        if found is not None:
            return found
    return None


# --- the patch -----------------------------------------------------------------------------------------------
def unified(before: str, after: str, rel: str) -> str:
    """A unified diff of one file, as `git apply` reads it."""
    return "".join(
        difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{rel}", f"b/{rel}")
    )


def patch_policy(
    tree: Tree, policy: PolicyInCode, statement: dict[str, Any], text: str | None = None
) -> TerraformPatch:
    """Add `statement` to the policy, in the file's own form (to `text`, the file's content by default); parse
    the result again. Nothing is written: the patch goes to a pull request."""
    if text is None:
        text = policy.file.read_text(encoding="utf-8")
    if policy.form == "document":
        after_text = _add_document_statement(text, policy.document_name or "", statement)
    else:
        after_text = _add_policy_statement(text, policy, statement)
    rel = str(policy.file.relative_to(tree.root))
    diff = unified(text, after_text, rel)
    after = reparse(tree, policy, after_text)
    return TerraformPatch(policy, rel, diff, after_text, after)


def reparse(tree: Tree, policy: PolicyInCode, after_text: str) -> dict[str, Any]:
    """The policy the patched file defines, read with python-hcl2 (the same way the tree was)."""
    try:
        data = hcl2.loads(after_text)
    except Exception as exc:
        raise TerraformError(f"{policy.file.name}: the patched file is not valid HCL ({type(exc).__name__})") from None
    if policy.form == "document":
        for block in data.get("data", []):
            for dtype, named in block.items():
                for name, attrs in named.items():
                    if plain(dtype) == "aws_iam_policy_document" and plain(name) == policy.document_name:
                        return document_from_data(attrs)
        raise TerraformError(f"{policy.file.name}: the patched file lost data.aws_iam_policy_document")
    for block in data.get("resource", []):
        for rtype, named in block.items():
            for name, attrs in named.items():
                if plain(rtype) == policy.rtype and plain(name) == policy.name:
                    again = _policy_of(tree, policy.file, policy.rtype, policy.name, attrs)
                    if again is not None:
                        return again.document
    raise TerraformError(f"{policy.file.name}: the patched policy of {policy.rtype}.{policy.name} cannot be read")


def _block_span(text: str, head: re.Pattern[str]) -> tuple[int, int]:
    m = find_code(text, head)
    if m is None:
        raise TerraformError("the block is not where python-hcl2 found it")
    open_at = m.end() - 1
    close = match(text, open_at)
    if close < 0:
        raise TerraformError("unbalanced braces")
    return open_at, close


def _add_policy_statement(text: str, policy: PolicyInCode, statement: dict[str, Any]) -> str:
    head = re.compile(rf'resource\s+"{re.escape(policy.rtype)}"\s+"{re.escape(policy.name)}"\s*\{{')
    start, end = _block_span(text, head)
    attr = find_code(text, re.compile(r"\bpolicy\s*=\s*"), start, end)
    if attr is None:
        raise TerraformError(f"{policy.rtype}.{policy.name}: no policy attribute")
    if policy.form == "jsonencode":
        call = find_code(text, re.compile(r"jsonencode\s*\("), attr.end(), end)
        if call is None:
            raise TerraformError("jsonencode( not found")
        close = match(text, call.end() - 1)
        lst = find_code(text, re.compile(r'(?:"Statement"|Statement)\s*[=:]\s*\['), call.end(), close)
        if lst is None:
            raise TerraformError(f"{policy.rtype}.{policy.name}: the policy has no Statement list")
        return _insert_element(text, lst.end() - 1, lambda indent: _hcl_object(statement, indent))
    # heredoc: JSON inside; the Statement list found in the heredoc's text
    body_start = text.index("\n", attr.end()) + 1
    lst = re.compile(r'"Statement"\s*:\s*\[').search(text, body_start, end)
    if lst is None:
        raise TerraformError(f"{policy.rtype}.{policy.name}: the heredoc has no Statement list")
    return _insert_element(text, lst.end() - 1, lambda indent: _json_object(statement, indent))


def _insert_element(text: str, open_at: int, render: Callable[[str], str]) -> str:
    """Insert an element at the end of the list whose `[` is at `open_at`, indented like its elements."""
    close = match(text, open_at)
    if close < 0:
        raise TerraformError("unbalanced brackets in the Statement list")
    inner = text[open_at + 1 : close]
    closing_indent = line_indent(text, close)
    first = re.search(r"\S", inner)
    if first is not None and "\n" in inner[: first.start()]:
        indent = line_indent(text, open_at + 1 + first.start())
    else:
        indent = closing_indent + "  "
    last = len(text[:close].rstrip())
    needs_comma = first is not None and text[last - 1] not in ",["
    before = text[:last] + ("," if needs_comma else "")
    element = render(indent)
    return (
        before
        + "\n"
        + indent
        + element
        + ("," if text[open_at] == "[" and _trailing_commas(inner) else "")
        + "\n"
        + closing_indent
        + text[close:]
    )


def _trailing_commas(inner: str) -> bool:
    return inner.rstrip().endswith(",")


def _hcl_value(value: Any, indent: str) -> str:
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_hcl_value(v, indent) for v in value) + "]"
    if isinstance(value, dict):
        return _hcl_object(value, indent)
    return "null"


def _hcl_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else hcl_string(key)


def _hcl_object(obj: dict[str, Any], indent: str) -> str:
    inner = indent + "  "
    keys = [_hcl_key(k) for k in obj]
    width = max((len(k) for k in keys), default=0)
    lines = [f"{inner}{k.ljust(width)} = {_hcl_value(v, inner)}" for k, v in zip(keys, obj.values(), strict=True)]
    return "{\n" + "\n".join(lines) + "\n" + indent + "}"


def _json_object(obj: dict[str, Any], indent: str) -> str:
    text = json.dumps(obj, indent=2, ensure_ascii=False)
    text = text.replace("${", "$${").replace("%{", "%%{")
    return text.replace("\n", "\n" + indent)


def _add_document_statement(text: str, name: str, statement: dict[str, Any]) -> str:
    head = re.compile(rf'data\s+"aws_iam_policy_document"\s+"{re.escape(name)}"\s*\{{')
    _, close = _block_span(text, head)
    indent = line_indent(text, close) + "  "
    block = _statement_block(statement, indent)
    last = len(text[:close].rstrip())
    return text[:last] + "\n\n" + block + "\n" + line_indent(text, close) + text[close:]


def _statement_block(st: dict[str, Any], indent: str) -> str:
    i2 = indent + "  "
    lines = [f"{indent}statement {{"]
    if st.get("Sid"):
        lines.append(f"{i2}sid       = {hcl_string(st['Sid'])}")
    lines.append(f"{i2}effect    = {hcl_string(st.get('Effect', 'Allow'))}")
    actions = st.get("Action")
    if actions is not None:
        lines.append(f"{i2}actions   = {_hcl_value(actions if isinstance(actions, list) else [actions], i2)}")
    resources = st.get("Resource")
    if resources is not None:
        lines.append(f"{i2}resources = {_hcl_value(resources if isinstance(resources, list) else [resources], i2)}")
    principal = st.get("Principal")
    if principal is not None:
        pairs = [("*", ["*"])] if principal == "*" else list(principal.items())
        for ptype, ids in pairs:
            i3 = i2 + "  "
            ident = ids if isinstance(ids, list) else [ids]
            lines += [
                f"{i2}principals {{",
                f"{i3}type        = {hcl_string(ptype)}",
                f"{i3}identifiers = {_hcl_value(ident, i3)}",
                f"{i2}}}",
            ]
    for test, variables in (st.get("Condition") or {}).items():
        for variable, values in variables.items():
            i3 = i2 + "  "
            vals = values if isinstance(values, list) else [values]
            lines += [
                f"{i2}condition {{",
                f"{i3}test     = {hcl_string(test)}",
                f"{i3}variable = {hcl_string(variable)}",
                f"{i3}values   = {_hcl_value(vals, i3)}",
                f"{i2}}}",
            ]
    lines.append(f"{indent}}}")
    return "\n".join(lines)


__all__ = [
    "POLICY_TYPES",
    "PolicyInCode",
    "Target",
    "TerraformError",
    "TerraformPatch",
    "Tree",
    "document_from_data",
    "find_policy",
    "hcl_escape",
    "load_tree",
    "patch_policy",
    "reparse",
    "unified",
]
