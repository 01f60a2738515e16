"""Resource groups."""
from .common import props


def rg_put(ctx, rid, resource, existing):
    props(resource)["provisioningState"] = "Succeeded"


PUT = {"microsoft.resources/resourcegroups": rg_put}
