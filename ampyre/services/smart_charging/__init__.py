"""Smart Charging (OCPP 1.6, 3.13): the rules of a charging profile and the composite schedule.

Both modules are pure; the CSMS's record of installed profiles is
ampyre.services.charging_profiles.ChargingProfileService.
"""
