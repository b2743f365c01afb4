"""The Central System: every domain service, wired together once per server process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ampyre.config import Settings
from ampyre.services.accounts import AccountService
from ampyre.services.audit import AuditService
from ampyre.services.authorization import AuthorizationService
from ampyre.services.certificates import CertificateAuthority, CertificateService
from ampyre.services.charge_points import ChargePointService
from ampyre.services.charging_profiles import ChargingProfileService
from ampyre.services.commands import CommandService
from ampyre.services.configuration import ConfigurationService
from ampyre.services.dashboard import DashboardService
from ampyre.services.data_transfer import DataTransferService
from ampyre.services.diagnostics import DiagnosticsService
from ampyre.services.event_log import EventLogService
from ampyre.services.events import EventBus
from ampyre.services.file_store import FileStore
from ampyre.services.firmware import FirmwareService
from ampyre.services.firmware_rollouts import FirmwareRolloutService
from ampyre.services.firmware_signing import FirmwareSigner
from ampyre.services.gateway import ChargePointGateway
from ampyre.services.id_tags import IdTagService
from ampyre.services.local_lists import LocalListService
from ampyre.services.locks import LocalLocks, Locks
from ampyre.services.log_requests import LogRequestService
from ampyre.services.message_log import MessageLog
from ampyre.services.remote_starts import RemoteStartService
from ampyre.services.reservations import ReservationService
from ampyre.services.security_profiles import SecurityProfileService
from ampyre.services.settings import SettingsService
from ampyre.services.transactions import TransactionService
from ampyre.services.triggers import TriggerService
from ampyre.services.webhooks.delivery import Outbox
from ampyre.services.webhooks.subscriptions import WebhookService
from ampyre.storage.database import Database


@dataclass(slots=True)
class CentralSystem:
    db: Database
    gateway: ChargePointGateway
    settings: SettingsService
    accounts: AccountService
    audit: AuditService
    charge_points: ChargePointService
    id_tags: IdTagService
    authorization: AuthorizationService
    remote_starts: RemoteStartService
    transactions: TransactionService
    reservations: ReservationService
    charging_profiles: ChargingProfileService
    data_transfer: DataTransferService
    event_log: EventLogService
    events: EventBus
    commands: CommandService
    configuration: ConfigurationService
    local_lists: LocalListService
    triggers: TriggerService
    firmware: FirmwareService
    firmware_rollouts: FirmwareRolloutService
    diagnostics: DiagnosticsService
    certificates: CertificateService
    webhooks: WebhookService
    message_log: MessageLog
    logs: LogRequestService
    security_profiles: SecurityProfileService
    dashboard: DashboardService

    @classmethod
    def build(
        cls,
        db: Database,
        gateway: ChargePointGateway,
        settings: Settings,
        locks: Locks | None = None,
    ) -> CentralSystem:
        """Every service, each given the plain values of `settings` it needs; `locks`
        are the cluster's where there is one."""
        charge_points = ChargePointService(
            db,
            heartbeat_interval=settings.heartbeat_interval,
            auto_register=settings.auto_register,
        )
        remote_starts = RemoteStartService(db, timeout=settings.remote_start_timeout)
        charging_profiles = ChargingProfileService(db)
        data_transfer = DataTransferService()
        data_transfer.load_plugins()
        events = EventBus()
        commands = CommandService(
            gateway, charge_points, remote_starts, charging_profiles, events=events
        )
        configuration = ConfigurationService(
            db, commands, charge_points, fetch_on_boot=settings.fetch_configuration_on_boot
        )
        reservations = ReservationService(db, charge_points, commands, configuration)
        authorization = AuthorizationService(db)
        file_store = FileStore(settings.data_dir, max_upload_size=settings.max_upload_size)
        signer = (
            FirmwareSigner.from_files(
                settings.firmware_signing_key, settings.firmware_signing_certificate
            )
            if settings.firmware_signing_key and settings.firmware_signing_certificate
            else None
        )
        firmware = FirmwareService(db, file_store, commands, signer)
        diagnostics = DiagnosticsService(db, file_store, commands)
        event_log = EventLogService(db)
        certificates = CertificateService(
            db,
            commands,
            event_log,
            CertificateAuthority(
                settings.data_dir,
                organization=settings.ca_organization,
                validity_days=settings.certificate_validity_days,
                cert_path=settings.ca_cert,
                key_path=settings.ca_key,
                sign_command=settings.ca_sign_command,
            ),
            renew_days=settings.certificate_renew_days,
            call_timeout=settings.call_timeout,
        )
        outbox = Outbox(
            db,
            events,
            attempts=settings.webhook_attempts,
            backoff=settings.webhook_backoff,
            timeout=settings.webhook_timeout,
            max_pending=settings.webhook_max_pending,
        )
        return cls(
            db=db,
            gateway=gateway,
            settings=SettingsService(db),
            accounts=AccountService(db),
            audit=AuditService(db),
            charge_points=charge_points,
            id_tags=IdTagService(db),
            authorization=authorization,
            remote_starts=remote_starts,
            transactions=TransactionService(
                db, authorization, remote_starts, charging_profiles, reservations
            ),
            reservations=reservations,
            charging_profiles=charging_profiles,
            data_transfer=data_transfer,
            event_log=event_log,
            events=events,
            commands=commands,
            configuration=configuration,
            local_lists=LocalListService(
                db, commands, charge_points, configuration, locks or LocalLocks()
            ),
            triggers=TriggerService(
                db, charge_points, commands, arrival_window=settings.trigger_arrival_window
            ),
            firmware=firmware,
            firmware_rollouts=FirmwareRolloutService(
                db, firmware, gateway, call_timeout=settings.call_timeout
            ),
            diagnostics=diagnostics,
            logs=LogRequestService(db, diagnostics, commands),
            security_profiles=SecurityProfileService(charge_points, commands, certificates),
            certificates=certificates,
            webhooks=WebhookService(db, outbox),
            message_log=MessageLog(db, retention=timedelta(hours=settings.message_log_retention)),
            dashboard=DashboardService(db, gateway),
        )

    async def ready(self) -> bool:
        """Whether the database answers: what a load balancer's readiness check asks."""
        try:
            await self.db.ping()
        except Exception:
            return False
        return True

    async def sweep(self) -> None:
        """Periodic housekeeping: time out remote starts, expire reservations, send rollout
        updates to charge points that came back, forget closed trigger windows, ask
        for new certificates before the old ones expire, and prune the message log."""
        await self.remote_starts.expire()
        await self.reservations.expire()
        await self.firmware_rollouts.resume()
        self.triggers.close_ended_windows()
        await self.certificates.renew_expiring()
        await self.message_log.prune_if_due()
