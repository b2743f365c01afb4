"""Charge point certificates (OCPP 1.6 security whitepaper A02/A03, M03-M05).

- `csr`: the pure rules a certificate signing request must keep;
- `authority`: the certificate authority that signs (Ampyre's own, the operator's, or an
  external one behind a command);
- `installed`: the CA certificates a charge point holds (InstallCertificate,
  GetInstalledCertificateIds, DeleteCertificate);
- `service`: SignCertificate and CertificateSigned, and the renewal policy, on the base of
  `installed`: the one certificate service the rest of Ampyre uses.
"""

from ampyre.services.certificates.authority import CertificateAuthority
from ampyre.services.certificates.service import CERTIFICATE_TYPES, CertificateService

__all__ = ["CERTIFICATE_TYPES", "CertificateAuthority", "CertificateService"]
