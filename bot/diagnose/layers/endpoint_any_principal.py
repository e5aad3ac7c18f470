"""The VPC endpoint policy when the text does not say who signed the request (a Docker pull's layer download
through a URL ECR signed, a tool's own credentials): whatever the principal, the endpoint policy must allow the
request, and a policy with no Allow statement whose Action and Resource cover it allows it for nobody.

"An endpoint policy does not override or replace identity-based policies or resource-based policies" (VPC User
Guide, "Control access to VPC endpoints using endpoint policies"): it is a guard every request through the
endpoint must pass, so its implicit deny stands whoever made the call and whatever the layers s3why could not
read say (the bucket of another account, such as an AWS-owned one, included). Only that is claimed: a statement
that may allow it (its Principal or Condition depends on who made the call) leaves the layer unknown.
"""

from __future__ import annotations

from bot.arn import s3_arn
from bot.diagnose.layers.base import Findings, LayerFinding, Subject
from bot.diagnose.model import ALLOW, NO_ALLOW, UNKNOWN
from bot.diagnose.stated import stated_facts
from bot.engine import PolicyKind, parse_policy
from bot.engine.policy import Statement
from bot.errors import PolicyError
from bot.layers import LayerId
from bot.s3ops import TARGET, ResourceKind, required_authorizations


def endpoint_target(subject: Subject) -> tuple[tuple[str, ...], str] | None:
    """(the actions the request needs on its resource, that resource), when the text names them without a
    principal and the request went through a VPC endpoint whose policy s3why read; None otherwise."""
    view, spec, req = subject.view, subject.spec, subject.req
    if subject.auth is not None or subject.principal_arn is not None or spec is None or view.bucket is None:
        return None
    if stated_facts(req).lookalike_layer is not None:
        return None  # not an access denial (a lookalike): no authorization layer is evaluated
    endpoint = view.vpc_endpoint
    if endpoint is None or not endpoint.present or endpoint.value is None:
        return None
    if spec.resource is ResourceKind.OBJECT:
        if req.key is None:
            return None  # no key, no resource to test a Resource element against
        resource = s3_arn(view.bucket.name, req.key)
    elif spec.resource is ResourceKind.BUCKET:
        resource = s3_arn(view.bucket.name)
    else:
        return None
    actions = tuple(r.action for r in required_authorizations(spec, subject.options.context) if r.on == TARGET)
    return (actions, resource) if actions else None


def _covers(statement: Statement, action: str, resource: str) -> bool:
    """Whether the statement's Action and Resource cover the request (a Resource with policy variables may)."""
    if not statement.matches_action(action):
        return False
    if statement.templated_resources:
        return True
    hit = statement.static_resources is not None and statement.static_resources(resource)
    return hit != statement.not_resource


def _for_everyone(statement: Statement) -> bool:
    principal = statement.principal
    return principal is not None and principal.wildcard and not statement.not_principal and not statement.conditions


def without_principal(subject: Subject) -> LayerFinding:
    """The endpoint layer's verdict (and its cause) for a request whose principal the text does not name (part of
    the engine check, bot/diagnose/layers/engine.py)."""
    out = Findings()
    target = endpoint_target(subject)
    endpoint = subject.view.vpc_endpoint
    if target is None or endpoint is None:
        return out.done()
    actions, resource = target
    try:
        policy = parse_policy(endpoint.value, name="VPC endpoint policy", kind=PolicyKind.VPC_ENDPOINT)
    except PolicyError:
        return out.done()  # the engine check reports a malformed policy once the principal is known
    allows = [st for st in policy.statements if st.is_allow]
    for action in actions:
        covering = [st for st in allows if _covers(st, action, resource)]
        if not covering:
            detail = f"no statement of the endpoint policy allows {action} on {resource}, whoever makes the call"
            out.set(LayerId.VPC_ENDPOINT_POLICY, NO_ALLOW, detail)
            out.cause(
                LayerId.VPC_ENDPOINT_POLICY,
                "implicit",
                f"no VPC endpoint policy allows the request: {detail} (the text does not say which principal "
                "signed it; an endpoint policy must allow every request through the endpoint)",
                action=action,
                resource=resource,
                policy="VPC endpoint policy",
                any_principal=True,
            )
            return out.done()
        if not any(_for_everyone(st) for st in covering):
            out.set(
                LayerId.VPC_ENDPOINT_POLICY,
                UNKNOWN,
                f"a statement of the endpoint policy may allow {action} on {resource}, depending on which "
                "principal made the call",
            )
            return out.done()
    out.set(LayerId.VPC_ENDPOINT_POLICY, ALLOW, "the endpoint policy allows the request, whoever makes the call")
    return out.done()
