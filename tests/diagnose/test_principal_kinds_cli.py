"""Every kind of principal through `s3why diagnose --snapshot ... --json` (the CLI, in-process): a presigned URL's
signer, a shared node role, a CloudFront OAI on SSE-KMS objects, and what does not exist (issue 19 §2/§4, issue 20
§3). The snapshots are compiled from the field corpus's cases, as `s3why snapshot` would have recorded them."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

from bot.cli import main
from bot.field.build import compile_account
from bot.field.case import load_case

CASES = Path(__file__).resolve().parents[1] / "field" / "cases"


def _run(tmp_path: Path, snapshot: dict[str, Any], text: str, *args: str) -> dict[str, Any]:
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["diagnose", "--snapshot", str(path), "--json", *args, text])
    assert code in (0, 1), err.getvalue()
    data: dict[str, Any] = json.loads(out.getvalue())
    return data["diagnoses"][0] if "diagnoses" in data else data


def _case(name: str) -> tuple[dict[str, Any], str]:
    case = load_case(CASES / f"{name}.yaml")
    return compile_account(case), case.text


def test_a_presigned_url_is_evaluated_as_its_signer_and_the_fix_is_the_signers_owners(tmp_path: Path) -> None:
    snapshot, text = _case("web-presigned-url-signer-lacks-getobject")
    # whoever pasted the URL is not who S3 authorizes: the signer (the snapshot's signer section) is
    d = _run(tmp_path, snapshot, text, "--principal", "arn:aws:iam::111122223333:user/support-agent")
    assert d["request"]["resolved"]["principal"].endswith("assumed-role/billing-portal-task/portal-task-7f3e")
    assert d["root_causes"][0]["layer"] == "identity"
    presigned = next(x for x in d["layers"] if x["layer"] == "presigned-url")
    # the URL is from 2024, but S3 answered "Access Denied", not "Request has expired": it was valid then
    assert presigned["verdict"] == "allow" and "not 'Request has expired'" in presigned["detail"]
    fix = d["fixes"][0]
    assert fix["patches"][0]["target"] == "arn:aws:iam::111122223333:role/billing-portal-task"


def test_the_signers_fix_says_whose_change_it_is(tmp_path: Path) -> None:
    snapshot, text = _case("web-presigned-url-signer-lacks-getobject")
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["diagnose", "--snapshot", str(path), text])
    assert "who must act: the URL signer's owner" in out.getvalue()


def test_an_expired_url_is_signed_never_anonymous_and_no_grant_is_offered(tmp_path: Path) -> None:
    snapshot, _ = _case("web-presigned-url-signer-lacks-getobject")
    text = (
        "curl 'https://customer-invoices-prod.s3.amazonaws.com/invoices/2024/05/INV-20240517-0042.pdf'\n"
        "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>300</X-Amz-Expires>"
        "<Expires>2024-01-01T00:05:00Z</Expires><ServerTime>2024-01-02T00:00:00Z</ServerTime></Error>"
    )
    d = _run(tmp_path, snapshot, text)
    assert d["request"]["resolved"].get("principal") != "anonymous"
    assert d["root_causes"][0]["layer"] == "presigned-url"
    for fix in d["fixes"]:
        for patch in fix["patches"]:
            assert "anonymous" not in json.dumps(patch.get("document")), fix["id"]


def test_a_node_role_gets_the_workloads_own_identity_first(tmp_path: Path) -> None:
    snapshot, text = _case("eks-elasticsearch-snapshot-node-role-instead-of-irsa")
    d = _run(tmp_path, snapshot, text)
    first, *rest = d["fixes"]
    assert first["id"] == "workload-identity" and first["patches"] == []
    widening = [f for f in rest if f["patches"]]
    assert widening and all(f["risk"] != "low" for f in widening)


def test_a_node_role_fix_names_the_role_the_bucket_already_grants(tmp_path: Path) -> None:
    snapshot, text = _case("eks-elasticsearch-snapshot-node-role-instead-of-irsa")
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(snapshot))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main(["diagnose", "--snapshot", str(path), text])
    report = " ".join(out.getvalue().split())
    assert "Use the workload's own identity instead of the shared node role" in report
    assert "role/prd-elasticsearch-snapshots-irsa (bucket policy, ElasticsearchIrsa)" in report
    assert "is shared: every pod on the node gets it" in report


def test_a_url_signed_by_a_kubernetes_workers_instance_role_gets_the_workloads_own_identity_first(
    tmp_path: Path,
) -> None:
    # The URL's signer is an instance profile's session (the session name is the instance id) of a role whose name
    # says Kubernetes workers share it: the pod should sign with its own identity, not widen the node's role.
    snapshot, text = _case("k8s-presigned-get-signed-by-instance-role")
    d = _run(tmp_path, snapshot, text)
    assert d["request"]["resolved"]["principal"].endswith("assumed-role/k8s-workers-instance-role/i-04b3c2d1e0f9a8b76")
    first, *rest = d["fixes"]
    assert first["id"] == "workload-identity" and first["patches"] == []
    widening = [f for f in rest if f["patches"]]
    assert widening and all(f["risk"] != "low" for f in widening)  # the node role's grant, labelled shared


def test_an_instance_role_without_kubernetes_or_another_grant_is_granted_as_usual(tmp_path: Path) -> None:
    snapshot, text = _case("eks-elasticsearch-snapshot-node-role-instead-of-irsa")
    # a plain EC2 application's own instance role: no Kubernetes word, no other role granted by the bucket
    snapshot = json.loads(json.dumps(snapshot).replace("prd-node-role-20241001140543910500000003", "report-app"))
    bucket_calls = snapshot["bucket"]["calls"]
    bucket_calls["GetBucketPolicy"] = {"Error": {"Code": "NoSuchBucketPolicy", "Message": "none"}}
    d = _run(tmp_path, snapshot, text.replace("prd-node-role-20241001140543910500000003", "report-app"))
    assert d["fixes"] and d["fixes"][0]["id"] != "workload-identity"


def test_an_oai_on_sse_kms_objects_gets_the_move_to_oac_as_one_verified_fix_with_two_parts(tmp_path: Path) -> None:
    snapshot, text = _case("cloudfront-oai-sse-kms-cmk-bucket")
    oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2KCY3TPOOHOWY"
    d = _run(
        tmp_path,
        snapshot,
        text,
        *("--principal", oai, "--operation", "GetObject", "--bucket", "site-assets-origin", "--key", "index.html"),
    )
    assert d["root_causes"][0]["layer"] == "kms"
    fix = d["fixes"][0]
    assert fix["id"] == "cloudfront-oai-to-oac" and fix["verified"] is True
    kinds = sorted(p["kind"] for p in fix["patches"])
    assert kinds == ["bucket-policy", "key-policy"]
    dist = "arn:aws:cloudfront::123412341234:distribution/E1SITEDIST01"
    for patch in fix["patches"]:
        added = patch["document"]["Statement"][-1]
        assert added["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        assert added["Condition"] == {"StringEquals": {"AWS:SourceArn": dist}}


def test_an_oai_without_a_known_distribution_is_advice_that_asks_for_it(tmp_path: Path) -> None:
    snapshot, text = _case("cloudfront-oai-sse-kms-cmk-bucket")
    snapshot.pop("cloudfront")
    oai = "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2KCY3TPOOHOWY"
    d = _run(
        tmp_path,
        snapshot,
        text,
        *("--principal", oai, "--operation", "GetObject", "--bucket", "site-assets-origin", "--key", "index.html"),
    )
    fix = d["fixes"][0]
    assert fix["id"] == "cloudfront-oai-to-oac" and fix["verified"] is False and fix["patches"] == []


def _without(snapshot: dict[str, Any], section: str, code: str, message: str) -> dict[str, Any]:
    calls = snapshot[section]["calls"]
    for name in list(calls):
        if name.startswith(("Get", "List")):
            calls[name] = {"Error": {"Code": code, "Message": message}}
    for name in ("RolePolicies", "Policies"):
        calls.pop(name, None)
    return snapshot


def test_a_bucket_that_does_not_exist_is_said_to_not_exist_never_no_policy_or_cross_account(tmp_path: Path) -> None:
    snapshot, _ = _case("eks-elasticsearch-snapshot-node-role-instead-of-irsa")
    snapshot = _without(snapshot, "bucket", "NoSuchBucket", "The specified bucket does not exist")
    key = snapshot["target"]["key"]
    text = (
        f"download failed: s3://es-snapshots-prd/{key} to ./x An error occurred (AccessDenied) when calling the "
        "GetObject operation: Access Denied"
    )
    d = _run(tmp_path, snapshot, text)
    first = d["root_causes"][0]
    assert first["evidence"].get("bucket_missing") is True and "does not exist" in first["summary"]
    blob = json.dumps(d)
    assert "cross-account" not in blob and "no bucket policy" not in blob
    assert d["fixes"] == []


def test_a_role_that_does_not_exist_is_said_to_not_exist(tmp_path: Path) -> None:
    snapshot, text = _case("eks-elasticsearch-snapshot-node-role-instead-of-irsa")
    snapshot = _without(snapshot, "principal", "NoSuchEntity", "The role cannot be found.")
    d = _run(tmp_path, snapshot, text)
    first = d["root_causes"][0]
    assert first["evidence"].get("principal_missing") is True and "does not exist" in first["summary"]
    assert d["fixes"] == []
