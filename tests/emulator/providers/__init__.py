"""Per-provider server-side behaviour of the emulated resources, one module per resource
provider (storage, keyvault, registry, insights, ml, authorization, resources) and their
shared helpers (common). Each module exports ``PUT = {lowercased type: fn(ctx, rid, resource,
existing)}`` and, where it has them, ``DELETE`` (``fn(ctx, rid, resource)``) and ``NAME_CHECKS``
(``fn(name)``); ``emulator.hooks`` dispatches to them."""
