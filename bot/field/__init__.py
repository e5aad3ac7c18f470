"""The field corpus: real, public S3 access-denied reports rebuilt as s3why cases (tests/field/cases/*.yaml).

`case` reads and validates a case file; `build` compiles its compact `account:` section into a snapshot that
`s3why diagnose --snapshot` loads; `runner` runs s3why on a case as the CLI does and checks the layer, the
decision and s3why's first fix against what settled the thread. The test (tests/field/) and `scripts/bench`
both use `runner`.
"""
