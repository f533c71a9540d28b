"""Starting a return's workflow and resuming its waits: Step Functions in production and locally
(moto), behind a small port so the library does not depend on it."""

from __future__ import annotations

import json
from typing import Any, Protocol

from botocore.exceptions import ClientError


class WorkflowEngine(Protocol):
    def start(self, rma: str) -> None: ...

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        """Hand the news to the waiting task; False when the wait is already over."""
        ...


class StepFunctionsEngine:
    def __init__(self, state_machine_arn: str, client: Any | None = None):
        self.state_machine_arn = state_machine_arn
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:  # created on first use: only some requests resume a workflow
            from boomerang.aws import aws_client

            self._client = aws_client("stepfunctions")
        return self._client

    def start(self, rma: str) -> None:
        try:
            # The name is the RMA: a second start of the same return is refused, not run twice.
            self.client.start_execution(
                stateMachineArn=self.state_machine_arn, name=rma, input=json.dumps({"rma": rma})
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise

    def resume(self, token: str, output: dict[str, Any]) -> bool:
        try:
            self.client.send_task_success(taskToken=token, output=json.dumps(output))
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
                return False
            raise
        return True
