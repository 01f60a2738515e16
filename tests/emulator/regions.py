"""Azure public regions (ARM location names), for LocationNotAvailableForResourceType."""

REGIONS = frozenset("""
eastus eastus2 southcentralus westus2 westus3 australiaeast southeastasia northeurope swedencentral
uksouth westeurope centralus southafricanorth centralindia eastasia japaneast koreacentral
canadacentral francecentral germanywestcentral italynorth norwayeast polandcentral spaincentral
switzerlandnorth mexicocentral uaenorth brazilsouth israelcentral qatarcentral centralusstage
eastusstage eastus2stage northcentralusstage southcentralusstage westusstage westus2stage asia
asiapacific australia brazil canada europe france germany global india israel italy japan korea
newzealand norway poland qatar singapore southafrica sweden switzerland uae uk unitedstates
unitedstateseuap eastasiastage southeastasiastage brazilus eastusstg southcentralusstg
northcentralus westus jioindiawest centraluseuap southcentralusstg westcentralus southafricawest
australiacentral australiacentral2 australiasoutheast japanwest jioindiacentral koreasouth
southindia westindia canadaeast francesouth germanynorth norwaywest switzerlandwest ukwest
uaecentral brazilsoutheast newzealandnorth indonesiacentral malaysiawest chilecentral
""".split())


def normalize(location):
    """'West US 2' -> 'westus2' (ARM accepts display names and returns the name)."""
    return (location or "").replace(" ", "").lower()
