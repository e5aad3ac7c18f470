"""Fixes for policies managed as code: Terraform files and CloudFormation stacks become pull requests, never
live writes."""
