"""One Boomerang Lambda function: its layers (infra/cdk/layer_table.py), its own log group, its own
least-privilege role (no AWSLambdaBasicExecutionRole, whose log rights reach every log group of the
account), tracing."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import Construct

from infra.cdk.constructs.function_layers import ARCHITECTURE, RUNTIME, FunctionLayers

REPO_ROOT = Path(__file__).resolve().parents[3]
# What a construct passes on as its functions' `layer`: the stack's FunctionLayers (each function
# then attaches its own row of the layer table), or one layer version.
LayerSource = FunctionLayers | lambda_.ILayerVersion


class BoomerangFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code_dir: Path,
        handler: str,
        description: str,
        layer: LayerSource,
        environment: dict[str, str],
        memory_size: int = 512,
        timeout_seconds: int = 10,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=log_retention)
        self.role = iam.Role(
            self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"), description=description
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(code_dir), exclude=["**/__pycache__", "**/*.pyc"]),
            # The layers this function's row in FUNCTION_LAYERS names (or the one layer given).
            layers=layer.for_function(code_dir, handler) if isinstance(layer, FunctionLayers) else [layer],
            memory_size=memory_size,
            timeout=Duration.seconds(timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            environment={"POWERTOOLS_METRICS_NAMESPACE": "Boomerang", "LOG_LEVEL": "INFO", **environment},
        )
        # Where the code lives in the repository: the local stack imports the handler from there.
        cfn_function = self.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.add_metadata("boomerang:code", code_dir.resolve().relative_to(REPO_ROOT).as_posix())
        NagSuppressions.add_resource_suppressions(
            self.role,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason=(
                        "Active tracing adds xray:PutTraceSegments and xray:PutTelemetryRecords, which "
                        "support no resource-level permissions, so their resource must be '*'."
                    ),
                    applies_to=["Resource::*"],
                )
            ],
            apply_to_children=True,
        )
        not_latest = (
            "Python 3.11 on purpose: the layers are locked and built for 3.11 on Amazon Linux 2 "
            "(manylinux2014 wheels, 3.11 bytecode) and the tests run 3.11; runtime, layers, "
            "pyproject.toml and the Makefile are bumped together (infra/cdk/layer_table.py)."
        )
        NagSuppressions.add_resource_suppressions(
            self.function,
            [
                NagPackSuppression(id="AwsSolutions-L1", reason=not_latest),
                NagPackSuppression(id="Serverless-LambdaLatestVersion", reason=not_latest),
            ],
        )
