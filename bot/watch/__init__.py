"""`s3why watch`: AccessDenied events from CloudTrail, on an SQS queue, diagnosed once per cause and posted to the
owning Slack channel (docs/watch.md).

Modules, one concept each: `messages` (a queue body -> CloudTrail records), `record` (a record -> a denied
request with its stated context, or why it is ignored), `groups` (the shared state in Redis: dedupe, groups,
counts), `routes` (which channel), `slack_out` (posts, rate limits), `worker` (the SQS loop), `cli`.
"""
