"""The fix-check itself: a fix that lets the workload through passes; one that widens access, misses the next
request of the workload or changes nothing is caught (each test would pass a check that did not look)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from bot.field.build import compile_account
from bot.field.case import FixOutcome, load_case
from bot.field.runner import check_fix
from bot.fixes import Fix, Patch

CASES = Path(__file__).parent / "cases"
ROLE = "arn:aws:iam::192837465012:role/datadog-forwarder-ForwarderRole-1A2B3C4D5E6F"
KEY = "arn:aws:kms:us-east-1:192837465012:key/0f1e2d3c-4b5a-4697-8877-665544332211"


def _case() -> Any:
    return load_case(CASES / "lambda-datadog-forwarder-sse-kms-getobject.yaml")


def _inline_fix(statement: dict[str, Any]) -> Fix:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    patch = Patch(
        ROLE,
        "iam-policy",
        document,
        [],
        apply={"where": "principal-inline", "inline_key": "RolePolicies", "name": "fix", "kind": "role"},
    )
    return Fix(id="kms", layer="kms", risk="low", verified=True, patches=[patch], title="grant the key", explanation="")


def _key_fix(snapshot: dict[str, Any], statement: dict[str, Any]) -> Fix:
    import json

    before = json.loads(snapshot["kms"][KEY]["calls"]["GetKeyPolicy"]["Policy"])
    after = copy.deepcopy(before)
    after["Statement"].append(statement)
    patch = Patch(KEY, "key-policy", after, [], before=before, apply={"where": "key", "arn": KEY})
    return Fix(
        id="kms",
        layer="kms",
        risk="low",
        verified=True,
        patches=[patch],
        title="grant in the key policy",
        explanation="",
    )


def test_the_threads_own_change_passes() -> None:
    case = _case()
    fix = _inline_fix({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": KEY})
    outcome, why = check_fix(case, [fix], compile_account(case))
    assert outcome is FixOutcome.PASS, why


def test_a_grant_of_every_kms_action_is_wider_than_the_workload() -> None:
    case = _case()
    fix = _inline_fix({"Effect": "Allow", "Action": "kms:*", "Resource": KEY})
    outcome, why = check_fix(case, [fix], compile_account(case))
    assert outcome is FixOutcome.FAIL
    assert "beyond the workload" in why


def test_a_key_policy_grant_to_everyone_is_public_access() -> None:
    case = _case()
    snapshot = compile_account(case)
    fix = _key_fix(snapshot, {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
    outcome, why = check_fix(case, [fix], snapshot)
    assert outcome is FixOutcome.FAIL
    assert "public access" in why


def test_a_grant_to_an_account_outside_the_case_is_caught() -> None:
    case = _case()
    snapshot = compile_account(case)
    outsider = {"AWS": [ROLE, "arn:aws:iam::999999999999:root"]}
    fix = _key_fix(snapshot, {"Effect": "Allow", "Principal": outsider, "Action": "kms:Decrypt", "Resource": "*"})
    outcome, why = check_fix(case, [fix], snapshot)
    assert outcome is FixOutcome.FAIL
    assert "999999999999" in why


def test_a_fix_scoped_to_one_day_misses_the_next_days_logs() -> None:
    case = _case()
    narrow = _inline_fix(
        {
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": KEY,
            "Condition": {
                "StringLike": {
                    "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::acme-alb-logs-encrypted/AWSLogs/192837465012/"
                    "elasticloadbalancing/us-east-1/2025/03/02/*"
                }
            },
        }
    )
    outcome, why = check_fix(case, [narrow], compile_account(case))
    assert outcome is FixOutcome.FAIL
    assert "2025/04/17" in why


def test_no_fix_where_the_thread_had_one_is_counted_as_none() -> None:
    case = _case()
    outcome, _ = check_fix(case, [], compile_account(case))
    assert outcome is FixOutcome.NONE


def test_an_approvable_fix_where_the_thread_needs_the_organizations_admins_fails() -> None:
    case = load_case(CASES / "tf-provider-putbucketpolicy-scp-deny.yaml")
    fix = _inline_fix({"Effect": "Allow", "Action": "s3:PutBucketPolicy", "Resource": "*"})
    outcome, why = check_fix(case, [fix], compile_account(case))
    assert outcome is FixOutcome.FAIL
    assert "needs no change s3why could make" in why


def test_a_text_s3why_refuses_is_a_failed_result_not_a_crash() -> None:
    from bot.field.runner import run_case

    case = _case().model_copy(update={"text": "the upload did not work, please help"})
    result = run_case(case)
    assert (result.layer, result.decision, result.fix) == (None, "refused", FixOutcome.NONE)
    assert "no AWS error" in result.fix_reason


def test_the_figures_count_each_part_by_what_s3why_answered() -> None:
    from bot.field.runner import CaseResult, accuracy

    right = CaseResult("a", "kms", "implicit-deny", FixOutcome.PASS, "", True, True)
    wrong_fix = CaseResult("b", "kms", "implicit-deny", FixOutcome.FAIL, "", True, True)
    nothing = CaseResult("c", None, "unknown", FixOutcome.NONE, "", False, False)
    a = accuracy([right, wrong_fix, nothing])
    assert (a.cases, a.layer, a.decision, a.fix, a.all_three) == (3, 2, 2, 1, 1)


def test_the_runner_takes_what_the_text_leaves_out_from_the_snapshot_as_the_cli_does() -> None:
    # A GitLab runner's cache upload names no principal; the case's snapshot holds exactly one (issue 19 §4).
    from bot.field.runner import diagnose_case

    case = load_case(CASES / "gitlab-runner-docker-executor-cache-presigned-no-policy.yaml")
    assert case.reporter_knows.principal is None
    found, _, _ = diagnose_case(case)
    principal = "arn:aws:sts::616161727272:assumed-role/ci-docker-instance/i-0c1d2e3f4a5b6c7d8"
    assert found.request["from_snapshot"] == {"principal": principal}
    assert found.notes[0].startswith("the text names no principal: s3why used the only one snapshot")
    assert found.decision == "implicit-deny"


def test_an_owners_layers_the_case_states_unreadable_are_taken_on_the_threads_word() -> None:
    # Claim only what was checked: an AWS-owned bucket's settings cannot be read, so s3why never shows the endpoint
    # fix allowed (its own verification says so); the fix-check takes the thread's word for exactly the owner's
    # layers the case lists as unreadable.
    from bot.field.runner import run_case

    case = load_case(CASES / "ec2-vpce-policy-blocks-aws-owned-bucket.yaml")
    result = run_case(case)
    assert result.layer == "vpc-endpoint-policy"
    assert result.fix is FixOutcome.PASS, result.fix_reason
    # s3why's own verdict on its fix stays "not verified", naming what it could not read.
    from bot.field.runner import diagnose_case

    _, fixes, _ = diagnose_case(case)
    assert not fixes[0].verified
    assert "allowed by every layer s3why can read; the bucket owner's layers are not readable" in fixes[0].reason


def test_an_unread_layer_the_case_does_not_state_unreadable_is_not_taken_on_trust() -> None:
    # The same case, but the case lists only the policy as unreadable: Requester Pays and Block Public Access, read
    # as unreadable by the snapshot, are not covered by the case's word, so the request is not counted allowed.
    from bot.field.runner import diagnose_case

    case = load_case(CASES / "ec2-vpce-policy-blocks-aws-owned-bucket.yaml")
    _, fixes, snapshot = diagnose_case(case)
    assert case.account.bucket is not None
    narrower = case.account.bucket.model_copy(update={"unreadable": ["GetBucketPolicy"]})
    told = case.model_copy(update={"account": case.account.model_copy(update={"bucket": narrower})})
    outcome, why = check_fix(told, fixes, snapshot)
    assert outcome is FixOutcome.FAIL
    assert "the bucket owner's layers are not readable" in why


def test_another_principal_the_thread_describes_is_evaluated_with_its_own_policies() -> None:
    # The partner's upload (a must_allow request) is made by the partner's role: without its identity policy in the
    # case's setup it is denied whatever the fix; with it, the thread's fix lets it through.
    from bot.field.runner import run_case

    case = load_case(CASES / "cli-object-writer-foreign-owned-object.yaml")
    assert run_case(case).fix is FixOutcome.PASS
    without = case.model_copy(update={"account": case.account.model_copy(update={"others": []})})
    result = run_case(without)
    assert result.fix is FixOutcome.FAIL
    assert "acme-feed-uploader is not allowed" in result.fix_reason
