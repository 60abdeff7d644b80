#include "importer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_tree.h"
#include "tracker.h"
#include "util.h"

namespace natscpp::porttracker {
namespace {

using testing::TestTree;
using testing::WriteSampleGo;

TEST(Importer, InventoryFromATaggedGitTree) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  std::string commit;
  const auto files = ReadGoTree(tree.go_repo(), "v1.0.0", &commit);
  EXPECT_EQ(commit.size(), 40u);
  ASSERT_EQ(files.size(), 4u);  // README.md is not Go
  const auto inv = BuildInventory(files);
  std::vector<std::string> ids;
  for (const Item& i : inv) ids.push_back(i.id);
  EXPECT_EQ(ids, (std::vector<std::string>{
                     "server/other.go:unrelated",
                     "server/store.go:(*store).Len",
                     "server/store.go:(*store).Put",
                     "server/store.go:init",
                     "server/store.go:init#2",
                     "server/store.go:newStore",
                     "server/store_test.go:BenchmarkStorePut",
                     "server/store_test.go:TestStorePut",
                     "server/sub/sub.go:Split",
                 }));
  const auto put = std::find_if(inv.begin(), inv.end(), [](const Item& i) { return i.name == "(*store).Put"; });
  EXPECT_EQ(put->start_line, 7);
  EXPECT_EQ(put->end_line, 10);
  EXPECT_EQ(put->line_count, 4);
  const auto test = std::find_if(inv.begin(), inv.end(), [](const Item& i) { return i.name == "TestStorePut"; });
  EXPECT_EQ(test->kind, "test");
  EXPECT_EQ(test->covers, (std::vector<std::string>{"server/store.go:(*store).Len", "server/store.go:(*store).Put",
                                                    "server/store.go:newStore"}));
}

TEST(Importer, ReadsABareRepository) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  const auto bare = tree.root() / "bare.git";
  RunOrThrow({"git", "clone", "-q", "--bare", tree.go_repo().string(), bare.string()});
  const auto files = ReadGoTree(bare, "v1.0.0", nullptr);
  EXPECT_EQ(BuildInventory(files).size(), 9u);
}

TEST(Importer, UnknownTagOrRepositoryIsAClearError) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  EXPECT_THROW(ReadGoTree(tree.go_repo(), "v9.9.9", nullptr), TrackerError);
  EXPECT_THROW(ReadGoTree(tree.root() / "nowhere", "v1.0.0", nullptr), TrackerError);
  EXPECT_THROW(ReadGoTree(tree.go_repo(), "--upload-pack=x", nullptr), TrackerError);
}

TEST(Importer, ReimportingTheSameTagChangesNothing) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  tree.Import("v1.0.0");
  const std::string before = tree.Read("tracker/items.jsonl");
  Tracker t(tree.root(), {});
  std::string commit;
  auto inv = BuildInventory(ReadGoTree(tree.go_repo(), "v1.0.0", &commit));
  const auto r = MergeInventory(t, "v1.0.0", commit, std::move(inv), LoadBatchRules(tree.root()));
  EXPECT_TRUE(r.added.empty());
  EXPECT_TRUE(r.removed.empty());
  EXPECT_TRUE(r.moved.empty());
  EXPECT_FALSE(r.tag_changed);
  EXPECT_EQ(tree.Read("tracker/items.jsonl"), before);
}

TEST(Importer, AnotherTagReportsAddedRemovedAndMoved) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  tree.Import("v1.0.0");
  {
    Tracker t(tree.root(), {});
    t.Apply([](Tracker::Change& c) { c.FindItem("server/store.go:(*store).Put")->cpp_symbol = "Store::Put"; });
  }
  WriteSampleGo(tree, true);
  tree.TagGo("v1.1.0");
  Tracker t(tree.root(), {});
  std::string commit;
  auto inv = BuildInventory(ReadGoTree(tree.go_repo(), "v1.1.0", &commit));
  const auto r = MergeInventory(t, "v1.1.0", commit, std::move(inv), LoadBatchRules(tree.root()));
  EXPECT_TRUE(r.tag_changed);
  EXPECT_EQ(r.added, (std::vector<std::string>{"server/store.go:(*store).Reset"}));
  EXPECT_EQ(r.removed, (std::vector<std::string>{"server/store.go:init", "server/store.go:init#2"}));
  EXPECT_EQ(r.moved, (std::vector<std::string>{"server/store.go:(*store).Len", "server/store.go:(*store).Put"}));
  // The mapping survives the move.
  EXPECT_EQ(t.Find("server/store.go:(*store).Put")->cpp_symbol, "Store::Put");
  EXPECT_EQ(t.Find("server/store.go:(*store).Put")->start_line, 8);
  EXPECT_EQ(t.GetMeta().tag, "v1.1.0");
}

TEST(Importer, NewItemsGoToTheirRuleBatchWithTheDefaultReason) {
  TestTree tree;
  WriteSampleGo(tree);
  tree.TagGo("v1.0.0");
  tree.Import("v1.0.0");
  Tracker t(tree.root(), {});
  EXPECT_EQ(t.Find("server/sub/sub.go:Split")->batch, "B01");
  EXPECT_EQ(t.Find("server/store.go:newStore")->batch, "B02");
  EXPECT_EQ(t.Find("server/store.go:newStore")->reason, kDefaultReason);
  EXPECT_EQ(t.Find("server/other.go:unrelated")->batch, "B09");
  EXPECT_EQ(t.Find("server/other.go:unrelated")->reason, kOutsideReason);
  EXPECT_EQ(t.Find("server/other.go:unrelated")->status, kDeferred);
}

}  // namespace
}  // namespace natscpp::porttracker
