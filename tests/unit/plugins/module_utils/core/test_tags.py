"""core/tags.tag_errors: Azure's limits on tags, one line per problem naming the option."""

from ansible_collections.amlops.bcdr.plugins.module_utils.core.tags import MAX_STORAGE_NAME, tag_errors


def test_good_and_unmanaged_tags_pass():
    assert tag_errors(None) == []
    assert tag_errors({}) == []
    assert tag_errors({"amlops.bcdr.pair": "fraud", "cost-center": "ml", "n" * 512: "v" * 256, "count": 3}) == []


def test_each_limit_is_one_line_naming_the_option():
    assert tag_errors({"n" * 513: "v"}) == ["tags: tag name '%s...' is 513 characters long; Azure allows at most 512"
                                            % ("n" * 37)]
    assert tag_errors({"cost": "v" * 10000}) == ["tags.cost: the value is 10000 characters long; Azure allows at most 256"]
    for char in "<>%&\\?/":
        assert tag_errors({"a%sb" % char: "x"}, "replicas[0].tags") == [
            "replicas[0].tags: tag name 'a%sb' contains one of < > %% & \\ ? /, which Azure does not allow in tag names"
            % char]
    assert tag_errors({" ": "x"}) == ["tags: a tag name must not be empty"]
    assert tag_errors({"a": {"nested": 1}}) == ["tags.a: a tag value must be a string, got a dict"]
    assert tag_errors(["a"]) == ["tags: must be a dict of tag names and values, got list"]
    assert tag_errors(dict(("t%d" % i, "v") for i in range(51))) == ["tags: 51 tags; Azure allows at most 50 on a resource"]


def test_storage_accounts_allow_shorter_names():
    name = "n" * 200
    assert tag_errors({name: "v"}) == []
    assert tag_errors({name: "v"}, max_name=MAX_STORAGE_NAME) == [
        "tags: tag name '%s...' is 200 characters long; Azure allows at most 128 on a storage account" % ("n" * 37)]


def test_all_problems_reported_at_once():
    errors = tag_errors({"a/b": "v" * 300, "ok": "fine"})
    assert errors == ["tags: tag name 'a/b' contains one of < > % & \\ ? /, which Azure does not allow in tag names",
                      "tags.a/b: the value is 300 characters long; Azure allows at most 256"]
