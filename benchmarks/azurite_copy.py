"""How fast the emulator's Azurite copies blobs server-side (run on demand, not a test).

    PYTHONPATH=tests .venv/bin/python benchmarks/azurite_copy.py [--mb 256] [--parallel 16] [--each-mb 16]

A fresh emulator and one pair (two storage accounts, as a sync copies between them). Measured with
azure-storage-blob as the copy modules call it (``start_copy_from_url`` with a read-only SAS on the
source blob, then the target's properties until the copy is not pending):

- the status ``start_copy_from_url`` answers (``success``: Azurite copied before answering, no poll
  needed; ``pending``: it copies in the background);
- one blob of --mb MB, and --parallel blobs of --each-mb MB started at once: MB/s of copied data.

Azurite runs as the emulator starts it (tests/emulator/azurite.py: data on disk under ``--location``).
Azurite 3.37 answers ``success`` at once and copies between two accounts of the same process without
moving the data (the time does not grow with the size): the copy itself costs the emulator nearly
nothing, so an in-memory Azurite (``--inMemoryPersistence``) could not make the sync's copies faster.
"""
import argparse
import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "integration"))

from azure.storage.blob import BlobSasPermissions, generate_blob_sas  # noqa: E402

from emulator.harness import Emulator  # noqa: E402
from pair_fixtures import make_pair  # noqa: E402


def sas_url(ws, blob):
    now = datetime.datetime.now(datetime.timezone.utc)
    sas = generate_blob_sas(account_name=ws.account, container_name=ws.container, blob_name=blob,
                            account_key=ws.key, permission=BlobSasPermissions(read=True),
                            start=now - datetime.timedelta(minutes=5), expiry=now + datetime.timedelta(hours=1))
    return ws.blobs.get_blob_client(ws.container, blob).url + "?" + sas


def upload(ws, name, size):
    chunk = os.urandom(1024 * 1024)
    data = (chunk * (size // len(chunk) + 1))[:size]
    ws.blobs.get_blob_client(ws.container, name).upload_blob(data, overwrite=True, max_concurrency=4)


def copy(src, dst, names):
    """Start the copies of ``names`` at once, wait until none is pending -> (seconds, first answers)."""
    started = time.monotonic()
    answers = []
    clients = []
    for name in names:
        client = dst.blobs.get_blob_client(dst.container, "copies/" + name)
        answers.append(client.start_copy_from_url(sas_url(src, name)).get("copy_status"))
        clients.append(client)
    for client in clients:
        while True:
            props = client.get_blob_properties()
            status = props.copy.status if props.copy is not None else "success"
            if status != "pending":
                assert status == "success", status
                break
            time.sleep(0.05)
    return time.monotonic() - started, answers


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--mb", type=int, default=256, help="size of the one big blob")
    parser.add_argument("--parallel", type=int, default=16)
    parser.add_argument("--each-mb", type=int, default=16)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="bench-azurite-")
    emu = Emulator(Path(work) / "emulator", lro_delay=0.01)
    try:
        emu.start()
        os.environ.update(emu.env())
        _pair, ws = make_pair(emu, "azcopy")
        src, dst = ws["primary"], ws["secondary"]
        upload(src, "small.bin", 1024)
        seconds, answers = copy(src, dst, ["small.bin"])
        print("  1 KB blob: start_copy_from_url answered %s; done in %.3fs" % (answers[0], seconds))
        upload(src, "big.bin", args.mb * 1024 * 1024)
        seconds, answers = copy(src, dst, ["big.bin"])
        print("  one blob of %d MB: %.1fs, %.0f MB/s (answered %s)" % (args.mb, seconds, args.mb / seconds, answers[0]))
        names = ["part-%02d.bin" % i for i in range(args.parallel)]
        for name in names:
            upload(src, name, args.each_mb * 1024 * 1024)
        seconds, answers = copy(src, dst, names)
        total = args.parallel * args.each_mb
        print("  %d blobs of %d MB started at once: %.1fs, %.0f MB/s (answers: %s)"
              % (args.parallel, args.each_mb, seconds, total / seconds, sorted(set(answers))))
    finally:
        emu.stop()
        subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
