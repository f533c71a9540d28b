"""The bench's arithmetic (issue 20): the whole cost per return, the idle month, the load figures."""

from __future__ import annotations

import pytest

from bench import cost, load
from bench.before_after import section


def test_lambda_duration_bills_each_run_by_the_millisecond_and_init_per_cold_start() -> None:
    use = cost.FunctionUse(invocations=10, millis=[10.2] * 10, memory_mb=1024, init_ms=1000.0)
    # 10 runs of 11 ms, plus 10 x 10% cold starts x 1,000 ms of INIT, at 1 GB.
    assert use.gb_seconds() == pytest.approx((110 + 1000) / 1000)


def test_every_service_a_return_uses_is_a_line_and_the_total_adds_them() -> None:
    usage = cost.ReturnUsage(
        api_requests={"portal": 6, "carrier webhooks": 6},
        functions={"storefront_api": cost.FunctionUse(6, [100.0] * 6, 512, 800.0)},
        transitions=19,
        read_units=100,
        write_units=400,
        events_put=10,
        sqs_requests=30,
        emails=3,
        log_bytes=10_000,
        s3_puts=1,
        s3_gets=1,
        s3_bytes=3000,
        traces=6,
    )
    lines = cost.per_thousand(usage)
    services = " ".join(line.service for line in lines)
    for service in (
        "API Gateway",
        "Lambda",
        "Step Functions",
        "DynamoDB",
        "EventBridge",
        "SES",
        "Logs",
        "X-Ray",
        "S3",
    ):
        assert service in services
    by = {line.service: line.usd for line in lines}
    assert by["Step Functions Standard"] == pytest.approx(19 * 0.025)
    assert by["SES"] == pytest.approx(3 * 0.10)
    assert by["DynamoDB (every function's calls)"] == pytest.approx((100 * 0.125 + 400 * 0.625) / 1000)
    assert cost.total(lines) == pytest.approx(sum(by.values()))


def test_the_idle_month_counts_what_bills_by_the_month_in_the_template() -> None:
    template = {
        "Resources": {
            "Acl": {"Type": "AWS::WAFv2::WebACL", "Properties": {"Rules": [{}, {}, {}]}},
            "S1": {"Type": "AWS::SecretsManager::Secret"},
            "S2": {"Type": "AWS::SecretsManager::Secret"},
            "A": {"Type": "AWS::CloudWatch::Alarm"},
            "K": {"Type": "AWS::KMS::Key"},
            "M": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {"EventSourceArn": {"Fn::GetAtt": ["DeliveryQueue", "Arn"]}},
            },
            "F": {"Type": "AWS::Lambda::Function"},
        }
    }
    lines = cost.idle_month([template])
    assert cost.total(lines) == pytest.approx(5 + 3 + 2 * 0.40 + 0.10 + 1 + 648_000 * 0.40 / 1e6)


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([7.0], 99) == 7.0


def test_the_short_plan_is_short(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_SHORT", "1")
    monkeypatch.delenv("BENCH_LOAD_SECONDS", raising=False)
    plan = load.plan()
    assert plan.seconds <= 5 and max(plan.clients) <= 4 and plan.label_runs <= 3
    monkeypatch.setenv("BENCH_SHORT", "0")
    monkeypatch.setenv("WORKERS", "4")
    full = load.plan()
    assert full.clients == (10, 50, 100) and full.seconds == 60 and full.worker_counts == (1, 2, 4)


def test_before_and_after_keeps_the_old_figures_beside_the_new() -> None:
    text = "\n".join(
        section(
            {
                "cold_ratio": 1.4,
                "wcu": [300.0, 350.0],
                "transitions": [19, 21],
                "label_client_ms": 1500.0,
                "label_in_process_ms": 1800.0,
                "cost": [1.4, 1.8],
                "idle_month": 14.0,
                "api_key_calls": 5,
                "load": [(10, 12.0, 300.0, 900.0, 0)],
            }
        )
    )
    assert "338 / 384" in text and "300 / 350" in text
    assert "1.54x" in text and "1.40x" in text
    assert "10 clients: 12.0 req/s" in text
