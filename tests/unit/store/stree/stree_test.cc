// Ports of server/stree/stree_test.go.
#include "stree/stree.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "gsl/gsl.h"

namespace natscpp::store::stree {

// Reaches the internals the Go tests call directly (st.delete, st.iter).
struct SubjectTreeTestAccess {
  template <typename T>
  static std::pair<std::optional<T>, bool> del(SubjectTree<T>& t, std::unique_ptr<Node>* np,
                                               std::string_view subject, std::size_t si) {
    return t.del(np, subject, si);
  }
  template <typename T, typename F>
  static bool iter(SubjectTree<T>& t, Node* n, bool ordered, F cb) {
    std::string pre;
    return t.iter(n, pre, 0, ordered, cb);
  }
};

namespace {

using IntTree = SubjectTree<int>;

// The Go tests' match helper: how many entries a filter reaches.
int CountMatches(IntTree& st, std::string_view filter) {
  int matches = 0;
  st.Match(filter, [&](std::string_view, int*) { ++matches; });
  return matches;
}
#define EXPECT_MATCH(st, filter, expected) \
  EXPECT_EQ(CountMatches((st), (filter)), (expected)) << "filter " << (filter)

std::string Letter(char base, int i) { return std::string(1, static_cast<char>(base + i)); }

TEST(SubjectTree, TestSubjectTreeBasics) {
  auto st = NewSubjectTree<int>();
  EXPECT_EQ(st->Size(), 0u);
  // Single leaf.
  auto [old, updated] = st->Insert("foo.bar.baz", 22);
  EXPECT_FALSE(old.has_value());
  EXPECT_FALSE(updated);
  EXPECT_EQ(st->Size(), 1u);
  // Find does not treat wildcards specially.
  EXPECT_FALSE(st->Find("foo.bar.*").second);
  auto [v, found] = st->Find("foo.bar.baz");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  // Update the single leaf.
  std::tie(old, updated) = st->Insert("foo.bar.baz", 33);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(*old, 22);
  EXPECT_TRUE(updated);
  EXPECT_EQ(st->Size(), 1u);
  // Split the tree.
  std::tie(old, updated) = st->Insert("foo.bar", 22);
  EXPECT_FALSE(old.has_value());
  EXPECT_FALSE(updated);
  EXPECT_EQ(st->Size(), 2u);
  // Now a node4 with two leaves.
  std::tie(v, found) = st->Find("foo.bar");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  std::tie(v, found) = st->Find("foo.bar.baz");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 33);
}

TEST(SubjectTree, TestSubjectTreeNodeGrow) {
  auto st = NewSubjectTree<int>();
  auto insertNew = [&](const std::string& subj) {
    auto [old, updated] = st->Insert(subj, 22);
    EXPECT_FALSE(old.has_value()) << subj;
    EXPECT_FALSE(updated) << subj;
  };
  for (int i = 0; i < 4; ++i) insertNew("foo.bar." + Letter('A', i));
  // A full node4.
  EXPECT_NE(dynamic_cast<Node4*>(st->root()), nullptr);
  // This one makes it grow.
  insertNew("foo.bar.E");
  EXPECT_NE(dynamic_cast<Node10*>(st->root()), nullptr);
  for (int i = 5; i < 10; ++i) insertNew("foo.bar." + Letter('A', i));
  insertNew("foo.bar.K");
  EXPECT_NE(dynamic_cast<Node16*>(st->root()), nullptr);
  for (int i = 11; i < 16; ++i) insertNew("foo.bar." + Letter('A', i));
  insertNew("foo.bar.Q");
  EXPECT_NE(dynamic_cast<Node48*>(st->root()), nullptr);
  // Fill the node48.
  for (int i = 17; i < 48; ++i) insertNew("foo.bar." + Letter('A', i));
  insertNew("foo.bar." + Letter('A', 49));
  EXPECT_NE(dynamic_cast<Node256*>(st->root()), nullptr);
}

TEST(SubjectTree, TestSubjectTreeNodePrefixMismatch) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 11);
  st->Insert("foo.bar.B", 22);
  st->Insert("foo.bar.C", 33);
  // The split below replaces the root.
  Node* orig = st->root();
  st->Insert("foo.foo.A", 44);
  EXPECT_NE(orig, st->root());
  auto [v, found] = st->Find("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 11);
  std::tie(v, found) = st->Find("foo.bar.B");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  std::tie(v, found) = st->Find("foo.bar.C");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 33);
  std::tie(v, found) = st->Find("foo.foo.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 44);
}

TEST(SubjectTree, TestSubjectTreeNodeDelete) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 22);
  auto [v, found] = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_EQ(st->root(), nullptr);
  std::tie(v, found) = st->Delete("foo.bar.A");
  EXPECT_FALSE(found);
  EXPECT_FALSE(v.has_value());
  auto [fv, ffound] = st->Find("foo.foo.A");
  EXPECT_FALSE(ffound);
  EXPECT_EQ(fv, nullptr);
  // Up to a node4.
  st->Insert("foo.bar.A", 11);
  st->Insert("foo.bar.B", 22);
  st->Insert("foo.bar.C", 33);
  // Deleting shrinks back to a leaf.
  std::tie(v, found) = st->Delete("foo.bar.C");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 33);
  std::tie(v, found) = st->Delete("foo.bar.B");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  ASSERT_NE(st->root(), nullptr);
  EXPECT_TRUE(st->root()->isLeaf());
  std::tie(v, found) = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 11);
  EXPECT_EQ(st->root(), nullptr);
  // Up to a node10 and back down.
  for (int i = 0; i < 5; ++i) st->Insert("foo.bar." + Letter('A', i), 22);
  EXPECT_NE(dynamic_cast<Node10*>(st->root()), nullptr);
  std::tie(v, found) = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_NE(dynamic_cast<Node4*>(st->root()), nullptr);
  // Up to a node16.
  for (int i = 0; i < 11; ++i) st->Insert("foo.bar." + Letter('A', i), 22);
  EXPECT_NE(dynamic_cast<Node16*>(st->root()), nullptr);
  std::tie(v, found) = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_NE(dynamic_cast<Node10*>(st->root()), nullptr);
  std::tie(fv, ffound) = st->Find("foo.bar.B");
  ASSERT_TRUE(ffound);
  EXPECT_EQ(*fv, 22);
  // Up to a node48.
  st = NewSubjectTree<int>();
  for (int i = 0; i < 17; ++i) st->Insert("foo.bar." + Letter('A', i), 22);
  EXPECT_NE(dynamic_cast<Node48*>(st->root()), nullptr);
  std::tie(v, found) = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_NE(dynamic_cast<Node16*>(st->root()), nullptr);
  std::tie(fv, ffound) = st->Find("foo.bar.B");
  ASSERT_TRUE(ffound);
  EXPECT_EQ(*fv, 22);
  // Up to a node256.
  st = NewSubjectTree<int>();
  for (int i = 0; i < 49; ++i) st->Insert("foo.bar." + Letter('A', i), 22);
  EXPECT_NE(dynamic_cast<Node256*>(st->root()), nullptr);
  std::tie(v, found) = st->Delete("foo.bar.A");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_NE(dynamic_cast<Node48*>(st->root()), nullptr);
  std::tie(fv, ffound) = st->Find("foo.bar.B");
  ASSERT_TRUE(ffound);
  EXPECT_EQ(*fv, 22);
}

TEST(SubjectTree, TestSubjectTreeNodesAndPaths) {
  auto st = NewSubjectTree<int>();
  auto check = [&](std::string_view subj) {
    auto [v, found] = st->Find(subj);
    ASSERT_TRUE(found) << subj;
    EXPECT_EQ(*v, 22) << subj;
  };
  st->Insert("foo.bar.A", 22);
  st->Insert("foo.bar.B", 22);
  st->Insert("foo.bar.C", 22);
  st->Insert("foo.bar", 22);
  check("foo.bar.A");
  check("foo.bar.B");
  check("foo.bar.C");
  check("foo.bar");
  // Shrinks and prunes; the new top node4 must get the right prefix.
  st->Delete("foo.bar");
  check("foo.bar.A");
  check("foo.bar.B");
  check("foo.bar.C");
}

void CheckNode(Node* n, std::string_view kind, std::string_view pors, std::uint16_t numChildren) {
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->kind(), kind);
  EXPECT_EQ(pors, n->path());
  EXPECT_EQ(numChildren, n->numChildren());
}

void CheckSlot(std::unique_ptr<Node>* an, std::string_view kind, std::string_view pors,
               std::uint16_t numChildren) {
  ASSERT_NE(an, nullptr);
  CheckNode(an->get(), kind, pors, numChildren);
}

TEST(SubjectTree, TestSubjectTreeConstruction) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 2);
  st->Insert("foo.bar.C", 3);
  st->Insert("foo.baz.A", 11);
  st->Insert("foo.baz.B", 22);
  st->Insert("foo.baz.C", 33);
  st->Insert("foo.bar", 42);

  CheckNode(st->root(), "NODE4", "foo.ba", 2);
  auto* nn = st->root()->findChild('r');
  CheckSlot(nn, "NODE4", "r", 2);
  CheckSlot((*nn)->findChild(kNoPivot), "LEAF", "", 0);
  auto* rnn = (*nn)->findChild('.');
  CheckSlot(rnn, "NODE4", ".", 3);
  CheckSlot((*rnn)->findChild('A'), "LEAF", "A", 0);
  CheckSlot((*rnn)->findChild('B'), "LEAF", "B", 0);
  CheckSlot((*rnn)->findChild('C'), "LEAF", "C", 0);
  auto* znn = st->root()->findChild('z');
  CheckSlot(znn, "NODE4", "z.", 3);
  CheckSlot((*znn)->findChild('A'), "LEAF", "A", 0);
  CheckSlot((*znn)->findChild('B'), "LEAF", "B", 0);
  CheckSlot((*znn)->findChild('C'), "LEAF", "C", 0);

  // Deleting "foo.bar" must put the tree back together.
  auto [v, found] = st->Delete("foo.bar");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 42);

  CheckNode(st->root(), "NODE4", "foo.ba", 2);
  nn = st->root()->findChild('r');
  CheckSlot(nn, "NODE4", "r.", 3);
  CheckSlot((*nn)->findChild('A'), "LEAF", "A", 0);
  CheckSlot((*nn)->findChild('B'), "LEAF", "B", 0);
  CheckSlot((*nn)->findChild('C'), "LEAF", "C", 0);
  znn = st->root()->findChild('z');
  CheckSlot(znn, "NODE4", "z.", 3);
  CheckSlot((*znn)->findChild('A'), "LEAF", "A", 0);
  CheckSlot((*znn)->findChild('B'), "LEAF", "B", 0);
  CheckSlot((*znn)->findChild('C'), "LEAF", "C", 0);
}

TEST(SubjectTree, TestSubjectTreeMatchLeafOnly) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.baz.A", 1);
  // Every placement of "*".
  EXPECT_MATCH(*st, "foo.bar.*.A", 1);
  EXPECT_MATCH(*st, "foo.*.baz.A", 1);
  EXPECT_MATCH(*st, "foo.*.*.A", 1);
  EXPECT_MATCH(*st, "foo.*.*.*", 1);
  EXPECT_MATCH(*st, "*.*.*.*", 1);
  // ">".
  EXPECT_MATCH(*st, ">", 1);
  EXPECT_MATCH(*st, "foo.>", 1);
  EXPECT_MATCH(*st, "foo.*.>", 1);
  EXPECT_MATCH(*st, "foo.bar.>", 1);
  EXPECT_MATCH(*st, "foo.bar.*.>", 1);
  // Partials do not match leaves.
  EXPECT_MATCH(*st, "foo.bar.baz", 0);
}

TEST(SubjectTree, TestSubjectTreeMatchNodes) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 2);
  st->Insert("foo.bar.C", 3);
  st->Insert("foo.baz.A", 11);
  st->Insert("foo.baz.B", 22);
  st->Insert("foo.baz.C", 33);

  EXPECT_MATCH(*st, "foo.bar.A", 1);
  EXPECT_MATCH(*st, "foo.baz.A", 1);
  EXPECT_MATCH(*st, "foo.bar", 0);
  EXPECT_MATCH(*st, "foo.*.A", 2);
  EXPECT_MATCH(*st, "foo.bar.*", 3);
  EXPECT_MATCH(*st, "foo.baz.*", 3);
  EXPECT_MATCH(*st, ">", 6);
  EXPECT_MATCH(*st, "foo.>", 6);
  EXPECT_MATCH(*st, "foo.bar.>", 3);
  EXPECT_MATCH(*st, "foo.baz.>", 3);
  // No false positives on prefixes.
  EXPECT_MATCH(*st, "foo.ba", 0);

  // A more complex shape.
  st->Insert("foo.bar", 42);

  EXPECT_MATCH(*st, "foo.bar.A", 1);
  EXPECT_MATCH(*st, "foo.baz.A", 1);
  EXPECT_MATCH(*st, "foo.bar", 1);
  EXPECT_MATCH(*st, "foo.*.A", 2);
  EXPECT_MATCH(*st, "foo.bar.*", 3);
  EXPECT_MATCH(*st, "foo.baz.*", 3);
  EXPECT_MATCH(*st, ">", 7);
  EXPECT_MATCH(*st, "foo.>", 7);
  EXPECT_MATCH(*st, "foo.bar.>", 3);
  EXPECT_MATCH(*st, "foo.baz.>", 3);
}

template <typename T>
std::pair<int, bool> MatchUntilCount(SubjectTree<T>& st, std::string_view filter, int stopAfter) {
  int n = 0;
  const bool completed = st.MatchUntil(filter, [&](std::string_view, T*) {
    ++n;
    return n < stopAfter;
  });
  return {n, completed};
}

TEST(SubjectTree, TestSubjectTreeMatchUntil) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 2);
  st->Insert("foo.bar.C", 3);
  st->Insert("foo.baz.A", 11);
  st->Insert("foo.baz.B", 22);
  st->Insert("foo.baz.C", 33);
  st->Insert("foo.bar", 42);

  // An early stop ends the walk.
  auto [count, completed] = MatchUntilCount(*st, "foo.>", 3);
  EXPECT_EQ(count, 3);
  EXPECT_FALSE(completed);

  std::tie(count, completed) = MatchUntilCount(*st, "foo.bar", 3);
  EXPECT_EQ(count, 1);
  EXPECT_TRUE(completed);

  std::tie(count, completed) = MatchUntilCount(*st, "foo.baz.*", 4);
  EXPECT_EQ(count, 3);
  EXPECT_TRUE(completed);
}

TEST(SubjectTree, TestSubjectTreeNoPrefix) {
  auto st = NewSubjectTree<int>();
  for (int i = 0; i < 26; ++i) {
    auto [old, updated] = st->Insert(Letter('A', i), 22);
    EXPECT_FALSE(old.has_value());
    EXPECT_FALSE(updated);
  }
  auto* n = dynamic_cast<Node48*>(st->root());
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->numChildren(), 26);
  auto [v, found] = st->Delete("B");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_EQ(n->numChildren(), 25);
  std::tie(v, found) = st->Delete("Z");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 22);
  EXPECT_EQ(n->numChildren(), 24);
}

TEST(SubjectTree, TestSubjectTreePartialTerminalWildcardBugMatch) {
  auto st = NewSubjectTree<int>();
  st->Insert("STATE.GLOBAL.CELL1.7PDSGAALXNN000010.PROPERTY-A", 5);
  st->Insert("STATE.GLOBAL.CELL1.7PDSGAALXNN000010.PROPERTY-B", 1);
  st->Insert("STATE.GLOBAL.CELL1.7PDSGAALXNN000010.PROPERTY-C", 2);
  EXPECT_MATCH(*st, "STATE.GLOBAL.CELL1.7PDSGAALXNN000010.*", 3);
}

TEST(SubjectTree, TestSubjectTreeMatchSubjectParam) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 2);
  st->Insert("foo.bar.C", 3);
  st->Insert("foo.baz.A", 11);
  st->Insert("foo.baz.B", 22);
  st->Insert("foo.baz.C", 33);
  st->Insert("foo.bar", 42);

  const std::map<std::string, int, std::less<>> checkValMap = {
      {"foo.bar.A", 1},  {"foo.bar.B", 2},  {"foo.bar.C", 3}, {"foo.baz.A", 11},
      {"foo.baz.B", 22}, {"foo.baz.C", 33}, {"foo.bar", 42},
  };
  // The callback gets the right subject for each value.
  st->Match(">", [&](std::string_view subject, int* v) {
    auto it = checkValMap.find(subject);
    if (it == checkValMap.end()) {
      ADD_FAILURE() << "Unexpected subject parameter: " << subject;
    } else {
      EXPECT_EQ(it->second, *v) << subject;
    }
  });
}

std::vector<std::string> SplitTokens(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '.') {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

TEST(SubjectTree, TestSubjectTreeMatchRandomDoublePWC) {
  auto st = NewSubjectTree<int>();
  std::mt19937_64 rng(20240601);
  for (int i = 1; i <= 10'000; ++i) {
    const auto mid = rng() % 20 + 1;
    st->Insert("foo." + std::to_string(mid) + "." + std::to_string(i), 42);
  }
  EXPECT_MATCH(*st, "foo.*.*", 10'000);

  // "*" with a short interior token.
  int seen = 0;
  int verified = 0;
  st->Match("*.2.*", [&](std::string_view, int*) { ++seen; });
  // Check by walking everything.
  st->IterOrdered([&](std::string_view subject, int*) {
    auto tokens = SplitTokens(subject);
    EXPECT_EQ(tokens.size(), 3u);
    if (tokens.size() == 3 && tokens[1] == "2") ++verified;
    return true;
  });
  EXPECT_EQ(seen, verified);

  seen = 0;
  verified = 0;
  st->Match("*.*.222", [&](std::string_view, int*) { ++seen; });
  st->IterOrdered([&](std::string_view subject, int*) {
    auto tokens = SplitTokens(subject);
    EXPECT_EQ(tokens.size(), 3u);
    if (tokens.size() == 3 && tokens[2] == "222") ++verified;
    return true;
  });
  EXPECT_EQ(seen, verified);
}

// The tree the iteration tests share.
std::unique_ptr<IntTree> SevenEntryTree() {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 2);
  st->Insert("foo.bar.C", 3);
  st->Insert("foo.baz.A", 11);
  st->Insert("foo.baz.B", 22);
  st->Insert("foo.baz.C", 33);
  st->Insert("foo.bar", 42);
  return st;
}

const std::map<std::string, int, std::less<>>& SevenEntryValues() {
  static const std::map<std::string, int, std::less<>> m = {
      {"foo.bar.A", 1},  {"foo.bar.B", 2},  {"foo.bar.C", 3}, {"foo.baz.A", 11},
      {"foo.baz.B", 22}, {"foo.baz.C", 33}, {"foo.bar", 42},
  };
  return m;
}

TEST(SubjectTree, TestSubjectTreeIterOrdered) {
  auto st = SevenEntryTree();
  const auto& checkValMap = SevenEntryValues();
  const std::vector<std::string> checkOrder = {
      "foo.bar", "foo.bar.A", "foo.bar.B", "foo.bar.C", "foo.baz.A", "foo.baz.B", "foo.baz.C",
  };
  std::size_t received = 0;
  st->IterOrdered([&](std::string_view subject, int* v) {
    if (received >= checkOrder.size()) {
      ADD_FAILURE() << "too many entries, got " << subject;
      return false;
    }
    EXPECT_EQ(checkOrder[received], subject) << "item " << received;
    ++received;
    EXPECT_NE(v, nullptr);
    auto it = checkValMap.find(subject);
    EXPECT_TRUE(it != checkValMap.end() && it->second == *v) << subject;
    return true;
  });
  EXPECT_EQ(received, checkOrder.size());

  // Stopping early.
  received = 0;
  st->IterOrdered([&](std::string_view, int*) {
    ++received;
    return received != 4;
  });
  EXPECT_EQ(received, 4u);
}

TEST(SubjectTree, TestSubjectTreeIterFast) {
  auto st = SevenEntryTree();
  const auto& checkValMap = SevenEntryValues();
  std::size_t received = 0;
  st->IterFast([&](std::string_view subject, int* v) {
    ++received;
    EXPECT_NE(v, nullptr);
    auto it = checkValMap.find(subject);
    EXPECT_TRUE(it != checkValMap.end() && it->second == *v) << subject;
    return true;
  });
  EXPECT_EQ(received, checkValMap.size());

  received = 0;
  st->IterFast([&](std::string_view, int*) {
    ++received;
    return received != 4;
  });
  EXPECT_EQ(received, 4u);
}

TEST(SubjectTree, TestSubjectTreeInsertSamePivotBug) {
  const std::vector<std::string> testSubjects = {
      "0d00.2abbb82c1d.6e16.fa7f85470e.3e46",
      "534b12.3486c17249.4dde0666",
      "6f26aabd.920ee3.d4d3.5ffc69f6",
      "8850.ade3b74c31.aa533f77.9f59.a4bd8415.b3ed7b4111",
      "5a75047dcb.5548e845b6.76024a34.14d5b3.80c426.51db871c3a",
      "825fa8acfc.5331.00caf8bbbd.107c4b.c291.126d1d010e",
  };
  auto st = NewSubjectTree<int>();
  for (const auto& subj : testSubjects) {
    auto [old, updated] = st->Insert(subj, 22);
    EXPECT_FALSE(old.has_value());
    EXPECT_FALSE(updated);
    EXPECT_TRUE(st->Find(subj).second) << "Could not find subject " << subj;
  }
}

TEST(SubjectTree, TestSubjectTreeMatchTsepSecondThenPartialPartBug) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.xxxxx.foo1234.zz", 22);
  st->Insert("foo.yyy.foo123.zz", 22);
  st->Insert("foo.yyybar789.zz", 22);
  st->Insert("foo.yyy.foo12345.zz", 22);
  st->Insert("foo.yyy.foo12345.yy", 22);
  st->Insert("foo.yyy.foo123456789.zz", 22);
  EXPECT_MATCH(*st, "foo.*.foo123456789.*", 1);
  EXPECT_MATCH(*st, "foo.*.*.zzz.foo.>", 0);
}

TEST(SubjectTree, TestSubjectTreeMatchMultipleWildcardBasic) {
  auto st = NewSubjectTree<int>();
  st->Insert("A.B.C.D.0.G.H.I.0", 22);
  st->Insert("A.B.C.D.1.G.H.I.0", 22);
  EXPECT_MATCH(*st, "A.B.*.D.1.*.*.I.0", 1);
}

TEST(SubjectTree, TestSubjectTreeMatchInvalidWildcard) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.123", 22);
  st->Insert("one.two.three.four.five", 22);
  st->Insert("'*.123", 22);
  st->Insert("bar", 22);
  EXPECT_MATCH(*st, "invalid.>", 0);
  EXPECT_MATCH(*st, "foo.>.bar", 0);
  EXPECT_MATCH(*st, ">", 4);
  EXPECT_MATCH(*st, "'*.*", 1);
  EXPECT_MATCH(*st, "'*.*.*'", 0);
  // None of these match.
  EXPECT_MATCH(*st, "`>`", 0);
  EXPECT_MATCH(*st, "\">\"", 0);
  EXPECT_MATCH(*st, "'>'", 0);
  EXPECT_MATCH(*st, "'*.>'", 0);
  EXPECT_MATCH(*st, "'*.>.", 0);
  EXPECT_MATCH(*st, "`invalid.>`", 0);
  EXPECT_MATCH(*st, "'*.*'", 0);
}

TEST(SubjectTree, TestSubjectTreeRandomTrackEntries) {
  auto st = NewSubjectTree<int>();
  std::set<std::string> smap;
  std::mt19937_64 rng(7);
  static constexpr char kHex[] = "0123456789abcdef";

  for (int i = 0; i < 1000; ++i) {
    std::string subj;
    // 1-6 tokens of 2-5 random bytes, hex encoded.
    const int numTokens = static_cast<int>(rng() % 6) + 1;
    for (int t = 0; t < numTokens; ++t) {
      const int tlen = static_cast<int>(rng() % 4) + 2;
      for (int k = 0; k < tlen; ++k) {
        const auto byte = static_cast<std::uint8_t>(rng());
        subj += kHex[byte >> 4];
        subj += kHex[byte & 0x0F];
      }
      if (t != numTokens - 1) subj += '.';
    }
    // Skip duplicates so the size check holds.
    if (smap.contains(subj)) continue;
    smap.insert(subj);
    auto [old, updated] = st->Insert(subj, 22);
    EXPECT_FALSE(old.has_value());
    EXPECT_FALSE(updated);
    EXPECT_EQ(st->Size(), smap.size());
    // Everything added so far is findable.
    for (const auto& s : smap) {
      ASSERT_TRUE(st->Find(s).second) << "Could not find subject " << s;
    }
  }
}

// Tokens longer than a node prefix used to be (24 bytes).
TEST(SubjectTree, TestSubjectTreeLongTokens) {
  auto st = NewSubjectTree<int>();
  st->Insert("a1.aaaaaaaaaaaaaaaaaaaaaa0", 1);
  st->Insert("a2.0", 2);
  st->Insert("a1.aaaaaaaaaaaaaaaaaaaaaa1", 3);
  st->Insert("a2.1", 4);
  // Purging a2.> showed the bug.
  st->Delete("a2.0");
  st->Delete("a2.1");
  EXPECT_EQ(st->Size(), 2u);
  auto [v, found] = st->Find("a1.aaaaaaaaaaaaaaaaaaaaaa0");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 1);
  std::tie(v, found) = st->Find("a1.aaaaaaaaaaaaaaaaaaaaaa1");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 3);
}

TEST(SubjectTree, TestSubjectTreeNode48) {
  Node48 n;
  auto la = std::make_unique<Leaf<int>>("", 0);
  auto lb = std::make_unique<Leaf<int>>("", 0);
  auto lc = std::make_unique<Leaf<int>>("", 0);
  Leaf<int>* a = la.get();
  Leaf<int>* b = lb.get();
  Leaf<int>* c = lc.get();

  n.addChild('A', std::move(la));
  EXPECT_EQ(n.key['A'], 1);
  ASSERT_NE(n.child[0], nullptr);
  EXPECT_EQ(n.child[0].get(), a);
  EXPECT_EQ(n.children().size(), 1u);

  auto* child = n.findChild('A');
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->get(), a);

  n.addChild('B', std::move(lb));
  EXPECT_EQ(n.key['B'], 2);
  ASSERT_NE(n.child[1], nullptr);
  EXPECT_EQ(n.child[1].get(), b);
  EXPECT_EQ(n.children().size(), 2u);

  child = n.findChild('B');
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->get(), b);

  n.addChild('C', std::move(lc));
  EXPECT_EQ(n.key['C'], 3);
  ASSERT_NE(n.child[2], nullptr);
  EXPECT_EQ(n.child[2].get(), c);
  EXPECT_EQ(n.children().size(), 3u);

  child = n.findChild('C');
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->get(), c);

  n.deleteChild('A');
  EXPECT_EQ(n.children().size(), 2u);
  EXPECT_EQ(n.key['A'], 0);  // deleted
  EXPECT_EQ(n.key['B'], 2);  // untouched
  EXPECT_EQ(n.key['C'], 1);  // moved to where A was

  EXPECT_EQ(n.findChild('A'), nullptr);
  ASSERT_NE(n.child[0], nullptr);
  EXPECT_EQ(n.child[0].get(), c);

  child = n.findChild('B');
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->get(), b);
  ASSERT_NE(n.child[1], nullptr);
  EXPECT_EQ(n.child[1].get(), b);

  child = n.findChild('C');
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->get(), c);
  EXPECT_EQ(n.child[2], nullptr);

  bool gotB = false;
  bool gotC = false;
  int iterations = 0;
  n.iter([&](Node* cn) {
    ++iterations;
    if (cn == b) gotB = true;
    if (cn == c) gotC = true;
    return true;
  });
  EXPECT_EQ(iterations, 2);
  EXPECT_TRUE(gotB);
  EXPECT_TRUE(gotC);

  // Off-by-one on key 255 (nats-server PR 5826). Go adds the same leaf again;
  // a child has one owner here, so a second leaf takes that key.
  n.addChild(255, std::make_unique<Leaf<int>>("", 0));
  EXPECT_EQ(n.key[255], 3);
  // grow() and shrink() each hand the children over to the new node, so the
  // shrink is checked on a second node48 brought to the same state.
  Node48 n2;
  n2.addChild('A', std::make_unique<Leaf<int>>("", 0));
  n2.addChild('B', std::make_unique<Leaf<int>>("", 0));
  n2.addChild('C', std::make_unique<Leaf<int>>("", 0));
  n2.deleteChild('A');
  n2.addChild(255, std::make_unique<Leaf<int>>("", 0));
  EXPECT_EQ(n2.key[255], 3);

  auto grown = n.grow();
  auto* g256 = dynamic_cast<Node256*>(grown.get());
  ASSERT_NE(g256, nullptr);
  auto* g255 = g256->findChild(255);
  ASSERT_NE(g255, nullptr);
  EXPECT_NE(g255->get(), nullptr);
  auto shrunk = n2.shrink();
  auto* s16 = dynamic_cast<Node16*>(shrunk.get());
  ASSERT_NE(s16, nullptr);
  auto* s255 = s16->findChild(255);
  ASSERT_NE(s255, nullptr);
  EXPECT_NE(s255->get(), nullptr);
}

TEST(SubjectTree, TestSubjectTreeMatchNoCallbackDupe) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.A", 1);
  st->Insert("foo.bar.B", 1);
  st->Insert("foo.bar.C", 1);
  st->Insert("foo.bar.>", 1);

  for (std::string_view f : {">", "foo.>", "foo.bar.>"}) {
    std::set<std::string> seen;
    st->Match(f, [&](std::string_view subj, int*) {
      EXPECT_FALSE(seen.contains(std::string(subj)))
          << "Match callback was called twice for " << subj << " with filter " << f;
      seen.emplace(subj);
    });
  }
}

// The bug needed a suffix with repeated trailing NULs and a second, longer
// subject with more of them.
TEST(SubjectTree, TestSubjectTreeInsertLongerLeafSuffixWithTrailingNulls) {
  auto st = NewSubjectTree<int>();
  std::string subj = "foo.bar.baz_";
  subj.append(10, '\0');
  st->Insert(subj, 1);
  // The Go loop appends to subj each time, so subj2 ends up one NUL longer.
  std::string subj2 = subj;
  for (int i = 0; i < 10; ++i) subj2 = subj + '\0';
  st->Insert(subj2, 2);

  auto [v, found] = st->Find(subj);
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 1);
  std::tie(v, found) = st->Find(subj2);
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 2);
}

// A subject holding the no-pivot byte (DEL) is never stored.
TEST(SubjectTree, TestSubjectTreeInsertWithNoPivot) {
  auto st = NewSubjectTree<int>();
  std::string subj = "foo.bar.baz.";
  subj += static_cast<char>(kNoPivot);
  auto [old, updated] = st->Insert(subj, 22);
  EXPECT_FALSE(old.has_value());
  EXPECT_FALSE(updated);
  EXPECT_EQ(st->Size(), 0u);
}

// Checking for a terminal ">" must not index past the parts.
TEST(SubjectTree, TestSubjectTreeMatchHasFWCNoPanic) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo", 1);
  int calls = 0;
  st->Match(".", [&](std::string_view, int*) { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(SubjectTree, TestSubjectTreeLazyIntersect) {
  auto st1 = NewSubjectTree<int>();
  auto st2 = NewSubjectTree<int>();

  // These intersect.
  st1->Insert("foo.bar", 1);
  st2->Insert("foo.bar", 1);
  st1->Insert("foo.bar.baz.qux", 1);
  st2->Insert("foo.bar.baz.qux", 1);

  // These do not.
  st1->Insert("bar", 1);
  st2->Insert("baz", 1);
  st1->Insert("a.b.c", 1);
  st2->Insert("a.b.d", 1);
  st1->Insert("a.b.ee", 1);
  st2->Insert("a.b.e", 1);
  st1->Insert("bb.c.d", 1);
  st2->Insert("b.c.d", 1);
  st2->Insert("foo.bar.baz.qux.alice", 1);
  st2->Insert("foo.bar.baz.qux.bob", 1);

  std::map<std::string, int> intersected;
  LazyIntersect(st1.get(), st2.get(), [&](std::string_view key, int*, int*) { ++intersected[std::string(key)]; });
  EXPECT_EQ(intersected.size(), 2u);
  EXPECT_EQ(intersected["foo.bar"], 1);
  EXPECT_EQ(intersected["foo.bar.baz.qux"], 1);
}

struct Empty {};

// Runs IntersectGSL of `st` against a sublist holding `subs` and returns how
// often each subject was reported.
std::map<std::string, int> IntersectWith(SubjectTree<Empty>& st, std::initializer_list<std::string_view> subs) {
  std::map<std::string, int> got;
  auto sl = gsl::NewSublist<int>();
  int value = 11;
  for (std::string_view s : subs) {
    auto r = sl->Insert(s, value);
    EXPECT_TRUE(r.has_value()) << s;
    value += 11;
  }
  IntersectGSL(&st, sl.get(), [&](std::string_view subj, Empty*) {
    ++got[std::string(subj)];
    return true;
  });
  return got;
}

void ExpectNoDuplicates(const std::map<std::string, int>& got) {
  for (const auto& [subj, c] : got) EXPECT_EQ(c, 1) << subj;
}

TEST(SubjectTree, TestSubjectTreeGSLIntersection) {
  SubjectTree<Empty> st;
  st.Insert("one.two.three.four", Empty{});
  st.Insert("one.two.three.five", Empty{});
  st.Insert("one.two.six", Empty{});
  st.Insert("one.two.seven", Empty{});
  st.Insert("eight.nine", Empty{});
  st.Insert("stream.A", Empty{});
  st.Insert("stream.A.child", Empty{});

  struct Case {
    const char* name;
    std::initializer_list<std::string_view> subs;
    std::size_t want;
  };
  const Case cases[] = {
      {"Literals", {"one.two.six", "eight.nine"}, 2},
      {"PWC", {"one.two.*.*"}, 2},
      {"PWCOverlapping", {"one.two.*.four", "one.two.*.*"}, 2},
      {"FWC", {"one.>"}, 4},
      {"FWCOverlapping", {"one.two.three.four", "one.>", ">"}, 7},
      {"FWCExtended", {"stream.A.>", "stream.A"}, 2},
      {"PWCExtended", {"stream.*.child", "stream.A"}, 2},
      {"PWCExtendedAggressive",
       {"stream.A.child", "*.A.child", "stream.*.child", "stream.A.*", "stream.*.*", "*.A.*", "*.*.child"},
       1},
      {"PWCExtendedAggressive2", {"stream.A.child", "*.A.child", "stream.A.*", "*.A.*", "*.*.child"}, 1},
      {"PWCExtendedAggressive3", {"stream.A.child", "stream.*.*"}, 1},
      {"PWCExtendedAggressive4", {"stream.A.child", "stream.*.>"}, 1},
      {"PWCExtendedAggressive5", {"stream.A.child", "*.*"}, 3},
      {"PWCExtendedAggressive6", {"stream.A.child", "stream.*"}, 2},
      {"PWCExtendedAggressive7", {"stream.A", "*.*.*"}, 4},
      {"FWCAll", {">"}, 7},
      {"NoMatch", {"one"}, 0},
      {"NoMatches", {"one", "eight", "ten"}, 0},
      {"NoMatchPartial", {"stream.A.not-child", "stream.A.child.>"}, 0},
      {"PWCDoesntHideLiteral", {"one.*.six", "one.two.seven"}, 2},
      {"PWCDoesntHideLiteral2", {"one.*.*.four", "one.*.*.five", "one.*.three"}, 2},
      // Wildcards at positions that are not subsets of each other.
      {"DisjointWildcardPositions", {"one.two.*.*", "*.two.three.four"}, 2},
      {"LiteralMatchWithOverlappingPWCs", {"one.*.four.five", "one.two.three.four"}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto got = IntersectWith(st, c.subs);
    EXPECT_EQ(got.size(), c.want);
    ExpectNoDuplicates(got);
  }

  {
    SCOPED_TRACE("PWCAll");
    auto sl = gsl::NewSublist<int>();
    ASSERT_TRUE(sl->Insert("*.*", 11).has_value());
    ASSERT_TRUE(sl->Insert("*.*.*", 22).has_value());
    ASSERT_TRUE(sl->Insert("*.*.*.*", 33).has_value());
    EXPECT_TRUE(sl->HasInterest("foo.bar"));
    EXPECT_TRUE(sl->HasInterest("foo.bar.baz"));
    EXPECT_TRUE(sl->HasInterest("foo.bar.baz.qux"));
    std::map<std::string, int> got;
    IntersectGSL(&st, sl.get(), [&](std::string_view subj, Empty*) {
      ++got[std::string(subj)];
      return true;
    });
    EXPECT_EQ(got.size(), 7u);
    ExpectNoDuplicates(got);
  }

  {
    SCOPED_TRACE("StopsWhenCallbackReturnsFalse");
    auto sl = gsl::NewSublist<int>();
    ASSERT_TRUE(sl->Insert(">", 11).has_value());
    int got = 0;
    IntersectGSL(&st, sl.get(), [&](std::string_view, Empty*) {
      ++got;
      return false;
    });
    EXPECT_EQ(got, 1);
  }
}

TEST(SubjectTree, TestSubjectTreeDeleteShortSubjectNoPanic) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.baz", 1);
  st->Insert("foo.bar.qux", 2);

  auto [v, found] = st->Delete("foo.bar");
  EXPECT_FALSE(found);
  EXPECT_FALSE(v.has_value());
  auto [fv, ffound] = st->Find("foo.bar.baz");
  ASSERT_TRUE(ffound);
  EXPECT_EQ(*fv, 1);
  std::tie(fv, ffound) = st->Find("foo.bar.qux");
  ASSERT_TRUE(ffound);
  EXPECT_EQ(*fv, 2);
}

TEST(SubjectTree, TestSubjectTreeEmpty) {
  // Go's first step, Empty on a nil tree, has no counterpart: a C++ tree
  // always exists (see the report). The rest follows the Go test.
  auto st = NewSubjectTree<int>();
  EXPECT_EQ(st->Size(), 0u);
  IntTree* st2 = &st->Empty();
  EXPECT_EQ(st2, st.get());  // same instance
  EXPECT_EQ(st2->Size(), 0u);

  st->Insert("foo.bar", 1);
  st->Insert("foo.baz", 2);
  st->Insert("bar.baz", 3);
  EXPECT_EQ(st->Size(), 3u);

  st2 = &st->Empty();
  EXPECT_EQ(st2, st.get());
  EXPECT_EQ(st->Size(), 0u);
  EXPECT_EQ(st->root(), nullptr);

  EXPECT_FALSE(st->Find("foo.bar").second);
  EXPECT_FALSE(st->Find("foo.baz").second);
  EXPECT_FALSE(st->Find("bar.baz").second);

  // Usable again afterwards.
  auto [old, updated] = st->Insert("new.entry", 42);
  EXPECT_FALSE(old.has_value());
  EXPECT_FALSE(updated);
  EXPECT_EQ(st->Size(), 1u);
  auto [v, found] = st->Find("new.entry");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 42);
}

TEST(SubjectTree, TestSubjectTreeLazyIntersectComprehensive) {
  // Null trees.
  std::unique_ptr<SubjectTree<int>> st1;
  std::unique_ptr<SubjectTree<std::string>> st2;
  int count = 0;
  auto counter = [&](std::string_view, int*, std::string*) { ++count; };
  LazyIntersect(st1.get(), st2.get(), counter);
  EXPECT_EQ(count, 0);

  // One null tree.
  st1 = NewSubjectTree<int>();
  st1->Insert("foo", 1);
  LazyIntersect(st1.get(), st2.get(), counter);
  EXPECT_EQ(count, 0);

  // An empty tree.
  st2 = NewSubjectTree<std::string>();
  LazyIntersect(st1.get(), st2.get(), counter);
  EXPECT_EQ(count, 0);

  // Different value types.
  st1 = NewSubjectTree<int>();
  st2 = NewSubjectTree<std::string>();
  st1->Insert("foo.bar", 42);
  st2->Insert("foo.bar", "hello");
  st1->Insert("baz.qux", 100);
  st2->Insert("baz.qux", "world");
  st1->Insert("only.in.st1", 1);
  st2->Insert("only.in.st2", "two");

  std::map<std::string, std::pair<int, std::string>> results;
  LazyIntersect(st1.get(), st2.get(), [&](std::string_view key, int* v1, std::string* v2) {
    results[std::string(key)] = {*v1, *v2};
  });
  EXPECT_EQ(results.size(), 2u);
  EXPECT_EQ(results["foo.bar"].first, 42);
  EXPECT_EQ(results["foo.bar"].second, "hello");
  EXPECT_EQ(results["baz.qux"].first, 100);
  EXPECT_EQ(results["baz.qux"].second, "world");

  // A large and a small tree.
  auto large = NewSubjectTree<int>();
  auto small = NewSubjectTree<int>();
  for (int i = 0; i < 100; ++i) large->Insert("large." + std::to_string(i), i);
  small->Insert("large.5", 500);
  small->Insert("large.10", 1000);
  small->Insert("large.50", 5000);
  small->Insert("small.only", 999);

  int intersectCount = 0;
  LazyIntersect(large.get(), small.get(), [&](std::string_view key, int* v1, int* v2) {
    ++intersectCount;
    if (key == "large.5") {
      EXPECT_EQ(*v1, 5);
      EXPECT_EQ(*v2, 500);
    } else if (key == "large.10") {
      EXPECT_EQ(*v1, 10);
      EXPECT_EQ(*v2, 1000);
    } else if (key == "large.50") {
      EXPECT_EQ(*v1, 50);
      EXPECT_EQ(*v2, 5000);
    } else {
      ADD_FAILURE() << "Unexpected key: " << key;
    }
  });
  EXPECT_EQ(intersectCount, 3);

  // Multi-level subjects.
  auto st3 = NewSubjectTree<int>();
  auto st4 = NewSubjectTree<int>();
  st3->Insert("a.b.c.d.e.f.g", 1);
  st4->Insert("a.b.c.d.e.f.g", 2);
  // Prefixes of each other: no intersection.
  st3->Insert("a.b.c.d", 3);
  st4->Insert("a.b.c.d.e", 4);
  // Same prefix, different suffix.
  st3->Insert("prefix.suffix1", 5);
  st4->Insert("prefix.suffix2", 6);

  int intersections = 0;
  LazyIntersect(st3.get(), st4.get(), [&](std::string_view key, int* v1, int* v2) {
    ++intersections;
    EXPECT_EQ(key, "a.b.c.d.e.f.g");
    EXPECT_EQ(*v1, 1);
    EXPECT_EQ(*v2, 2);
  });
  EXPECT_EQ(intersections, 1);
}

TEST(SubjectTree, TestNode256Operations) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto n = newNode256("prefix");
  EXPECT_FALSE(n->isFull());  // never full

  EXPECT_EQ(n->findChild('a'), nullptr);

  n->addChild('a', newLeaf<int>("suffix", 42));
  EXPECT_NE(n->findChild('a'), nullptr);
  EXPECT_EQ(n->size, 1);

  int iterCount = 0;
  n->iter([&](Node*) {
    ++iterCount;
    return true;
  });
  EXPECT_EQ(iterCount, 1);

  // Early stop.
  n->addChild('b', newLeaf<int>("suffix2", 43));
  n->addChild('c', newLeaf<int>("suffix3", 44));
  iterCount = 0;
  n->iter([&](Node*) {
    ++iterCount;
    return false;
  });
  EXPECT_EQ(iterCount, 1);

  EXPECT_EQ(n->children().size(), 256u);

  // Go panics here; the port ends the process with the same message.
  EXPECT_DEATH(n->grow(), "grow can not be called on node256");
}

TEST(SubjectTree, TestNode256Shrink) {
  auto n256 = newNode256("prefix");
  for (int i = 0; i < 49; ++i) {
    n256->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
  }
  EXPECT_EQ(n256->size, 49);

  // More than 48 children: no shrink.
  EXPECT_EQ(n256->shrink(), nullptr);

  n256->deleteChild(0);
  EXPECT_EQ(n256->size, 48);

  auto shrunk = n256->shrink();
  ASSERT_NE(shrunk, nullptr);
  EXPECT_NE(dynamic_cast<Node48*>(shrunk.get()), nullptr);
  for (int i = 1; i < 49; ++i) {
    auto* child = shrunk->findChild(static_cast<std::uint8_t>(i));
    ASSERT_NE(child, nullptr) << i;
    EXPECT_NE(child->get(), nullptr) << i;
  }
}

TEST(SubjectTree, TestLeafPanicMethods) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto leaf = newLeaf<int>("test", 42);

  // Go panics on these; the port ends the process with the same messages.
  EXPECT_DEATH(leaf->setPrefix("prefix"), "setPrefix called on leaf");
  EXPECT_DEATH(leaf->addChild('a', nullptr), "addChild called on leaf");
  EXPECT_DEATH(leaf->findChild('a'), "findChild called on leaf");
  EXPECT_DEATH(leaf->grow(), "grow called on leaf");
  EXPECT_DEATH(leaf->deleteChild('a'), "deleteChild called on leaf");
  EXPECT_DEATH(leaf->shrink(), "shrink called on leaf");

  EXPECT_TRUE(leaf->isFull());
  EXPECT_EQ(leaf->base(), nullptr);
  EXPECT_EQ(leaf->numChildren(), 0);
  EXPECT_TRUE(leaf->children().empty());
  EXPECT_EQ(leaf->children().data(), nullptr);

  bool called = false;
  leaf->iter([&](Node*) {
    called = true;
    return true;
  });
  EXPECT_FALSE(called);
}

TEST(SubjectTree, TestFindEdgeCases) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.baz", 1);
  st->Insert("foo", 2);
  auto [v, found] = st->Find("");
  EXPECT_FALSE(found);
  EXPECT_EQ(v, nullptr);
}

TEST(SubjectTree, TestNodeIterMethods) {
  auto n4 = newNode4("prefix");
  n4->addChild('a', newLeaf<int>("1", 1));
  n4->addChild('b', newLeaf<int>("2", 2));

  int count = 0;
  n4->iter([&](Node*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 2);

  count = 0;
  n4->iter([&](Node*) {
    ++count;
    return false;
  });
  EXPECT_EQ(count, 1);

  auto n10 = newNode10("prefix");
  for (int i = 0; i < 5; ++i) {
    n10->addChild(static_cast<std::uint8_t>('a' + i), newLeaf<int>(Letter('0', i), i));
  }
  count = 0;
  n10->iter([&](Node*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 5);

  auto n16 = newNode16("prefix");
  for (int i = 0; i < 8; ++i) {
    n16->addChild(static_cast<std::uint8_t>('a' + i), newLeaf<int>(Letter('0', i), i));
  }
  count = 0;
  n16->iter([&](Node*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 8);
}

TEST(SubjectTree, TestIterOrderedAndIterFastNilRoot) {
  auto st = NewSubjectTree<int>();
  int count = 0;
  st->IterOrdered([&](std::string_view, int*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 0);

  count = 0;
  st->IterFast([&](std::string_view, int*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 0);
}

TEST(SubjectTree, TestNodeAddChildPanic) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  auto n4 = newNode4("prefix");
  n4->addChild('a', newLeaf<int>("1", 1));
  n4->addChild('b', newLeaf<int>("2", 2));
  n4->addChild('c', newLeaf<int>("3", 3));
  n4->addChild('d', newLeaf<int>("4", 4));
  EXPECT_DEATH(n4->addChild('e', newLeaf<int>("5", 5)), "node4 full!");
}

TEST(SubjectTree, TestNodeAddChildPanicOthers) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  {
    SCOPED_TRACE("node10");
    auto n10 = newNode10("prefix");
    for (int i = 0; i < 10; ++i) {
      n10->addChild(static_cast<std::uint8_t>('a' + i), newLeaf<int>(Letter('0', i), i));
    }
    EXPECT_DEATH(n10->addChild('k', newLeaf<int>("11", 11)), "node10 full!");
  }
  {
    SCOPED_TRACE("node16");
    auto n16 = newNode16("prefix");
    for (int i = 0; i < 16; ++i) {
      n16->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
    }
    EXPECT_DEATH(n16->addChild(16, newLeaf<int>("16", 16)), "node16 full!");
  }
  {
    SCOPED_TRACE("node48");
    auto n48 = newNode48("prefix");
    for (int i = 0; i < 48; ++i) {
      n48->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
    }
    EXPECT_DEATH(n48->addChild(48, newLeaf<int>("48", 48)), "node48 full!");
  }
}

TEST(SubjectTree, TestNodeDeleteChildNotFound) {
  auto n10 = newNode10("prefix");
  n10->addChild('a', newLeaf<int>("1", 1));
  n10->addChild('b', newLeaf<int>("2", 2));
  n10->deleteChild('z');
  EXPECT_EQ(n10->size, 2);

  auto n16 = newNode16("prefix");
  n16->addChild('a', newLeaf<int>("1", 1));
  n16->addChild('b', newLeaf<int>("2", 2));
  n16->deleteChild('z');
  EXPECT_EQ(n16->size, 2);

  auto n48 = newNode48("prefix");
  n48->addChild(0, newLeaf<int>("1", 1));
  n48->addChild(1, newLeaf<int>("2", 2));
  n48->deleteChild(255);
  EXPECT_EQ(n48->size, 2);
}

TEST(SubjectTree, TestNodeShrinkNotNeeded) {
  auto n10 = newNode10("prefix");
  for (int i = 0; i < 5; ++i) {
    n10->addChild(static_cast<std::uint8_t>('a' + i), newLeaf<int>(Letter('0', i), i));
  }
  EXPECT_EQ(n10->shrink(), nullptr);

  auto n16 = newNode16("prefix");
  for (int i = 0; i < 11; ++i) {
    n16->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
  }
  EXPECT_EQ(n16->shrink(), nullptr);
}

TEST(SubjectTree, TestNode48IterEarlyTermination) {
  auto n48 = newNode48("prefix");
  for (int i = 0; i < 10; ++i) {
    n48->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
  }
  int count = 0;
  n48->iter([&](Node*) {
    ++count;
    return false;
  });
  EXPECT_EQ(count, 1);
}

TEST(SubjectTree, TestNode10And16IterEarlyTermination) {
  auto n10 = newNode10("prefix");
  for (int i = 0; i < 5; ++i) {
    n10->addChild(static_cast<std::uint8_t>('a' + i), newLeaf<int>(Letter('0', i), i));
  }
  int count = 0;
  n10->iter([&](Node*) {
    ++count;
    return count < 2;
  });
  EXPECT_EQ(count, 2);

  auto n16 = newNode16("prefix");
  for (int i = 0; i < 8; ++i) {
    n16->addChild(static_cast<std::uint8_t>(i), newLeaf<int>(std::string(1, static_cast<char>(i)), i));
  }
  count = 0;
  n16->iter([&](Node*) {
    ++count;
    return count < 3;
  });
  EXPECT_EQ(count, 3);
}

TEST(SubjectTree, TestMatchPartsEdgeCases) {
  // A partial match inside a part, which hands back a shortened copy.
  std::vector<std::string_view> raw;
  genParts("foo.*.bar.>", raw);
  auto [remaining, matched] = matchParts(Parts(raw), "foo.test");
  EXPECT_TRUE(matched);
  EXPECT_GT(remaining.size(), 0u);
}

TEST(SubjectTree, TestInsertEdgeCases) {
  auto st = NewSubjectTree<int>();
  // The no-pivot byte is refused.
  auto [old, updated] = st->Insert(std::string_view("foo\x7f" "bar"), 1);
  EXPECT_FALSE(old.has_value());
  EXPECT_FALSE(updated);
  EXPECT_EQ(st->Size(), 0u);

  // A split where both sides share the prefix "a".
  st = NewSubjectTree<int>();
  st->Insert("a.b", 1);
  st->Insert("a.c", 2);
  EXPECT_EQ(st->Size(), 2u);
}

TEST(SubjectTree, TestDeleteEdgeCases) {
  auto st = NewSubjectTree<int>();
  auto [val, deleted] = st->Delete("foo");
  EXPECT_FALSE(deleted);
  EXPECT_FALSE(val.has_value());

  // An empty subject.
  st->Insert("foo", 1);
  std::tie(val, deleted) = st->Delete("");
  EXPECT_FALSE(deleted);
  EXPECT_FALSE(val.has_value());

  // A subject shorter than the node prefix.
  st = NewSubjectTree<int>();
  st->Insert("verylongprefix.suffix", 1);
  st->Insert("verylongprefix.suffix2", 2);
  std::tie(val, deleted) = st->Delete("very");
  EXPECT_FALSE(deleted);
  EXPECT_FALSE(val.has_value());
}

TEST(SubjectTree, TestMatchEdgeCases) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar", 1);
  // A nil callback is ignored.
  st->Match("foo.*", std::function<void(std::string_view, int*)>{});

  int count = 0;
  st->Match("", [&](std::string_view, int*) { ++count; });
  EXPECT_EQ(count, 0);
}

TEST(SubjectTree, TestIterEdgeCases) {
  auto st = NewSubjectTree<int>();
  st->Insert("a.b.c", 1);
  st->Insert("a.b.d", 2);
  st->Insert("a.c.d", 3);
  st->Insert("b.c.d", 4);

  int count = 0;
  SubjectTreeTestAccess::iter(*st, st->root(), false, [&](std::string_view, int*) {
    ++count;
    return count < 2;
  });
  EXPECT_EQ(count, 2);
}

TEST(SubjectTree, TestLeafIter) {
  auto leaf = newLeaf<int>("test", 42);
  bool called = false;
  leaf->iter([&](Node*) {
    called = true;
    return true;
  });
  EXPECT_FALSE(called);

  leaf->iter([&](Node*) {
    called = true;
    return false;
  });
  EXPECT_FALSE(called);

  EXPECT_TRUE(leaf->match("test"));
  EXPECT_EQ(leaf->value, 42);

  // Through the node interface too.
  Node* n = leaf.get();
  called = false;
  n->iter([&](Node*) {
    called = true;
    return true;
  });
  EXPECT_FALSE(called);
}

TEST(SubjectTree, TestDeleteChildEdgeCasesMore) {
  // Deleting the last child needs no swap.
  auto n10 = newNode10("prefix");
  n10->addChild('a', newLeaf<int>("1", 1));
  n10->addChild('b', newLeaf<int>("2", 2));
  n10->addChild('c', newLeaf<int>("3", 3));
  n10->deleteChild('c');
  EXPECT_EQ(n10->size, 2);

  auto n16 = newNode16("prefix");
  n16->addChild('a', newLeaf<int>("1", 1));
  n16->addChild('b', newLeaf<int>("2", 2));
  n16->addChild('c', newLeaf<int>("3", 3));
  n16->deleteChild('c');
  EXPECT_EQ(n16->size, 2);
}

TEST(SubjectTree, TestMatchPartsMoreEdgeCases) {
  // An empty fragment consumes nothing.
  std::vector<std::string_view> raw;
  genParts("foo.*", raw);
  const Parts parts(raw);
  auto [remaining, matched] = matchParts(parts, "");
  EXPECT_TRUE(matched);
  EXPECT_EQ(remaining.size(), parts.size());
}

TEST(SubjectTree, TestInsertComplexEdgeCases) {
  auto st = NewSubjectTree<int>();
  st->Insert("a", 1);
  st->Insert("aa", 2);  // splits
  st->Insert("aaa", 3);
  EXPECT_EQ(st->Size(), 3u);

  auto [v, found] = st->Find("a");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 1);
  std::tie(v, found) = st->Find("aa");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 2);
  std::tie(v, found) = st->Find("aaa");
  ASSERT_TRUE(found);
  EXPECT_EQ(*v, 3);
}

TEST(SubjectTree, TestDeleteNilNodePointer) {
  auto st = NewSubjectTree<int>();
  std::unique_ptr<Node> n;
  auto [val, deleted] = SubjectTreeTestAccess::del(*st, &n, "foo", 0);
  EXPECT_FALSE(deleted);
  EXPECT_FALSE(val.has_value());
}

TEST(SubjectTree, TestMatchComplexEdgeCases) {
  auto st = NewSubjectTree<int>();
  st->Insert("foo.bar.baz", 1);
  st->Insert("foo.bar.qux", 2);
  st->Insert("foo.baz.bar", 3);
  st->Insert("bar.foo.baz", 4);

  int count = 0;
  st->Match("foo.bar.>", [&](std::string_view, int*) { ++count; });
  EXPECT_EQ(count, 2);
}

TEST(SubjectTree, TestIterComplexTree) {
  auto st = NewSubjectTree<int>();
  for (int i = 0; i < 20; ++i) st->Insert("level1.level2.level3.item" + std::to_string(i), i);
  int count = 0;
  st->IterOrdered([&](std::string_view, int*) {
    ++count;
    return true;
  });
  EXPECT_EQ(count, 20);
}

}  // namespace
}  // namespace natscpp::store::stree
