"""Boomerang's CDK app. Run it from the repository root as a module (`python -m infra.cdk.app`): as a
script, `infra/cdk` would land first on sys.path and `infra/cdk/constructs` would shadow the
`constructs` library."""
