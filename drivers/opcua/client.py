"""One OPC UA session with one server, every asyncua call wrapped.

:class:`OpcUaClient` opens the secure channel and session (security policy,
certificates, user name and password from the environment), reads the server's
namespace array, reads and writes values, and creates subscriptions whose
notifications go to a plain callback. It notices a lost session (the transport
closing, the keepalive probe failing, or a Bad subscription status) and says so
through :meth:`OpcUaClient.wait_lost`; it does not reconnect by itself, so the
driver above it keeps at most one session per server.

Every failure leaves as a :mod:`drivers.errors` exception.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.common.subscription import Subscription
from asyncua.crypto.security_policies import SecurityPolicyBasic256Sha256
from asyncua.ua.attribute_ids import AttributeIds

from drivers.errors import ConfigurationError, DriverError, ProtocolError
from drivers.opcua.errors import status_name, translate
from topology.site import Endpoint
from topology.site_opcua import SecurityMode, SecurityPolicy

logger = logging.getLogger(__name__)

# Many servers cap the items per CreateMonitoredItems or Read request; a thousand
# is under every limit we know and still few round trips.
_BATCH = 1000

DataCallback = Callable[[int, ua.DataValue], None]
"""Called with (client handle, data value) for every value change, in order."""


@dataclass(frozen=True, slots=True)
class MonitoredItem:
    """A node to monitor. ``handle`` comes back with each of its changes."""

    handle: int
    node: ua.NodeId
    sampling_interval_s: float
    queue_size: int


@dataclass(frozen=True, slots=True)
class OpenSubscription:
    """A subscription created on the session (``inner`` is asyncua's)."""

    inner: Subscription
    publishing_interval_s: float


class _Handler:
    """asyncua's callback-mode handler; it forwards and never blocks."""

    def __init__(self, on_data: DataCallback, on_bad_status: Callable[[str], None]):
        self._on_data = on_data
        self._on_bad_status = on_bad_status

    def datachange_notification(self, node: Any, val: Any, data: Any) -> None:
        item = data.monitored_item
        self._on_data(int(item.ClientHandle), item.Value)

    def status_change_notification(self, status: ua.StatusChangeNotification) -> None:
        code = status.Status
        if code is not None and not code.is_good():
            self._on_bad_status(f"subscription status {status_name(code.value)}")


class OpcUaClient:
    """A session with the OPC UA server at ``endpoint`` for device ``device``.

    ``timeout_s`` bounds each request; connecting may take a few requests and is
    bounded by ``connect_timeout_s``. ``keepalive_s`` is how often the server's
    state is probed to notice a server that stopped answering (never more often
    than ``timeout_s``, which is how long a probe may take). Relative
    certificate paths are taken from ``base_dir``. ``environ`` supplies the
    password named by ``password_env`` (defaults to the process environment).
    """

    def __init__(
        self,
        device: str,
        endpoint: Endpoint,
        *,
        timeout_s: float = 2.0,
        connect_timeout_s: float | None = None,
        keepalive_s: float = 1.0,
        base_dir: Path | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.device = device
        self.url = endpoint.opcua_url
        self._endpoint = endpoint
        self._timeout_s = timeout_s
        self._connect_timeout_s = connect_timeout_s or max(5 * timeout_s, 5.0)
        # asyncua waits for each probe as long as the interval between probes;
        # a busy server must get at least the request timeout to answer.
        self._keepalive_s = max(keepalive_s, timeout_s)
        self._base_dir = base_dir or Path.cwd()
        self._environ = environ if environ is not None else dict(os.environ)
        self._client: Client | None = None
        self._lost = asyncio.Event()
        self._lost_reason = ""

    # -- session ------------------------------------------------------------

    async def connect(self) -> None:
        """Open the channel and session.

        Raises :class:`AuthenticationError` when the server refuses the user,
        :class:`SecurityRejectedError` when it refuses our certificate or has no
        matching endpoint, :class:`ConfigurationError` for a missing password or
        certificate file, :class:`ConnectError` / :class:`RequestTimeout`
        otherwise. After a failure nothing is left open.
        """
        if self._client is not None:
            raise RuntimeError("already connected; close() first")
        client = Client(
            self.url, timeout=self._timeout_s, watchdog_intervall=self._keepalive_s
        )
        client.connection_lost_callback = self._on_connection_lost
        self._lost = asyncio.Event()
        self._lost_reason = ""
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                await self._configure(client)
                await client.connect()
        except DriverError:
            client.disconnect_socket()
            raise
        except Exception as exc:
            client.disconnect_socket()
            raise translate(exc, device=self.device, action="connect") from exc
        self._client = client
        logger.debug("%s: session open on %s", self.device, self.url)

    async def _configure(self, client: Client) -> None:
        security = self._endpoint.security
        if security is None:
            return
        client.application_uri = security.application_uri
        if security.username is not None and security.password_env is not None:
            password = self._environ.get(security.password_env)
            if password is None:
                raise ConfigurationError(
                    f"{self.device}: environment variable {security.password_env} "
                    f"(the password for user {security.username!r}) is not set",
                    reason=f"{security.password_env} not set",
                )
            client.set_user(security.username)
            client.set_password(password)
        if security.policy is SecurityPolicy.NONE:
            return
        assert security.certificate is not None and security.private_key is not None
        mode = (
            ua.MessageSecurityMode.Sign
            if security.channel_mode is SecurityMode.SIGN
            else ua.MessageSecurityMode.SignAndEncrypt
        )
        paths = [security.certificate, security.private_key]
        if security.server_certificate is not None:
            paths.append(security.server_certificate)
        resolved = [self._resolve(path) for path in paths]
        try:
            await client.set_security(
                SecurityPolicyBasic256Sha256,
                certificate=str(resolved[0]),
                private_key=str(resolved[1]),
                server_certificate=str(resolved[2]) if len(resolved) > 2 else None,
                mode=mode,
            )
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise ConfigurationError(
                f"{self.device}: cannot read certificate or key: {exc}"
            ) from exc
        except ValueError as exc:
            raise ConfigurationError(
                f"{self.device}: certificate or key is not valid PEM/DER: {exc}"
            ) from exc

    def _resolve(self, path: str) -> Path:
        candidate = Path(path)
        resolved = candidate if candidate.is_absolute() else self._base_dir / candidate
        if not resolved.is_file():
            raise ConfigurationError(
                f"{self.device}: no such file: {resolved}", reason="file missing"
            )
        return resolved

    async def close(self) -> None:
        """Close the session and socket; never raises. A server that is gone or
        hung is given ``timeout_s`` to answer before the socket is dropped."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            async with asyncio.timeout(self._timeout_s + 1.0):
                await client.disconnect()
        except TimeoutError:
            logger.debug("%s: close timed out; dropping the socket", self.device)
        except Exception:
            # The session is being abandoned; how closing it failed changes nothing.
            logger.debug("%s: error while closing", self.device, exc_info=True)
        finally:
            client.disconnect_socket()
        # asyncua cancels its publish task without waiting for it; let it finish
        # so no task outlives the session.
        for _ in range(3):
            await asyncio.sleep(0)

    async def _on_connection_lost(self, exc: Exception) -> None:
        self.mark_lost(f"connection lost: {str(exc) or type(exc).__name__}")

    def mark_lost(self, reason: str) -> None:
        """Declare the session lost (the first reason given is kept)."""
        if not self._lost.is_set():
            self._lost_reason = reason
            self._lost.set()

    async def wait_lost(self) -> str:
        """Wait until the session is lost; return why (a short phrase)."""
        await self._lost.wait()
        return self._lost_reason

    @property
    def is_lost(self) -> bool:
        return self._lost.is_set()

    def _session(self) -> Client:
        if self._client is None:
            raise RuntimeError("not connected")
        return self._client

    # -- services -----------------------------------------------------------

    async def namespace_array(self) -> list[str]:
        """The server's namespace URIs, index 0 first."""
        client = self._session()
        try:
            namespaces = await client.get_namespace_array()
        except Exception as exc:
            raise translate(exc, device=self.device, action="read namespaces") from exc
        return [str(uri) for uri in namespaces]

    async def read(self, nodes: Sequence[ua.NodeId]) -> list[ua.DataValue]:
        """Read the Value attribute of ``nodes``; one data value per node, in
        order. A node the server cannot read comes back with a Bad status."""
        client = self._session()
        values: list[ua.DataValue] = []
        try:
            for start in range(0, len(nodes), _BATCH):
                batch = list(nodes[start : start + _BATCH])
                values.extend(
                    await client.uaclient.read_attributes(batch, AttributeIds.Value)
                )
        except Exception as exc:
            raise translate(exc, device=self.device, action="read") from exc
        return values

    async def write(self, node: ua.NodeId, variant: ua.Variant) -> None:
        """Write ``variant`` to the Value attribute of ``node``.

        Raises :class:`ProtocolError` with the server's status name as its reason
        when refused.
        """
        client = self._session()
        try:
            statuses = await client.uaclient.write_attributes(
                [node], [ua.DataValue(variant)], AttributeIds.Value
            )
        except Exception as exc:
            raise translate(exc, device=self.device, action="write") from exc
        if statuses and not statuses[0].is_good():
            reason = status_name(statuses[0].value)
            raise ProtocolError(
                f"{self.device}: write to {node.to_string()} refused: {reason}",
                reason=reason,
            )

    async def create_subscription(
        self, publishing_interval_s: float, on_data: DataCallback
    ) -> OpenSubscription:
        """Create a subscription publishing every ``publishing_interval_s``; the
        changes of the items later monitored in it go to ``on_data``.

        Create every subscription of a session before monitoring items in any:
        asyncua registers a subscription only once the server's answer is read,
        and a publish for it racing that answer would be dropped.

        Raises a :class:`DriverError` if the server refuses (a ``ProtocolError``
        whose reason is the status, e.g. ``BadTooManySubscriptions`` from a
        server without subscriptions).
        """
        client = self._session()
        handler = _Handler(on_data, self.mark_lost)
        try:
            subscription = await client.create_subscription(
                publishing_interval_s * 1000.0, handler
            )
        except Exception as exc:
            raise translate(exc, device=self.device, action="subscribe") from exc
        return OpenSubscription(subscription, publishing_interval_s)

    async def monitor(
        self, subscription: OpenSubscription, items: Sequence[MonitoredItem]
    ) -> dict[int, str]:
        """Monitor ``items`` in ``subscription``.

        Returns the items the server refused, as ``{handle: status name}``; the
        caller reads those instead. Raises a :class:`DriverError` if the request
        fails as a whole.
        """
        refused: dict[int, str] = {}
        try:
            for start in range(0, len(items), _BATCH):
                batch = items[start : start + _BATCH]
                results = await subscription.inner.create_monitored_items(
                    [_monitored_item_request(item) for item in batch]
                )
                for item, result in zip(batch, results, strict=True):
                    if isinstance(result, ua.StatusCode):
                        refused[item.handle] = status_name(result.value)
        except Exception as exc:
            raise translate(exc, device=self.device, action="monitor") from exc
        return refused


def _monitored_item_request(item: MonitoredItem) -> ua.MonitoredItemCreateRequest:
    parameters = ua.MonitoringParameters()
    parameters.ClientHandle = item.handle
    parameters.SamplingInterval = item.sampling_interval_s * 1000.0
    parameters.QueueSize = item.queue_size
    parameters.DiscardOldest = True
    request = ua.MonitoredItemCreateRequest()
    request.ItemToMonitor = ua.ReadValueId(
        NodeId=item.node, AttributeId=ua.UInt32(AttributeIds.Value)
    )
    request.MonitoringMode = ua.MonitoringMode.Reporting
    request.RequestedParameters = parameters
    return request
