"""s3why: explains S3 "Access Denied" errors layer by layer and proposes verified least-privilege fixes."""

__version__ = "0.1.0"
