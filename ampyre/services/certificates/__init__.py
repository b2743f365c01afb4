"""Charge point certificates (OCPP 1.6 security whitepaper A02/A03, M03-M05).

- `csr`: the pure rules a certificate signing request must keep;
- `authority`: the certificate authority that signs (Ampyre's own, the operator's, or an
  external one behind a command);
- `service`: SignCertificate and CertificateSigned, the CA certificates a charge point
  holds, and the renewal policy.
"""

from ampyre.services.certificates.authority import CertificateAuthority
from ampyre.services.certificates.service import CERTIFICATE_TYPES, CertificateService

__all__ = ["CERTIFICATE_TYPES", "CertificateAuthority", "CertificateService"]
