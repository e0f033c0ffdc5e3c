"""Every response body the API answers, declared once as msgspec Structs, one module per area:

- :mod:`.common`: the error shape, :class:`~.common.Money`, addresses, the profile, stats, tier
  status, the ledger and the customer summary (``/v1/customers``);
- :mod:`.checkout`: orders and their events, quotes, address trust, a recognised guest;
- :mod:`.customers`: the ``/v1/me`` answers, the customer value estimate, the store credit the
  customer sees;
- :mod:`.support`: ``/v1/admin`` (the 360 view, lookup, adjustments, merge, erasure, goodwill,
  store credit as staff see it, the rules document) and ``/v1/health``.

The services build plain dicts (their answers are not converted through these); the
declarations feed the OpenAPI document (``make openapi``, devtools/openapi.py, which reads the
modules in the order above), which schemathesis checks the app's answers against
(tests/integration/test_schemathesis.py). A field that may be absent is
``Union[..., UnsetType] = UNSET``; one that is always there but may be null is ``Optional[...]``
without a default. Every amount is a :class:`~.common.Money`. Responses may gain fields: no
Struct here forbids unknown ones.

The modules use ``from __future__ import annotations``: msgspec resolves each annotation against
its own module's globals, so a module imports every name its annotations use (from
:mod:`chalicelib.api.shapes` or from a module above it in the list; common imports none of the
others). Not imported by the Lambda: only the document generator and tests read this package.
"""
