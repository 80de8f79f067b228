"""The one way the gateway calls a service: the caller's token, a deadline, and failures as problems.

Every call carries a deadline and the caller's own access token (each service verifies it again) with this
request's id (civicpool_common.observability). Failures become problem documents via the status table; a
stale version the client named as If-Match is a failed precondition (412), not a conflict (409).
"""

from __future__ import annotations

from typing import TypeVar

import grpc
from civicpool_common import observability
from civicpool_common.errors import from_rpc_error
from civicpool_common.reasons import Reason
from google.protobuf.message import Message

from civicpool_gateway.problems import Problem
from civicpool_gateway.versioning import ExpectedVersion

Request = TypeVar("Request", bound=Message)
Reply = TypeVar("Reply", bound=Message)


class ServiceClient:
    """The base of the typed clients: a service's name (for problems) and the deadlines of its calls: the
    interactive one, and the longer one of reports and exports (`_report`), which read a whole period."""

    def __init__(self, name: str, deadline_seconds: float, report_deadline_seconds: float | None = None) -> None:
        self.name = name
        self._deadline = deadline_seconds
        self._report_deadline = report_deadline_seconds or deadline_seconds

    async def _call(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Request, Reply],
        request: Request,
        token: str,
        *,
        expected: ExpectedVersion | None = None,
        deadline_seconds: float | None = None,
    ) -> Reply:
        """Call `method` with the caller's token and the deadline; raise a Problem on failure."""
        timeout = deadline_seconds or self._deadline
        try:
            reply: Reply = await method(request, timeout=timeout, metadata=observability.outgoing_metadata(token))
        except grpc.aio.AioRpcError as error:
            raise self._problem(error, expected) from None
        return reply

    async def _report(
        self, method: grpc.aio.UnaryUnaryMultiCallable[Request, Reply], request: Request, token: str
    ) -> Reply:
        """A report's or an export's call: under the reports' deadline."""
        return await self._call(method, request, token, deadline_seconds=self._report_deadline)

    async def _call_with_trailers(
        self,
        method: grpc.aio.UnaryUnaryMultiCallable[Request, Reply],
        request: Request,
        token: str,
        *,
        expected: ExpectedVersion | None = None,
    ) -> tuple[Reply, dict[str, str]]:
        """As `_call`, with the reply's trailing metadata (a catalog write's revision)."""
        try:
            call = method(request, timeout=self._deadline, metadata=observability.outgoing_metadata(token))
            reply: Reply = await call
            trailers = {key: str(value) for key, value in (await call.trailing_metadata() or ())}
        except grpc.aio.AioRpcError as error:
            raise self._problem(error, expected) from None
        return reply, trailers

    def _problem(self, error: grpc.aio.AioRpcError, expected: ExpectedVersion | None) -> Problem:
        problem = Problem.from_remote(from_rpc_error(error), self.name)
        if expected is not None and expected.via_if_match and problem.reason == Reason.VERSION_CONFLICT:
            return Problem(Reason.PRECONDITION_FAILED, problem.detail, extra=problem.extra)
        return problem
