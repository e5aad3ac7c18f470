"""`s3why demo`: the whole pipeline on an emulated AWS account seeded with broken setups."""
