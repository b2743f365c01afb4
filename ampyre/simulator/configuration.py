"""The charge point's configuration keys (OCPP 1.6, chapter 9) and how changes are judged.

The key table is `SimulatedChargePoint.configuration` (key -> {"value", "readonly"}), a
plain dict so tests can read and poke it; the value types below are kept apart because
they only matter when the CSMS sends ChangeConfiguration.
"""

from __future__ import annotations

from typing import Literal

from ampyre.simulator.meter import SUPPORTED_MEASURANDS

ValueType = Literal["integer", "boolean", "measurands", "profiles", "units", "text", "key"]

FEATURE_PROFILES = (
    "Core",
    "FirmwareManagement",
    "LocalAuthListManagement",
    "Reservation",
    "SmartCharging",
    "RemoteTrigger",
)

ConfigurationTable = dict[str, dict[str, str | bool]]

# key: (value type, read-only)
_KEY_TYPES: dict[str, tuple[ValueType, bool]] = {
    "AllowOfflineTxForUnknownId": ("boolean", False),
    "AuthorizationCacheEnabled": ("boolean", False),
    "AuthorizeRemoteTxRequests": ("boolean", False),
    "ClockAlignedDataInterval": ("integer", False),
    "ConnectionTimeOut": ("integer", False),
    "ConnectorPhaseRotation": ("text", False),
    "ConnectorPhaseRotationMaxLength": ("integer", True),
    "GetConfigurationMaxKeys": ("integer", True),
    "HeartbeatInterval": ("integer", False),
    "LocalAuthorizeOffline": ("boolean", False),
    "LocalPreAuthorize": ("boolean", False),
    "MeterValuesAlignedData": ("measurands", False),
    "MeterValuesAlignedDataMaxLength": ("integer", True),
    "MeterValuesSampledData": ("measurands", False),
    "MeterValuesSampledDataMaxLength": ("integer", True),
    "MeterValueSampleInterval": ("integer", False),
    "MinimumStatusDuration": ("integer", False),
    "NumberOfConnectors": ("integer", True),
    "ResetRetries": ("integer", False),
    "StopTransactionOnEVSideDisconnect": ("boolean", False),
    "StopTransactionOnInvalidId": ("boolean", False),
    "StopTxnAlignedData": ("measurands", False),
    "StopTxnAlignedDataMaxLength": ("integer", True),
    "StopTxnSampledData": ("measurands", False),
    "StopTxnSampledDataMaxLength": ("integer", True),
    "SupportedFeatureProfiles": ("profiles", True),
    "TransactionMessageAttempts": ("integer", False),
    "TransactionMessageRetryInterval": ("integer", False),
    "UnlockConnectorOnEVSideDisconnect": ("boolean", False),
    "LocalAuthListEnabled": ("boolean", False),
    "LocalAuthListMaxLength": ("integer", True),
    "SendLocalListMaxLength": ("integer", True),
    "ReserveConnectorZeroSupported": ("boolean", True),
    "ChargeProfileMaxStackLevel": ("integer", True),
    "ChargingScheduleAllowedChargingRateUnit": ("units", True),
    "ChargingScheduleMaxPeriods": ("integer", True),
    "ConnectorSwitch3to1PhaseSupported": ("boolean", True),
    "MaxChargingProfilesInstalled": ("integer", True),
    # Security whitepaper 7.5: the O of the charge point's CSRs (set per charge point).
    "CpoName": ("text", False),
    # Security whitepaper, chapter 7.
    "AuthorizationKey": ("key", False),
    "SecurityProfile": ("integer", False),
}

#: Keys GetConfiguration names without their value (security whitepaper 7.2).
WRITE_ONLY_KEYS = frozenset({"AuthorizationKey"})
#: The AuthorizationKey's length: 16 to 20 bytes, written as up to 40 characters (7.2).
AUTHORIZATION_KEY_LENGTH = range(16, 41)

MEASURAND_LIST_MAX_LENGTH = 8


def default_configuration(
    *, connectors: int, meter_interval: float, password: str | None = None, tls: bool = False
) -> ConfigurationTable:
    """`password` and `tls`: how the charge point connects, which its security keys say
    (profile 2 is Basic auth over TLS, 1 without TLS, 0 neither)."""
    values: dict[str, str] = {
        "AuthorizationKey": password or "",
        "SecurityProfile": str((2 if tls else 1) if password else 0),
        "AllowOfflineTxForUnknownId": "false",
        "AuthorizationCacheEnabled": "true",
        "AuthorizeRemoteTxRequests": "false",
        "ClockAlignedDataInterval": "0",
        "ConnectionTimeOut": "60",
        "ConnectorPhaseRotation": ",".join(f"{i}.RST" for i in range(connectors + 1)),
        "ConnectorPhaseRotationMaxLength": str(connectors + 1),
        "GetConfigurationMaxKeys": "100",
        "HeartbeatInterval": "300",
        "LocalAuthorizeOffline": "true",
        "LocalPreAuthorize": "false",
        "MeterValuesAlignedData": "Energy.Active.Import.Register",
        "MeterValuesAlignedDataMaxLength": str(MEASURAND_LIST_MAX_LENGTH),
        "MeterValuesSampledData": "Energy.Active.Import.Register,Power.Active.Import,Current.Import",
        "MeterValuesSampledDataMaxLength": str(MEASURAND_LIST_MAX_LENGTH),
        "MeterValueSampleInterval": str(round(meter_interval)),
        "MinimumStatusDuration": "0",
        "NumberOfConnectors": str(connectors),
        "ResetRetries": "3",
        "StopTransactionOnEVSideDisconnect": "true",
        "StopTransactionOnInvalidId": "true",
        "StopTxnAlignedData": "",
        "StopTxnAlignedDataMaxLength": str(MEASURAND_LIST_MAX_LENGTH),
        "StopTxnSampledData": "Energy.Active.Import.Register",
        "StopTxnSampledDataMaxLength": str(MEASURAND_LIST_MAX_LENGTH),
        "SupportedFeatureProfiles": ",".join(FEATURE_PROFILES),
        "TransactionMessageAttempts": "3",
        "TransactionMessageRetryInterval": "60",
        "UnlockConnectorOnEVSideDisconnect": "true",
        "LocalAuthListEnabled": "true",
        "LocalAuthListMaxLength": "100",
        "SendLocalListMaxLength": "100",
        "ReserveConnectorZeroSupported": "false",
        "ChargeProfileMaxStackLevel": "10",
        "ChargingScheduleAllowedChargingRateUnit": "Current,Power",
        "ChargingScheduleMaxPeriods": "24",
        "ConnectorSwitch3to1PhaseSupported": "false",
        "MaxChargingProfilesInstalled": "10",
    }
    return {key: {"value": value, "readonly": _KEY_TYPES[key][1]} for key, value in values.items()}


def is_acceptable(key: str, value: str) -> bool:
    """Whether `value` is well-formed for `key`; an unknown key's values are never judged."""
    value_type = _KEY_TYPES.get(key, ("text", False))[0]
    if value_type == "integer":
        return value.strip().isdigit()
    if value_type == "boolean":
        return value.strip().lower() in ("true", "false")
    if value_type == "key":
        return len(value) in AUTHORIZATION_KEY_LENGTH and value.isprintable()
    if value_type == "measurands":
        items = csl(value)
        return len(items) <= MEASURAND_LIST_MAX_LENGTH and all(
            item in SUPPORTED_MEASURANDS for item in items
        )
    return True


def normalized(key: str, value: str) -> str:
    """Booleans are stored in lower case, so readers compare against "true" only."""
    if _KEY_TYPES.get(key, ("text", False))[0] == "boolean":
        return value.strip().lower()
    return value


def csl(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]
