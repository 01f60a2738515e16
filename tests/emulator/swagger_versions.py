"""Real, published ARM api-versions per provider namespace (data only).

The emulator accepts any api-version listed here for a namespace it has specs for and validates
the request against the closest spec on hand, as real ARM does for every version a client may
send.  A version not listed here (or a namespace we have no spec for) gets ARM's
InvalidApiVersionParameter / NoRegisteredProviderFound from the engine.

Sources: the folders of Azure/azure-rest-api-specs (stable/ and preview/), and the defaults of
the SDKs installed in the project's venv (azure/mgmt/*/_configuration.py):
azure-mgmt-storage 25.3.0 -> 2026-09-01, azure-mgmt-keyvault 14.1.0 -> 2026-05-15,
azure-mgmt-containerregistry 15.0.0 -> 2025-11-01, azure-mgmt-resource 26.0.0 -> 2025-04-01,
azure-mgmt-machinelearningservices 2.0.0b2 -> 2023-04-01, azure-mgmt-applicationinsights 4.1.0
(multi-api, components 2020-02-02), azure-mgmt-authorization 4.0.0 (multi-api, 2022-04-01).
azure-ai-ml (a test dependency) sends its own versions (models 2023-08-01-preview, workspaces
2024-10-01-preview, data/environments/jobs 2023-04-01-preview, ...): they are in the
MachineLearningServices list, and their traffic is recorded and checked by oav_check as the
vendored version.
"""

_ML_STABLE = [
    "2018-11-19", "2019-05-01", "2019-06-01", "2019-11-01", "2020-01-01", "2020-03-01",
    "2020-04-01", "2020-06-01", "2020-08-01", "2021-01-01", "2021-04-01", "2021-07-01",
    "2022-05-01", "2022-10-01", "2023-04-01", "2023-10-01", "2024-04-01", "2024-10-01",
    "2025-06-01", "2025-09-01", "2025-12-01",
    "2026-07-01",  # named by tests/emulator/specs/README.md; not in the spec snapshot we checked
]
_ML_PREVIEW = [
    "2018-03-01-preview", "2020-02-18-preview", "2020-04-01-preview", "2020-05-01-preview",
    "2020-05-15-preview", "2020-09-01-preview", "2021-03-01-preview", "2022-01-01-preview",
    "2022-02-01-preview", "2022-06-01-preview", "2022-10-01-preview", "2022-12-01-preview",
    "2023-02-01-preview", "2023-04-01-preview", "2023-06-01-preview", "2023-08-01-preview",
    "2024-01-01-preview", "2024-04-01-preview", "2024-07-01-preview", "2024-10-01-preview",
    "2025-01-01-preview", "2025-04-01-preview", "2025-07-01-preview", "2025-10-01-preview",
]

KNOWN_API_VERSIONS = {
    "Microsoft.MachineLearningServices": frozenset(_ML_STABLE + _ML_PREVIEW),
    "Microsoft.ContainerRegistry": frozenset([
        "2016-06-27-preview", "2017-03-01", "2017-06-01-preview", "2017-10-01",
        "2018-02-01-preview", "2018-09-01", "2019-04-01", "2019-05-01", "2019-06-01-preview",
        "2019-12-01-preview", "2020-11-01-preview", "2021-06-01-preview", "2021-08-01-preview",
        "2021-09-01", "2021-12-01-preview", "2022-02-01-preview", "2022-12-01",
        "2023-01-01-preview", "2023-06-01-preview", "2023-07-01", "2023-08-01-preview",
        "2023-11-01-preview", "2024-11-01-preview", "2025-03-01-preview", "2025-04-01",
        "2025-05-01-preview", "2025-06-01-preview", "2025-11-01",
    ]),
    "Microsoft.Resources": frozenset([
        "2015-11-01", "2016-02-01", "2016-07-01", "2016-09-01", "2017-05-10", "2018-02-01",
        "2018-05-01", "2019-03-01", "2019-05-01", "2019-05-10", "2019-07-01", "2019-08-01",
        "2019-10-01", "2020-06-01", "2020-08-01", "2020-10-01", "2021-01-01", "2021-04-01",
        "2022-09-01", "2022-12-01", "2023-07-01", "2024-03-01", "2024-07-01", "2024-11-01",
        "2025-03-01", "2025-04-01",
    ]),
    "Microsoft.Storage": frozenset([
        "2015-05-01-preview", "2015-06-15", "2016-01-01", "2016-05-01", "2016-12-01",
        "2017-06-01", "2017-10-01", "2018-02-01", "2018-03-01-preview", "2018-07-01",
        "2018-11-01", "2019-04-01", "2019-06-01", "2020-08-01-preview", "2021-01-01",
        "2021-02-01", "2021-04-01", "2021-06-01", "2021-08-01", "2021-09-01", "2022-05-01",
        "2022-09-01", "2023-01-01", "2023-04-01", "2023-05-01", "2024-01-01", "2025-01-01",
        "2025-06-01", "2026-09-01",
    ]),
    "Microsoft.KeyVault": frozenset([
        "2015-06-01", "2016-10-01", "2018-02-14", "2018-02-14-preview", "2019-09-01",
        "2020-04-01-preview", "2021-04-01-preview", "2021-06-01-preview", "2021-10-01",
        "2021-11-01-preview", "2022-02-01-preview", "2022-07-01", "2022-11-01", "2023-02-01",
        "2023-07-01", "2024-04-01-preview", "2024-11-01", "2024-12-01-preview", "2025-05-01",
        "2026-05-15",
    ]),
    # Application Insights components (the only Microsoft.Insights type the emulator serves),
    # plus the versions azure-mgmt-applicationinsights 4.1.0 ships for the namespace.
    "Microsoft.Insights": frozenset([
        "2014-04-01", "2014-08-01", "2014-12-01-preview", "2015-05-01", "2017-10-01",
        "2018-05-01-preview", "2018-06-17-preview", "2019-10-17-preview", "2020-02-02",
        "2020-02-02-preview", "2020-03-01-preview", "2020-06-02-preview", "2020-11-20",
        "2021-03-08", "2021-08-01", "2021-10-14", "2022-04-01", "2022-06-15", "2023-06-01",
        "2024-02-01-preview",
    ]),
    "Microsoft.Authorization": frozenset([
        "2014-04-01-preview", "2015-06-01", "2015-07-01", "2017-10-01-preview",
        "2018-01-01-preview", "2018-05-01-preview", "2018-07-01-preview", "2018-09-01-preview",
        "2019-08-01-preview", "2020-03-01-preview", "2020-04-01-preview", "2020-08-01-preview",
        "2020-10-01", "2020-10-01-preview", "2021-01-01-preview", "2021-03-01-preview",
        "2021-07-01-preview", "2021-12-01-preview", "2022-01-01-preview", "2022-04-01",
        "2022-04-01-preview", "2022-05-01-preview", "2022-08-01-preview",
    ]),
    # Traffic Manager profiles (Microsoft.Network/trafficmanagerprofiles).
    "Microsoft.Network": frozenset([
        "2015-04-28-preview", "2015-11-01", "2017-03-01", "2017-05-01", "2017-09-01-preview",
        "2018-02-01", "2018-03-01", "2018-04-01", "2018-08-01", "2022-04-01",
        "2022-04-01-preview",
    ]),
}
