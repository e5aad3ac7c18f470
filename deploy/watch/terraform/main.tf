# s3why watch (docs/watch.md): the central queue with its policy, and the EventBridge rule that sends CloudTrail's
# S3 and KMS access denials to it. Apply with `central = true` once in the account that runs s3why watch, and with
# `central = false` (and queue_arn) in every other account of the organization, in the same Region.

terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = ">= 5.0" }
  }
}

variable "central" {
  type        = bool
  description = "true in the account that owns the queue; false in the accounts that only send to it"
}

variable "organization_id" {
  type        = string
  default     = ""
  description = "o-...: the organization whose rules' roles may send to the queue (central only)"
}

variable "queue_arn" {
  type        = string
  default     = ""
  description = "the central queue's ARN (sending accounts only)"
}

variable "trail_bucket_name" {
  type        = string
  default     = ""
  description = "the organization trail's log bucket, when its ObjectCreated notifications go to the queue too"
}

variable "visibility_timeout_seconds" {
  type    = number
  default = 120
}

data "aws_caller_identity" "this" {}
data "aws_region" "this" {}
data "aws_partition" "this" {}

locals {
  queue_arn = var.central ? aws_sqs_queue.events[0].arn : var.queue_arn
}

resource "aws_sqs_queue" "dead_letters" {
  count                     = var.central ? 1 : 0
  name                      = "s3why-access-denied-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "events" {
  count                      = var.central ? 1 : 0
  name                       = "s3why-access-denied"
  visibility_timeout_seconds = var.visibility_timeout_seconds
  receive_wait_time_seconds  = 20
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letters[0].arn
    maxReceiveCount     = 5
  })
}

data "aws_iam_policy_document" "queue" {
  count = var.central ? 1 : 0
  statement {
    sid       = "RulesInThisAccount"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events[0].arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.this.partition}:events:${data.aws_region.this.name}:${data.aws_caller_identity.this.account_id}:rule/s3why-access-denied"]
    }
  }
  statement {
    sid       = "RuleRolesOfTheOrganization"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events[0].arn]
    principals {
      type        = "AWS"
      identifiers = ["*"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:PrincipalOrgID"
      values   = [var.organization_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:PrincipalArn"
      values   = ["arn:${data.aws_partition.this.partition}:iam::*:role/s3why-access-denied-events"]
    }
  }
  dynamic "statement" {
    for_each = var.trail_bucket_name == "" ? [] : [var.trail_bucket_name]
    content {
      sid       = "TrailLogObjects"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.events[0].arn]
      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = ["arn:${data.aws_partition.this.partition}:s3:::${statement.value}"]
      }
    }
  }
}

resource "aws_sqs_queue_policy" "events" {
  count     = var.central ? 1 : 0
  queue_url = aws_sqs_queue.events[0].id
  policy    = data.aws_iam_policy_document.queue[0].json
}

resource "aws_iam_role" "events" {
  count = var.central ? 0 : 1
  name  = "s3why-access-denied-events"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "events.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.this.account_id } }
    }]
  })
  inline_policy {
    name = "send-to-the-s3why-queue"
    policy = jsonencode({
      Version   = "2012-10-17"
      Statement = [{ Effect = "Allow", Action = "sqs:SendMessage", Resource = local.queue_arn }]
    })
  }
}

resource "aws_cloudwatch_event_rule" "access_denied" {
  name        = "s3why-access-denied"
  description = "CloudTrail's S3 and KMS access denials, for s3why watch"
  event_pattern = jsonencode({
    "detail-type" = ["AWS API Call via CloudTrail"]
    source        = ["aws.s3", "aws.kms"]
    detail = {
      eventSource = ["s3.amazonaws.com", "kms.amazonaws.com"]
      errorCode   = ["AccessDenied", "AccessDeniedException", "AllAccessDisabled", "KMS.AccessDeniedException"]
    }
  })
}

resource "aws_cloudwatch_event_target" "queue" {
  rule      = aws_cloudwatch_event_rule.access_denied.name
  target_id = "s3why-queue"
  arn       = local.queue_arn
  # a cross-account target needs an execution role; in the queue's own account the queue policy admits the rule
  role_arn = var.central ? null : aws_iam_role.events[0].arn
}

output "queue_url" {
  value       = var.central ? aws_sqs_queue.events[0].id : null
  description = "watch.queue_url in S3WHY_CONFIG"
}
