"""Which channel the workflow's notify step sends through, by configuration: SES in the stack,
the sandbox (sends nothing, keeps what it would have sent) where no sender is configured."""

from __future__ import annotations

from typing import Any

from boomerang.config import WorkflowConfig
from boomerang.notify.port import Notifier
from boomerang.notify.sandbox import SandboxNotifier
from boomerang.store.records import Repository
from boomerang.store.templates import TemplateOverrides


def notifier_from(config: WorkflowConfig, repo: Repository) -> Notifier:
    if config.notifier == "sandbox":
        return SandboxNotifier()
    from boomerang.notify.ses import SesNotifier
    from boomerang.store.suppressions import SuppressionStore

    return SesNotifier(
        repo,
        TemplateOverrides(repo.table, repo.ddb, config.template_cache_seconds),
        config.notify_sender,
        idempotency_table=config.idempotency_table_name or None,
        configuration_set=config.ses_configuration_set or None,
        suppressions=SuppressionStore(repo.table, repo.ddb),
    )


def bind_lambda_context(notifier: Notifier, context: Any) -> None:
    """Tell a channel that sends once (SES) how long this invocation has left."""
    register = getattr(notifier, "register_lambda_context", None)
    if register is not None:
        register(context)
