"""`/s3why can PRINCIPAL ACTION RESOURCE [KEY=VALUE ...]`: "is it allowed now?" in Slack (CONTRACT's `s3why can`).

The listener stays thin: the words are read here (a bad question gets its one-line reason, only for the asker,
in the ack), the answer comes from the `Asker` (`LiveDiagnoser.can`: collect, every layer, no error text) and is
rendered as any s3why answer, in a thread under the question."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.can import asked_request
from bot.diagnose import Diagnosis
from bot.errors import UsageError
from bot.escape import mrkdwn, slack_unescape
from bot.parse.model import DeniedRequest
from bot.parse.secrets import redact_secrets
from bot.slack.blocks import diagnosis_blocks, verdict_line
from bot.startup import failure_reason

log = logging.getLogger("s3why.slack")

# (the request asked, its context) -> the answer
Asker = Callable[[DeniedRequest, dict[str, tuple[str, ...]]], Diagnosis]
USAGE = (
    "usage: `/s3why can PRINCIPAL_ARN|anonymous ACTION RESOURCE [KEY=VALUE ...]` "
    "(e.g. `/s3why can arn:aws:iam::111122223333:role/etl GetObject s3://bucket/key`)"
)


@dataclass(frozen=True)
class Question:
    request: DeniedRequest
    context: dict[str, tuple[str, ...]]


def is_can(text: str) -> bool:
    return text.strip().lower().split(" ", 1)[0] == "can"


def read_question(text: str) -> Question:
    """The words after `can`; UsageError with one line for anything that cannot be asked."""
    words = redact_secrets(slack_unescape(text)).split()[1:]  # nothing pasted is echoed, stored or logged as is
    words = [w[1:-1].split("|", 1)[-1] if w.startswith("<") and w.endswith(">") else w for w in words]  # links
    if len(words) < 3:
        raise UsageError(USAGE)
    context: dict[str, list[str]] = {}
    for item in words[3:]:
        if "=" not in item:
            raise UsageError(f"{item!r}: context is KEY=VALUE (e.g. aws:SourceVpce=vpce-1a2b3c4d)")
        k, v = item.split("=", 1)
        context.setdefault(k, []).append(v)
    return Question(asked_request(*words[:3]), {k: tuple(v) for k, v in context.items()})


def answer_question(
    client: WebClient,
    asker: Asker,
    question: Question,
    *,
    channel: str,
    user: str,
    private_documents: bool = False,
    refusal: Callable[[Diagnosis], str | None] | None = None,
    response_url: str | None = None,
) -> None:
    """The answer in a thread under the question (`private_documents`: policy documents are for approvers;
    `refusal`: why this channel may not see this answer — then only the asker is told, and nothing is posted;
    `response_url`: answer only the asker, through the command's response URL)."""
    r = question.request
    what = r.operation or r.action
    where = f"s3://{r.bucket}/{r.key or ''}" if r.bucket else r.resource_arn
    try:
        found = asker(r, question.context)
    except Exception as exc:  # one line for the asker, never a traceback
        log.warning("question not answered (%s)", type(exc).__name__)
        client.chat_postEphemeral(channel=channel, user=user, text=f"s3why could not answer ({failure_reason(exc)}).")
        return
    refused = refusal(found) if refusal is not None else None
    if refused:
        log.info("question not taken: the answer involves an account outside the channel's list")
        client.chat_postEphemeral(channel=channel, user=user, text=refused)
        return
    asked = f"<@{mrkdwn(user)}> asked: can {mrkdwn(r.principal_arn)} {mrkdwn(what)} {mrkdwn(where)}?"
    blocks = diagnosis_blocks(found, uuid.uuid4().hex, for_can=True, private_documents=private_documents)
    if response_url:  # a channel whose answers only the asker sees (`slash_reply: ephemeral`)
        WebhookClient(response_url).send(text=verdict_line(found)[:3000], blocks=blocks, response_type="ephemeral")
        return
    parent = client.chat_postMessage(channel=channel, text=asked)
    client.chat_postMessage(channel=channel, thread_ts=parent["ts"], text=verdict_line(found)[:3000], blocks=blocks)
