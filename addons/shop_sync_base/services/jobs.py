"""The one place a remote failure becomes a queue_job retry."""

import math

from odoo.addons.queue_job.exception import RetryableJobError

from .http import MAX_RETRY_AFTER


def retryable_job_error(remote_error, ignore_retry=False):
    """queue_job's :class:`RetryableJobError` for a retryable :class:`RemoteError`.

    The job is postponed by the remote's ``Retry-After`` (capped at MAX_RETRY_AFTER, whatever the
    header said) instead of a worker sleeping through it; without one, queue_job's own retry
    pattern applies.  ``ignore_retry`` for a wait that is no failure (a remote still preparing what
    was asked): the job is postponed without using up one of its tries.  Use as
    ``raise retryable_job_error(exc) from exc``.
    """
    wait = remote_error.retry_after
    seconds = math.ceil(min(max(wait, 0), MAX_RETRY_AFTER)) if wait is not None and not math.isnan(wait) else None
    return RetryableJobError(str(remote_error), seconds=seconds or None, ignore_retry=ignore_retry)
