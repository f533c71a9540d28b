"""S3 "Object Created" events to the functions the template's EventBridge rules target.

In AWS, an evidence bucket sends its events to EventBridge and a rule invokes the upload function.
moto's server neither emits S3 events to EventBridge nor invokes in-process functions, so locally a
poller lists each watched bucket's object versions (every POLL_SECONDS) and calls the rule's target
handler in-process with the EventBridge event AWS would deliver, once per new version. Delay: up to
one poll. A failing handler is retried on the next poll (as EventBridge retries), up to RETRIES.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from local.apigw_events import LambdaContext
from local.from_template import of_type, resolve

POLL_SECONDS = 0.3
RETRIES = 3
log = logging.getLogger(__name__)


@dataclass
class Watch:
    bucket: str
    prefixes: list[str]
    handler: Callable[[dict[str, Any], Any], Any]
    name: str


@dataclass
class S3EventPoller:
    s3: Any
    watches: list[Watch]
    seen: set[tuple[str, str, str]] = field(default_factory=set)
    failures: dict[tuple[str, str, str], int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> S3EventPoller:
        if self.watches:
            self._thread = threading.Thread(target=self._run, name="s3-events", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            self.poll()

    def poll(self) -> int:
        """Deliver every new object version once; the number delivered."""
        delivered = 0
        for watch in self.watches:
            pages = self.s3.get_paginator("list_object_versions").paginate(Bucket=watch.bucket)
            for page in pages:
                for version in page.get("Versions", []):
                    key = version["Key"]
                    seen = (watch.bucket, key, str(version.get("VersionId")))
                    if seen in self.seen or not any(key.startswith(p) for p in watch.prefixes):
                        continue
                    try:
                        watch.handler(object_created(watch.bucket, version), LambdaContext(watch.name))
                        self.seen.add(seen)
                        delivered += 1
                    except Exception:
                        self.failures[seen] = self.failures.get(seen, 0) + 1
                        if self.failures[seen] >= RETRIES:
                            self.seen.add(seen)
                        log.exception("local S3 event delivery failed")
        return delivered


def object_created(bucket: str, version: dict[str, Any]) -> dict[str, Any]:
    """The EventBridge event S3 sends for a new object (detail-type "Object Created")."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {
                "key": version["Key"],
                "size": int(version.get("Size", 0)),
                "etag": str(version.get("ETag", "")).strip('"'),
                "version-id": version.get("VersionId"),
                "sequencer": "0",
            },
            "request-id": "local",
            "requester": "123456789012",
            "source-ip-address": "127.0.0.1",
            "reason": "PostObject",
        },
    }


def s3_event_poller(
    template: dict[str, Any], physical: dict[str, str], handlers: dict[str, Callable[..., Any]], s3: Any
) -> S3EventPoller:
    """A poller for every rule of the template on S3 "Object Created" whose target is one of ours."""
    watches = []
    for rule in of_type(template, "AWS::Events::Rule").values():
        props = rule["Properties"]
        pattern = props.get("EventPattern") or {}
        if pattern.get("source") != ["aws.s3"] or "Object Created" not in (pattern.get("detail-type") or []):
            continue
        detail = pattern.get("detail") or {}
        names = [resolve(template, n, physical) for n in (detail.get("bucket") or {}).get("name", [])]
        prefixes = [p["prefix"] for p in (detail.get("object") or {}).get("key", []) if "prefix" in p] or [""]
        for target in props.get("Targets", []):
            arn = target.get("Arn") or {}
            function = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
            if function not in handlers:
                continue
            # Buckets in other regions (regional evidence) are not made locally.
            for name in names:
                if isinstance(name, str) and name in physical.values():
                    watches.append(Watch(name, prefixes, handlers[function], function))
    return S3EventPoller(s3, watches)
