"""The pure helpers of blob.copy_service behind the shared source listing of a container's versions:
a version's files read from a listing of a wider prefix are what its own listing gives."""
from ansible_collections.amlops.bcdr.plugins.module_utils.blob import copy_service as cs


def blob(name, size=1, md5="m"):
    return dict(name=name, size=size, md5=md5)


LISTING = [blob("models/m/1/MLmodel"), blob("models/m/1/env/conda.yaml"), blob("models/m/10/model.bin", 7),
           blob("models/m/2/model.bin", 5), blob("models/m/2.pkl", 3), blob("models/m/2.pkl.bak", 4)]


def test_version_prefix_keeps_a_folders_slash_and_a_files_name():
    assert cs.version_prefix("models/m/1/") == "models/m/1/"
    assert cs.version_prefix("/models/m/1/") == "models/m/1/"
    assert cs.version_prefix("models/m/2.pkl") == "models/m/2.pkl"
    assert cs.version_prefix("") == ""


def test_version_files_from_a_wider_listing_take_only_that_version():
    # folder 1 must not take folder 10's file (the '/' is part of the prefix)
    assert cs.version_files(LISTING, "models/m/1/") == ("folder", [
        dict(path="MLmodel", size=1, md5="m"), dict(path="env/conda.yaml", size=1, md5="m")])
    assert cs.version_files(LISTING, "models/m/10/") == ("folder", [dict(path="model.bin", size=7, md5="m")])


def test_version_files_a_single_file_and_a_path_without_slash_that_is_a_folder():
    assert cs.version_files(LISTING, "models/m/2.pkl") == ("file", [dict(path="2.pkl", size=3, md5="m")])
    assert cs.version_files(LISTING, "models/m/2") == ("folder", [dict(path="model.bin", size=5, md5="m")])


def test_version_files_of_a_folder_with_nothing_left_is_empty():
    assert cs.version_files(LISTING, "models/m/3/") == ("folder", [])


def test_shared_prefix_is_the_common_folder_never_a_partial_name():
    assert cs.shared_prefix(["models/m/1/", "models/m/2/", "models/m/10/"]) == "models/m/"
    assert cs.shared_prefix(["models/m/1/", "models/m/1/"]) == "models/m/1/"
    assert cs.shared_prefix(["models/m/2.pkl", "models/m/2.pkl.bak"]) == "models/m/"
    assert cs.shared_prefix(["models/model-1/", "models/model-2/"]) == "models/"
    # only the container's root in common: no shared listing
    assert cs.shared_prefix(["a/1/", "b/1/"]) == ""
    assert cs.shared_prefix(["a.bin", "b.bin"]) == ""
