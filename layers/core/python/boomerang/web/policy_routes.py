"""GET /{shop}/policy: the shop's returns policy for people, with its JSON-LD for search engines.

Cacheable (Cache-Control public, `policy_page_max_age`): it depends only on the shop's enforced
policy, its branding and the language (in the URL as ?lang=, else Accept-Language: varied on)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from boomerang.web import pages
from boomerang.web.deps import deps
from boomerang.web.policy_page import merchant_return_policy, policy_page

router = Router()  # type: ignore[no-untyped-call]


@router.get("/<shop>/policy")
def get_policy(shop: str) -> Response[str]:
    d = deps()
    page = pages.context(router, shop, f"/{shop}/policy")
    policy = d.policies(shop)
    data = policy_page(policy)
    host = pages.headers(router).get("host", "")
    url = f"https://{host}{page.url(f'/{shop}/policy')}" if host else page.url(f"/{shop}/policy")
    return pages.html(
        page,
        "policy.html",
        cache_seconds=d.config.policy_page_max_age,
        data=data,
        json_ld=merchant_return_policy(data, page.branding.name, url),
    )
