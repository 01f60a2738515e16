"""azure-ai-ml's MLClient pointed at the emulator, unmodified, as a data scientist builds it.

MLClient needs ``cloud=<a name>`` plus ``cloud_metadata`` with all six keys below: with one
missing it silently falls back to public Azure. The name is per emulator (its port), because
azure-ai-ml keeps clouds in a process-wide table and never overwrites a name it knows.

Blob data: azure-ai-ml builds ``https://<account>.blob.<storage_endpoint>`` URLs and makes its
own storage clients (no way to pass a CA or a proxy), so the process environment must carry
the emulator's blob proxy and CA: ``ml_environ(emulator)`` (a dict; or ``patched_environ``)
— the machine's own REQUESTS_CA_BUNDLE etc. point at the system bundle.
"""
import contextlib
import os

STORAGE_SUFFIX = "core.windows.net"


def cloud_name(emulator):
    return "AmlopsEmulator" + emulator.arm_url.rsplit(":", 1)[1]


def cloud_metadata(emulator):
    arm = emulator.arm_url + "/"
    return {"azure_portal": arm, "resource_manager": arm, "active_directory": arm,
            "aml_resource_id": arm, "storage_endpoint": STORAGE_SUFFIX,
            "registry_discovery_endpoint": arm}


def ml_environ(emulator):
    """What the process needs for azure-ai-ml's own HTTP clients: the emulator CA and the blob
    proxy (ARM and Azurite on 127.0.0.1 bypass it)."""
    ca = emulator.ca_cert
    env = {"REQUESTS_CA_BUNDLE": ca, "SSL_CERT_FILE": ca, "CURL_CA_BUNDLE": ca}
    env.update(emulator.proxy_env())
    return env


@contextlib.contextmanager
def patched_environ(emulator):
    """``os.environ`` with ``ml_environ(emulator)`` for the duration (previous values back)."""
    new = ml_environ(emulator)
    old = {k: os.environ.get(k) for k in new}
    os.environ.update(new)
    try:
        yield new
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def ml_client(emulator, resource_group, workspace, subscription_id=None, credential=None,
              **kwargs):
    """An ``azure.ai.ml.MLClient`` for one workspace of the emulator (no registry)."""
    from azure.ai.ml import MLClient
    return MLClient(credential or emulator.credential(),
                    subscription_id or emulator.endpoint["subscription_id"],
                    resource_group, workspace, cloud=cloud_name(emulator),
                    cloud_metadata=cloud_metadata(emulator), **kwargs)
