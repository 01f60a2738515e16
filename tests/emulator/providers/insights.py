"""Application Insights components: AppId, instrumentation key and connection string."""
import uuid

from .common import name_of, old_props, props, region


def component_put(ctx, rid, resource, existing):
    p = props(resource)
    old = old_props(existing)
    name = name_of(rid)
    loc = region(resource, existing)
    p["AppId"] = old.get("AppId") or str(uuid.uuid4())
    p["ApplicationId"] = name
    p["Name"] = name
    p["InstrumentationKey"] = old.get("InstrumentationKey") or str(uuid.uuid4())
    p["ConnectionString"] = (
        f"InstrumentationKey={p['InstrumentationKey']};"
        f"IngestionEndpoint=https://{loc}-0.in.applicationinsights.azure.com/;"
        f"LiveEndpoint=https://{loc}.livediagnostics.monitor.azure.com/;ApplicationId={p['AppId']}")
    p["CreationDate"] = old.get("CreationDate") or ctx.iso()
    # Application Insights reports the *subscription* id in TenantId (a long-standing quirk).
    p["TenantId"] = ctx.subscription_id
    p.setdefault("RetentionInDays", 90)
    p.setdefault("IngestionMode", "LogAnalytics" if p.get("WorkspaceResourceId") else "ApplicationInsights")
    p.setdefault("publicNetworkAccessForIngestion", "Enabled")
    p.setdefault("publicNetworkAccessForQuery", "Enabled")
    p.setdefault("Request_Source", "rest")
    p["provisioningState"] = "Succeeded"


PUT = {"microsoft.insights/components": component_put}
