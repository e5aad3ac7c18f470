output "read_role_arn" {
  description = "accounts[].role_arn in s3why.yaml"
  value       = aws_iam_role.read.arn
}

output "write_role_arn" {
  description = "accounts[].write_role_arn in s3why.yaml (null without the write role)"
  value       = var.create_write_role ? aws_iam_role.write[0].arn : null
}

output "organization_read_role_arn" {
  description = "organization.role_arn in s3why.yaml (null without it)"
  value       = var.create_organization_read_role ? aws_iam_role.organization_read[0].arn : null
}
