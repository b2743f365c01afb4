"""Local Authorization Lists (OCPP 1.6, 3.5.2, 5.10, 5.15): built, sent and followed.

The CSMS owns one list per charge point, built from the id tag store by the charge
point's policy (all tags, the members of a group, or named tags). It records exactly which
entries the charge point holds and at which version, learned only from the charge point's
answers, so that a Differential update carries only what changed, and so that an operator
can tell which charge points hold an out-of-date list.

Every message goes through `CommandService.send`, and what an answer means is recorded by
the effects registered by the service, so a SendLocalList sent by hand through the generic
commands endpoint is followed exactly like one sent by a sync.

- `algebra`: the pure rules (entries, Full and Differential updates, versions, parts).
- `store`: the policy, versions and entries the CSMS records, and the id tags a policy selects.
- `sync`: sending a list, in parts, with one Full resync after Failed or VersionMismatch.
- `service`: what answers mean, the operator's requests and views.
"""

from ampyre.services.local_lists.algebra import (
    Changes,
    Content,
    Limits,
    LocalListPolicy,
    apply_update,
    changes_between,
    check_policy,
    content_digest,
    split_update,
)
from ampyre.services.local_lists.service import (
    LocalListService,
    LocalListSummary,
    LocalListView,
)
from ampyre.services.local_lists.sync import SyncReport

__all__ = [
    "Changes",
    "Content",
    "Limits",
    "LocalListPolicy",
    "LocalListService",
    "LocalListSummary",
    "LocalListView",
    "SyncReport",
    "apply_update",
    "changes_between",
    "check_policy",
    "content_digest",
    "split_update",
]
