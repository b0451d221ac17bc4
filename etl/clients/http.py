"""What the Jira and GitHub clients share: one error type, polite waits, bounded retries."""

import time
from collections.abc import Callable

import httpx

from pulse.core.outbound import OutboundRefused

MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 60.0


class SourceError(Exception):
    """A source API call failed. `permanent` errors (bad credentials, missing resource, a payload
    Pulse cannot read) are not retried; the others were, and ran out of attempts."""

    def __init__(self, message: str, *, permanent: bool, status_code: int | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.status_code = status_code


def request_with_retries(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    wait_for: Callable[[httpx.Response], float | None],
    describe: str,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs,
) -> httpx.Response:
    """Send, honouring the source's rate-limit answer (`wait_for` says how long, or None if the
    response is not a rate limit) and retrying timeouts and 5xx with backoff, a bounded number
    of times. 401/403/404 and other 4xx raise a permanent SourceError at once."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = http.request(method, url, **kwargs)
        except OutboundRefused as exc:
            raise SourceError(f"{describe}: {exc}", permanent=True) from None
        except httpx.TimeoutException:
            if attempt + 1 == MAX_ATTEMPTS:
                raise SourceError(f"{describe}: timed out {MAX_ATTEMPTS} times", permanent=False) from None
            sleep(2**attempt)
            continue
        except httpx.HTTPError as exc:
            if attempt + 1 == MAX_ATTEMPTS:
                raise SourceError(f"{describe}: {type(exc).__name__}", permanent=False) from None
            sleep(2**attempt)
            continue
        wait = wait_for(response)
        if wait is not None:
            if wait > MAX_WAIT_SECONDS or attempt + 1 == MAX_ATTEMPTS:
                raise SourceError(
                    f"{describe}: rate limited; retry in {wait:.0f}s", permanent=False, status_code=response.status_code
                )
            sleep(wait)
            continue
        if response.status_code >= 500:
            if attempt + 1 == MAX_ATTEMPTS:
                raise SourceError(
                    f"{describe}: HTTP {response.status_code}", permanent=False, status_code=response.status_code
                )
            sleep(2**attempt)
            continue
        if response.status_code in (401, 403):
            raise SourceError(
                f"{describe}: HTTP {response.status_code}: the credentials were refused",
                permanent=True,
                status_code=response.status_code,
            )
        if response.status_code >= 400:
            raise SourceError(
                f"{describe}: HTTP {response.status_code}", permanent=True, status_code=response.status_code
            )
        return response
    raise SourceError(f"{describe}: gave up", permanent=False)


def seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
