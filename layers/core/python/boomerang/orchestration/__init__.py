"""Orchestration: the port to the engine that runs a return's workflow (Step Functions), as seen
from the library. The use cases the workflow runs live in boomerang.services.workflow."""
