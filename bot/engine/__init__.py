"""s3why's IAM policy evaluation engine: AWS's documented semantics, with explanations."""

from bot.engine.evaluate import AuthzRequest, EvaluationResult, LayerResult, PolicySet, StatementRef, evaluate
from bot.engine.policy import Policy, PolicyKind, Statement, parse_policy
from bot.engine.principal import Principal, PrincipalKind, parse_principal

__all__ = [
    "AuthzRequest",
    "EvaluationResult",
    "LayerResult",
    "Policy",
    "PolicyKind",
    "PolicySet",
    "Principal",
    "PrincipalKind",
    "Statement",
    "StatementRef",
    "evaluate",
    "parse_policy",
    "parse_principal",
]
