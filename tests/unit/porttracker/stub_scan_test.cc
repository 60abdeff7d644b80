#include "stub_scan.h"

#include <gtest/gtest.h>

namespace natscpp::porttracker {
namespace {

const Definition* Find(const FileScan& s, const std::string& symbol) {
  for (const Definition& d : s.definitions) {
    if (d.symbol == symbol) return &d;
  }
  return nullptr;
}

TEST(StubScan, CleanPortIsNotFlagged) {
  const auto s = ScanCppSource("a.cc",
                               "// go: server/a.go:(*store).Put\n"
                               "Status Store::Put(std::span<const uint8_t> b) {\n"
                               "  n_ += b.size();\n"
                               "  return Status::Ok();\n"
                               "}\n",
                               {});
  ASSERT_EQ(s.definitions.size(), 1u);
  EXPECT_EQ(s.definitions[0].go_id, "server/a.go:(*store).Put");
  EXPECT_EQ(s.definitions[0].symbol, "Store::Put");
  EXPECT_TRUE(s.definitions[0].flags.empty());
}

TEST(StubScan, FlagsPlantedStubs) {
  const auto s = ScanCppSource("a.cc",
                               "// go: server/a.go:empty\n"
                               "void Empty() {}\n"
                               "// go: server/a.go:constant\n"
                               "bool Constant() { return false; }\n"
                               "// go: server/a.go:throws\n"
                               "int Throws(int x) {\n"
                               "  throw std::logic_error(\"not implemented\");\n"
                               "}\n"
                               "// go: server/a.go:todo\n"
                               "int Todo(int x) {\n"
                               "  // TODO: port the rest\n"
                               "  return x * 2;\n"
                               "}\n"
                               "// go: server/a.go:unexpected\n"
                               "std::expected<int, Error> Later() { return std::unexpected(Error(\"unimplemented\")); }\n",
                               {});
  ASSERT_EQ(s.definitions.size(), 5u);
  EXPECT_EQ(Find(s, "Empty")->flags, (std::vector<std::string>{"empty body"}));
  EXPECT_EQ(Find(s, "Constant")->flags, (std::vector<std::string>{"returns a constant placeholder"}));
  EXPECT_EQ(Find(s, "Throws")->flags, (std::vector<std::string>{"throws or returns \"not implemented\""}));
  EXPECT_EQ(Find(s, "Todo")->flags, (std::vector<std::string>{"line 11: TODO/FIXME/XXX in body"}));
  EXPECT_FALSE(Find(s, "Later")->flags.empty());
}

TEST(StubScan, IntentionalCommentAcceptsEmptyAndConstantBodies) {
  const auto s = ScanCppSource("a.cc",
                               "// go: server/a.go:(*leaf).isLeaf\n"
                               "// intentional: a leaf is always a leaf, as in Go\n"
                               "bool Leaf::IsLeaf() const { return true; }\n"
                               "// go: server/a.go:noop\n"
                               "void Noop() {\n"
                               "  // intentional: Go's body is empty too\n"
                               "}\n",
                               {});
  ASSERT_EQ(s.definitions.size(), 2u);
  EXPECT_TRUE(s.definitions[0].flags.empty());
  EXPECT_EQ(s.definitions[0].intentional, "a leaf is always a leaf, as in Go");
  EXPECT_TRUE(s.definitions[1].flags.empty());
}

TEST(StubScan, TestsWithoutAssertionsSkipsAndCommentedCode) {
  const auto s = ScanCppSource("t.cc",
                               "TEST(FileStore, Good) { EXPECT_EQ(1, 1); }\n"
                               "TEST(FileStore, NoAssert) { int x = 1; (void)x; }\n"
                               "TEST(FileStore, Skipped) { GTEST_SKIP() << \"later\"; EXPECT_TRUE(true); }\n"
                               "TEST_P(FileStore, Commented) {\n"
                               "  EXPECT_TRUE(true);\n"
                               "  // EXPECT_EQ(fs.State().msgs, 3u);\n"
                               "}\n"
                               "TEST(FileStore, Helper) { require_Equal(1, 1); }\n"
                               "// TEST(FileStore, Gone) { EXPECT_TRUE(true); }\n"
                               "TEST(FileStore, StringsDoNotAssert) { Log(\"EXPECT_TRUE(x)\"); }\n",
                               ScanOptions{{"require_Equal"}});
  EXPECT_TRUE(Find(s, "FileStore.Good")->flags.empty());
  EXPECT_EQ(Find(s, "FileStore.NoAssert")->flags, (std::vector<std::string>{"test has no assertion"}));
  EXPECT_TRUE(Find(s, "FileStore.Skipped")->skipped);
  EXPECT_EQ(Find(s, "FileStore.Commented")->flags, (std::vector<std::string>{"line 6: commented-out code in test"}));
  EXPECT_TRUE(Find(s, "FileStore.Helper")->flags.empty());
  EXPECT_EQ(Find(s, "FileStore.StringsDoNotAssert")->flags, (std::vector<std::string>{"test has no assertion"}));
  ASSERT_EQ(s.loose.size(), 1u);
  EXPECT_EQ(s.loose[0].first, 9);
  EXPECT_EQ(s.loose[0].second, "commented-out test");
}

TEST(StubScan, ConstructorsWithInitializersAndRawStrings) {
  const auto s = ScanCppSource("a.cc",
                               "// go: server/a.go:newStore\n"
                               "Store::Store(Config c) : cfg_(std::move(c)), n_{0} {\n"
                               "  const char* sql = R\"x(CREATE TABLE t { } ; )x\";\n"
                               "  Open(sql);\n"
                               "}\n"
                               "// go: server/a.go:decl\n"
                               "int Declared();\n",
                               {});
  ASSERT_EQ(s.definitions.size(), 1u);
  EXPECT_EQ(s.definitions[0].symbol, "Store::Store");
  EXPECT_EQ(s.definitions[0].end_line, 5);
  EXPECT_TRUE(s.definitions[0].flags.empty());
  ASSERT_EQ(s.loose.size(), 1u);
  EXPECT_NE(s.loose[0].second.find("declaration"), std::string::npos);
}

TEST(StubScan, TemplateMemberSymbolsDropTheirArguments) {
  const auto s = ScanCppSource("a.h",
                               "// go: server/e.go:(*Pointer).Set\n"
                               "template <typename T>\n"
                               "void Pointer<T>::Set(std::shared_ptr<T> p) {\n"
                               "  strong_ = std::move(p);\n"
                               "}\n"
                               "// go: server/e.go:(*Map).Get\n"
                               "template <typename K, typename V>\n"
                               "V* Map<K, std::vector<V>>::Get(const K& k) {\n"
                               "  return Find(k);\n"
                               "}\n",
                               {});
  ASSERT_EQ(s.definitions.size(), 2u);
  EXPECT_EQ(s.definitions[0].symbol, "Pointer::Set");
  EXPECT_EQ(s.definitions[1].symbol, "Map::Get");
}

TEST(StubScan, LocalHelpersConditionalSkipsAndInitializers) {
  const auto s = ScanCppSource("t.cc",
                               "void ExpectSame(int a, int b) { EXPECT_EQ(a, b); }\n"
                               "TEST(X, ViaHelper) { ExpectSame(1, 1); }\n"
                               "TEST(X, ViaLambda) {\n"
                               "  auto check = [&](int v) { ASSERT_GT(v, 0); };\n"
                               "  check(3);\n"
                               "}\n"
                               "TEST(X, EnvSkip) {\n"
                               "  if (!HaveShared()) GTEST_SKIP() << \"absent\";\n"
                               "  EXPECT_TRUE(true);\n"
                               "}\n"
                               "TEST(X, Parked) { GTEST_SKIP(); EXPECT_TRUE(true); }\n"
                               "TEST(X, BracedEnvSkip) {\n"
                               "  if (sets.empty()) {\n"
                               "    GTEST_SKIP() << \"no sets\";\n"
                               "  }\n"
                               "  EXPECT_TRUE(true);\n"
                               "}\n"
                               "TEST(X, BlockParked) { { GTEST_SKIP(); } EXPECT_TRUE(true); }\n"
                               "TEST(X, Prose) {\n"
                               "  // Go adds the same leaf again; here it does not.\n"
                               "  EXPECT_TRUE(true);\n"
                               "}\n"
                               "// go: server/a.go:newThing\n"
                               "Thing::Thing(int n) : n_(n) {}\n",
                               {});
  EXPECT_TRUE(Find(s, "X.ViaHelper")->flags.empty());
  EXPECT_TRUE(Find(s, "X.ViaLambda")->flags.empty());
  EXPECT_FALSE(Find(s, "X.EnvSkip")->skipped);
  EXPECT_TRUE(Find(s, "X.Parked")->skipped);
  EXPECT_FALSE(Find(s, "X.BracedEnvSkip")->skipped);
  EXPECT_TRUE(Find(s, "X.BlockParked")->skipped);
  EXPECT_TRUE(Find(s, "X.Prose")->flags.empty());
  EXPECT_TRUE(Find(s, "Thing::Thing")->flags.empty());
}

TEST(StubScan, FindsAMappedSymbolWithoutAMarker) {
  const std::string src =
      "namespace ns {\n"
      "int Store::Len() const;\n"
      "int Store::Len() const { return n_; }\n"
      "void Store::Reset() {}\n"
      "}\n";
  const auto len = FindSymbolDefinition("a.cc", src, "ns::Store::Len", {});
  ASSERT_TRUE(len.has_value());
  EXPECT_EQ(len->line, 3);
  EXPECT_TRUE(len->flags.empty());
  const auto reset = FindSymbolDefinition("a.cc", src, "ns::Store::Reset", {});
  ASSERT_TRUE(reset.has_value());
  EXPECT_EQ(reset->flags, (std::vector<std::string>{"empty body"}));
  EXPECT_FALSE(FindSymbolDefinition("a.cc", src, "ns::Store::Missing", {}).has_value());
}

}  // namespace
}  // namespace natscpp::porttracker
