variable "s3why_principal_arn" {
  description = "The IAM role s3why runs as (ECS task role, IRSA or Pod Identity role): the only principal these roles trust."
  type        = string
}

variable "external_id" {
  description = "The external id s3why sends (accounts[].external_id in s3why.yaml); every role's trust requires it."
  type        = string
  sensitive   = true
}

variable "create_write_role" {
  description = "Create s3why-write: fixes approved in Slack are applied in this account (otherwise advice only)."
  type        = bool
  default     = false
}

variable "create_organization_read_role" {
  description = "Create s3why-org-read (only in the management account or a delegated administrator): SCPs and RCPs."
  type        = bool
  default     = false
}

variable "object_head_object_arns" {
  description = "Opt in to object heads (HeadObject needs s3:GetObject), e.g. [\"arn:aws:s3:::team-data/*\"]. Empty: s3why never reads an object."
  type        = list(string)
  default     = []
}

variable "multi_region_access_point_arns" {
  description = "Multi-Region Access Points whose policy s3why-write may change (arn:aws:s3::ACCOUNT:accesspoint/ALIAS.mrap). They carry no tags, so the write role names each one. Empty: their fixes are advice only."
  type        = list(string)
  default     = []
}
