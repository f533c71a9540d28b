"""What the console's pages use: the same library services as the staff API (functions/admin_api),
never the API over HTTP. Built on first use, so the customer pages that share the web function do
not pay for them at cold start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from boomerang.config import ConsoleConfig
from boomerang.web.console.auth import IdTokenVerifier

if TYPE_CHECKING:
    from boomerang.analytics.reports import ReportEngine
    from boomerang.services.evidence import EvidenceService
    from boomerang.services.policy_admin import PolicyAdmin
    from boomerang.services.privacy import PrivacyService
    from boomerang.services.shops import ShopAdmin
    from boomerang.services.tickets import TicketService
    from boomerang.services.workflow import ReturnWorkflow
    from boomerang.store.records import Repository

HTTP_SECONDS = 5  # the pool's keys and the token endpoint: well under the function's timeout


def fetch_json(url: str) -> dict[str, Any]:
    import requests

    answer = requests.get(url, timeout=HTTP_SECONDS)
    answer.raise_for_status()
    data = answer.json()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    return data


def post_form(url: str, data: dict[str, str], headers: dict[str, str], timeout: float = HTTP_SECONDS) -> Any:
    import requests

    return requests.post(url, data=data, headers=headers, timeout=timeout)


class ConsoleServices:
    def __init__(
        self,
        config: ConsoleConfig,
        repo: Repository,
        clock: Callable[[], datetime],
        signing_key: Callable[[], bytes],
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
    ):
        self.config, self.repo, self.clock, self.fetch = config, repo, clock, fetch
        self._signing_key = signing_key
        self.post = post_form

    def key(self) -> bytes:
        # The console's cookies are signed with a key of their own, derived from the pages' secret.
        import hashlib

        return hashlib.sha256(b"boomerang-console:" + self._signing_key()).digest()

    @property
    def configured(self) -> bool:
        return bool(self.config.staff_user_pool_id and self.config.staff_client_id)

    @cached_property
    def verifier(self) -> IdTokenVerifier:
        return IdTokenVerifier(
            self.config.issuer, self.config.staff_client_id, self.config.jwks_url, self.fetch
        )

    @cached_property
    def workflow(self) -> ReturnWorkflow:
        from boomerang.carriers.fixed import NO_LABELS
        from boomerang.orchestration.step_functions import StepFunctionsEngine
        from boomerang.payments.factory import payments_from
        from boomerang.services.policies import PolicySource
        from boomerang.services.workflow import ReturnWorkflow

        return ReturnWorkflow(
            self.repo,
            PolicySource(self.repo, self.config.policy_cache_seconds),
            StepFunctionsEngine(self.config.state_machine_arn),
            NO_LABELS,  # the workflow's label step buys labels, never the console
            payments_from(self.config, self.repo.table, self.repo.ddb),
            lambda: self.clock(),
        )

    @cached_property
    def evidence(self) -> EvidenceService:
        from boomerang.config import EvidenceConfig
        from boomerang.services.evidence import EvidenceService, S3Clients, buckets_from

        env = EvidenceConfig.from_env()
        buckets = buckets_from(env.evidence_bucket, env.aws_region, env.evidence_regional_buckets)
        return EvidenceService(
            self.repo, self.workflow.policy_for, buckets, S3Clients(), lambda: self.clock()
        )

    @cached_property
    def privacy(self) -> PrivacyService:
        from boomerang.services.privacy import PrivacyService, standard_holders

        return PrivacyService(standard_holders(self.repo), lambda: self.clock())

    @cached_property
    def policy_admin(self) -> PolicyAdmin:
        from boomerang.services.policy_admin import PolicyAdmin

        return PolicyAdmin(self.repo)

    @cached_property
    def shops(self) -> ShopAdmin:
        from boomerang.services.shops import ShopAdmin

        return ShopAdmin(self.repo)

    @cached_property
    def tickets(self) -> TicketService:
        from boomerang.classifier.model import default_classifier
        from boomerang.services.tickets import TicketService
        from boomerang.store.tickets import TicketRepository

        # No "where is my order" answers from the console: those come with the customer's message.
        tickets = TicketRepository(self.repo.table, self.repo.ddb)
        return TicketService(tickets, self.repo, default_classifier, lambda: self.clock())

    @cached_property
    def reports(self) -> ReportEngine | None:
        """The dashboard's reports: Athena over the lake (None: not configured). `make local` puts
        DuckDB over the local lake here (local/lake.py attach_local_lake)."""
        if not self.config.reports_workgroup:
            return None
        from boomerang.analytics.athena import AthenaEngine

        return AthenaEngine(self.config.reports_workgroup, self.config.reports_database)

    def local_id_token(self, username: str, password: str) -> str:
        """`make local` only: the local pool signs the user in (AdminInitiateAuth on moto's Cognito)."""
        from boomerang.aws import aws_client

        answer = aws_client("cognito-idp").admin_initiate_auth(
            UserPoolId=self.config.staff_user_pool_id,
            ClientId=self.config.staff_client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return str(answer["AuthenticationResult"]["IdToken"])
