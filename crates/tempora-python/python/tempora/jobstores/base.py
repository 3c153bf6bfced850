"""The job stores' base and errors: where jobs live."""

from __future__ import annotations

from typing import Any, Dict, Optional

__all__ = ["BaseJobStore", "JobLookupError", "ConflictingIdError", "TransientJobError"]


class JobLookupError(KeyError):
    """No job by the given ID."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"No job by the id of {job_id} was found")


class ConflictingIdError(KeyError):
    """A job with the given ID exists already."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"Job identifier ({job_id}) conflicts with an existing job")


class TransientJobError(ValueError):
    """A job that a persistent store cannot keep (a lambda, a callable that
    cannot be imported by reference, arguments that are not JSON)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Job ({job_id}) cannot be added to this job store because a reference to the callable "
            "could not be determined."
        )


class BaseJobStore:
    """A job store: where the scheduler keeps jobs. Tempora's stores are
    Rust stores that the scheduler opens; this object says which one."""

    #: True for a store that keeps jobs as references and JSON (every store
    #: but memory).
    persistent = True

    def __init__(self, tablename: Optional[str] = None, **options: Any) -> None:
        self.prefix = tablename
        self.options: Dict[str, Any] = options

    def url(self) -> Optional[str]:
        """The URL Tempora opens; ``None`` for memory."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__}>"
