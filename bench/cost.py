"""Cost per 1,000 returns from counted operations.

Prices are AWS list prices for us-east-1 (on-demand DynamoDB, Lambda x86, API Gateway REST, first
tier), written here so the arithmetic can be checked and updated; they are inputs, not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

DYNAMODB_PER_MILLION_WRU = 0.625
DYNAMODB_PER_MILLION_RRU = 0.125
LAMBDA_PER_GB_SECOND = 0.0000166667
LAMBDA_PER_MILLION_REQUESTS = 0.20
APIGW_REST_PER_MILLION_REQUESTS = 3.50
SFN_PER_THOUSAND_TRANSITIONS = 0.025
LAMBDA_MEMORY_GB = 0.5


@dataclass
class Cost:
    requests: int
    read_units: float
    write_units: float
    lambda_ms: float

    @property
    def dynamodb(self) -> float:
        return (
            self.read_units * DYNAMODB_PER_MILLION_RRU + self.write_units * DYNAMODB_PER_MILLION_WRU
        ) / 1e6

    @property
    def lambda_(self) -> float:
        # Lambda bills by the millisecond.
        return self.requests * LAMBDA_PER_MILLION_REQUESTS / 1e6 + (
            self.lambda_ms / 1000 * LAMBDA_MEMORY_GB * LAMBDA_PER_GB_SECOND
        )

    @property
    def api_gateway(self) -> float:
        return self.requests * APIGW_REST_PER_MILLION_REQUESTS / 1e6

    @property
    def total(self) -> float:
        return self.dynamodb + self.lambda_ + self.api_gateway

    def scaled(self, factor: float) -> Cost:
        return Cost(
            int(self.requests * factor),
            self.read_units * factor,
            self.write_units * factor,
            self.lambda_ms * factor,
        )
