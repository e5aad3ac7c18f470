# s3why's roles in one account. The policies are the files in policies/, the same as the repository's
# policies/*.json (tests/deploy/test_templates.py checks it). For a whole organization, apply this module per
# account with a provider per account, or use deploy/cloudformation/s3why-roles-stackset.yaml as a StackSet.

locals {
  trust = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.s3why_principal_arn }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "sts:ExternalId" = var.external_id } }
    }]
  }
  write_trust = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = var.s3why_principal_arn }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "sts:ExternalId" = var.external_id }
        StringLike   = { "sts:RoleSessionName" = "s3why-*" }
      }
    }]
  }
}

resource "aws_iam_role" "read" {
  name                 = "s3why-read"
  assume_role_policy   = jsonencode(local.trust)
  max_session_duration = 3600
  tags                 = { "s3why:role" = "read" }
}

resource "aws_iam_role_policy" "read" {
  name   = "s3why-read"
  role   = aws_iam_role.read.id
  policy = file("${path.module}/policies/s3why-read.json")
}

resource "aws_iam_role_policy" "object_heads" {
  count = length(var.object_head_object_arns) > 0 ? 1 : 0
  name  = "s3why-read-object-heads"
  role  = aws_iam_role.read.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ObjectHeadsOfOptedInBucketsOnly"
      Effect   = "Allow"
      Action   = "s3:GetObject"
      Resource = var.object_head_object_arns
    }]
  })
}

resource "aws_iam_role" "write" {
  count                = var.create_write_role ? 1 : 0
  name                 = "s3why-write"
  assume_role_policy   = jsonencode(local.write_trust)
  max_session_duration = 3600
  tags                 = { "s3why:role" = "write" }
}

resource "aws_iam_role_policy" "write" {
  count  = var.create_write_role ? 1 : 0
  name   = "s3why-write"
  role   = aws_iam_role.write[0].id
  policy = file("${path.module}/policies/s3why-write.json")
}

resource "aws_iam_role_policy" "write_multi_region_access_points" {
  count = var.create_write_role && length(var.multi_region_access_point_arns) > 0 ? 1 : 0
  name  = "s3why-write-multi-region-access-points"
  role  = aws_iam_role.write[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PoliciesOfListedMultiRegionAccessPointsOnly"
      Effect   = "Allow"
      Action   = ["s3:GetMultiRegionAccessPointPolicy", "s3:PutMultiRegionAccessPointPolicy"]
      Resource = var.multi_region_access_point_arns
    }]
  })
}

resource "aws_iam_role" "organization_read" {
  count                = var.create_organization_read_role ? 1 : 0
  name                 = "s3why-org-read"
  assume_role_policy   = jsonencode(local.trust)
  max_session_duration = 3600
  tags                 = { "s3why:role" = "organization" }
}

resource "aws_iam_role_policy" "organization_read" {
  count  = var.create_organization_read_role ? 1 : 0
  name   = "s3why-org-read"
  role   = aws_iam_role.organization_read[0].id
  policy = file("${path.module}/policies/s3why-org-read.json")
}
