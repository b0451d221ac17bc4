"""A session-wide guard: every log record emitted during the tests is checked for the secrets
that tests registered. A leak anywhere fails the run, not only in the tests that look for it."""

import logging

import pytest

_registered: set[str] = set()
_records: list[str] = []


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            _records.append(self.format(record))
        except Exception:  # noqa: BLE001 - a broken record must not break the suite
            _records.append(str(record.msg))


def register_secret(value: str) -> str:
    _registered.add(value)
    return value


def leaked_in_logs() -> list[str]:
    return [line for line in _records if any(secret in line for secret in _registered)]


_handler = _Collector(level=logging.DEBUG)


def pytest_sessionstart(session):
    logging.getLogger().addHandler(_handler)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    leaks = leaked_in_logs()
    if leaks:
        session.exitstatus = 1
        print(f"\nSECRET LEAK: {len(leaks)} log lines contain a registered secret, e.g.: {leaks[0][:200]}")
