"""Run a CDK-synthesized state machine on moto's Step Functions interpreter, Lambda tasks in-process.

Why this shape:
- moto 5 ships LocalStack's ASL interpreter (`moto.stepfunctions.parser`). With the moto config
  `{"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}` it really
  runs a definition: Choice, Retry, Catch, TimeoutSeconds, HeartbeatSeconds, `.waitForTaskToken`.
- The interpreter calls Lambda through boto3 (`lambda:Invoke`), which lands in
  `moto.awslambda_simple`'s backend. That backend only echoes the payload, so we replace its
  `invoke` (one small, version-checked patch, `install_lambda_dispatch`) to call the Python handler
  registered for the function, in this process, and to answer the way Lambda answers: the JSON
  result, or an `Unhandled` function error whose `errorType` is the exception's class name (what
  `Catch`/`Retry` match), or a Lambda *service* error (`Lambda.ServiceException`, ...) when the
  handler raises `LambdaServiceError`.
- moto runs as its ThreadedMotoServer on a loopback port (local/environment.py) rather than as
  `mock_aws`: `mock_aws` intercepts every boto3 call in the process, DynamoDB included, and the
  tables live in DynamoDB Local. The server shares this process's backends, so the patched
  `invoke` is the one the server runs. Application code reaches it through the service-specific
  endpoint variables (AWS_ENDPOINT_URL_SFN, AWS_ENDPOINT_URL_LAMBDA), set by `LocalStepFunctions`.
- The interpreter's own boto3 clients ignore those variables: they call
  `http://localhost:$MOTO_PORT`, so MOTO_PORT must name the server's port (set here too).

The modules: template.py (template -> concrete ASL), dispatch.py (the in-process Lambda dispatch),
harness.py (LocalStepFunctions: deploy, start, watch).
"""

from local.stepfunctions.dispatch import (
    DISPATCH,
    MOTO_VERSION_CHECKED,
    Handler,
    Invocation,
    LambdaServiceError,
    TaskLambdaContext,
    install_lambda_dispatch,
)
from local.stepfunctions.harness import (
    MOTO_CONFIG,
    TERMINAL,
    ExecutionEnded,
    LocalStepFunctions,
    StatusOrPredicate,
    configure_moto_server,
)
from local.stepfunctions.template import (
    ACCOUNT_ID,
    REGION,
    TemplateError,
    TemplateResolver,
    definition_from_template,
    function_name_for,
    lambda_arn,
    match_handlers,
    override_states,
    pick_state_machine,
    state_machines_in,
)

__all__ = [
    "ACCOUNT_ID",
    "DISPATCH",
    "MOTO_CONFIG",
    "MOTO_VERSION_CHECKED",
    "REGION",
    "TERMINAL",
    "ExecutionEnded",
    "Handler",
    "Invocation",
    "LambdaServiceError",
    "LocalStepFunctions",
    "StatusOrPredicate",
    "TaskLambdaContext",
    "TemplateError",
    "TemplateResolver",
    "configure_moto_server",
    "definition_from_template",
    "function_name_for",
    "install_lambda_dispatch",
    "lambda_arn",
    "match_handlers",
    "override_states",
    "pick_state_machine",
    "state_machines_in",
]
