// Ports of server/gsl/gsl_test.go.
#include "gsl/gsl.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <thread>
#include <tuple>
#include <variant>

namespace natscpp::store::gsl {
namespace {

constexpr std::monostate kEmpty{};

template <typename T>
int CountMatches(const GenericSublist<T>& s, std::string_view subj) {
  int matches = 0;
  s.Match(subj, [&](const T&) { ++matches; });
  return matches;
}

// The Go tests' require_Matches.
#define EXPECT_MATCHES(s, subj, c) EXPECT_EQ(CountMatches((s), (subj)), (c)) << "subject " << (subj)

template <typename R>
void ExpectError(const R& r, ErrorCode code) {
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), code) << r.error().message();
}

TEST(GenericSublist, TestGenericSublistInit) {
  auto s = NewSublist<std::monostate>();
  // Count() reads the counter Go's test inspects directly.
  EXPECT_EQ(s->Count(), 0u);
}

TEST(GenericSublist, TestGenericSublistInsertCount) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("foo", kEmpty));
  ASSERT_TRUE(s->Insert("bar", kEmpty));
  ASSERT_TRUE(s->Insert("foo.bar", kEmpty));
  EXPECT_EQ(s->Count(), 3u);
}

TEST(GenericSublist, TestGenericSublistSimple) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("foo", kEmpty));
  EXPECT_MATCHES(*s, "foo", 1);
}

TEST(GenericSublist, TestGenericSublistSimpleMultiTokens) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("foo.bar.baz", kEmpty));
  EXPECT_MATCHES(*s, "foo.bar.baz", 1);
}

TEST(GenericSublist, TestGenericSublistPartialWildcard) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("a.b.c", kEmpty));
  ASSERT_TRUE(s->Insert("a.*.c", kEmpty));
  EXPECT_MATCHES(*s, "a.b.c", 2);
}

TEST(GenericSublist, TestGenericSublistPartialWildcardAtEnd) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("a.b.c", kEmpty));
  ASSERT_TRUE(s->Insert("a.b.*", kEmpty));
  EXPECT_MATCHES(*s, "a.b.c", 2);
}

TEST(GenericSublist, TestGenericSublistFullWildcard) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("a.b.c", kEmpty));
  ASSERT_TRUE(s->Insert("a.>", kEmpty));
  EXPECT_MATCHES(*s, "a.b.c", 2);
  EXPECT_MATCHES(*s, "a.>", 1);
}

TEST(GenericSublist, TestGenericSublistRemove) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("a.b.c.d", kEmpty));
  EXPECT_EQ(s->Count(), 1u);
  EXPECT_MATCHES(*s, "a.b.c.d", 1);

  ASSERT_TRUE(s->Remove("a.b.c.d", kEmpty));
  EXPECT_EQ(s->Count(), 0u);
  EXPECT_MATCHES(*s, "a.b.c.d", 0);
}

TEST(GenericSublist, TestGenericSublistRemoveWildcard) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("a.b.c.d", 11));
  ASSERT_TRUE(s->Insert("a.b.*.d", 22));
  ASSERT_TRUE(s->Insert("a.b.>", 33));
  EXPECT_EQ(s->Count(), 3u);
  EXPECT_MATCHES(*s, "a.b.c.d", 3);

  ASSERT_TRUE(s->Remove("a.b.*.d", 22));
  EXPECT_EQ(s->Count(), 2u);
  EXPECT_MATCHES(*s, "a.b.c.d", 2);

  ASSERT_TRUE(s->Remove("a.b.>", 33));
  EXPECT_EQ(s->Count(), 1u);
  EXPECT_MATCHES(*s, "a.b.c.d", 1);

  ASSERT_TRUE(s->Remove("a.b.c.d", 11));
  EXPECT_EQ(s->Count(), 0u);
  EXPECT_MATCHES(*s, "a.b.c.d", 0);
}

TEST(GenericSublist, TestGenericSublistRemoveCleanup) {
  auto s = NewSublist<std::monostate>();
  EXPECT_EQ(s->NumLevels(), 0);
  ASSERT_TRUE(s->Insert("a.b.c.d.e.f", kEmpty));
  EXPECT_EQ(s->NumLevels(), 6);
  ASSERT_TRUE(s->Remove("a.b.c.d.e.f", kEmpty));
  EXPECT_EQ(s->NumLevels(), 0);
}

TEST(GenericSublist, TestGenericSublistRemoveCleanupWildcards) {
  auto s = NewSublist<std::monostate>();
  EXPECT_EQ(s->NumLevels(), 0);
  ASSERT_TRUE(s->Insert("a.b.*.d.e.>", kEmpty));
  EXPECT_EQ(s->NumLevels(), 6);
  ASSERT_TRUE(s->Remove("a.b.*.d.e.>", kEmpty));
  EXPECT_EQ(s->NumLevels(), 0);
}

TEST(GenericSublist, TestGenericSublistInvalidSubjectsInsert) {
  auto s = NewSublist<std::monostate>();
  // Wildcards are fine in an insert, but empty tokens are not, and ">"
  // must be the last token.
  ExpectError(s->Insert(".foo", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Insert("foo.", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Insert("foo..bar", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Insert("foo.bar..baz", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Insert("foo.>.baz", kEmpty), ErrorCode::kBadSubject);
}

TEST(GenericSublist, TestGenericSublistBadSubjectOnRemove) {
  auto s = NewSublist<std::monostate>();
  ExpectError(s->Insert("a.b..d", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Remove("a.b..d", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Remove("a.>.b", kEmpty), ErrorCode::kBadSubject);
}

TEST(GenericSublist, TestGenericSublistTwoTokenPubMatchSingleTokenSub) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert("foo", kEmpty));
  EXPECT_MATCHES(*s, "foo", 1);
  EXPECT_MATCHES(*s, "foo.bar", 0);
}

TEST(GenericSublist, TestGenericSublistInsertWithWildcardsAsLiterals) {
  auto s = NewSublist<int>();
  int i = 0;
  for (std::string_view subject : {"foo.*-", "foo.>-"}) {
    ASSERT_TRUE(s->Insert(subject, i));
    EXPECT_MATCHES(*s, "foo.bar", 0);
    EXPECT_MATCHES(*s, subject, 1);
    ++i;
  }
}

TEST(GenericSublist, TestGenericSublistRemoveWithWildcardsAsLiterals) {
  auto s = NewSublist<int>();
  int i = 0;
  for (std::string_view subject : {"foo.*-", "foo.>-"}) {
    ASSERT_TRUE(s->Insert(subject, i));
    EXPECT_MATCHES(*s, "foo.bar", 0);
    EXPECT_MATCHES(*s, subject, 1);
    ExpectError(s->Remove("foo.bar", i), ErrorCode::kNotFound);
    EXPECT_EQ(s->Count(), 1u);
    ASSERT_TRUE(s->Remove(subject, i));
    EXPECT_EQ(s->Count(), 0u);
    ++i;
  }
}

TEST(GenericSublist, TestGenericSublistMatchWithEmptyTokens) {
  auto s = NewSublist<std::monostate>();
  ASSERT_TRUE(s->Insert(">", kEmpty));
  for (std::string_view subject : {".foo", "..foo", "foo..", "foo.", "foo..bar", "foo...bar"}) {
    SCOPED_TRACE(std::string(subject));
    EXPECT_MATCHES(*s, subject, 0);
  }
}

TEST(GenericSublist, TestGenericSublistHasInterest) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("foo", 11));

  EXPECT_TRUE(s->HasInterest("foo"));
  EXPECT_FALSE(s->HasInterest("bar"));

  EXPECT_MATCHES(*s, "bar", 0);
  EXPECT_FALSE(s->HasInterest("bar"));

  ASSERT_TRUE(s->Remove("foo", 11));
  EXPECT_FALSE(s->HasInterest("foo"));

  ASSERT_TRUE(s->Insert("foo.*", 22));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_TRUE(s->HasInterest("foo.bar"));
  EXPECT_FALSE(s->HasInterest("foo.bar.baz"));

  ASSERT_TRUE(s->Remove("foo.*", 22));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_FALSE(s->HasInterest("foo.bar"));
  EXPECT_FALSE(s->HasInterest("foo.bar.baz"));

  ASSERT_TRUE(s->Insert("foo.>", 33));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_TRUE(s->HasInterest("foo.bar"));
  EXPECT_TRUE(s->HasInterest("foo.bar.baz"));

  ASSERT_TRUE(s->Remove("foo.>", 33));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_FALSE(s->HasInterest("foo.bar"));
  EXPECT_FALSE(s->HasInterest("foo.bar.baz"));

  ASSERT_TRUE(s->Insert("*.>", 44));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_TRUE(s->HasInterest("foo.bar"));
  EXPECT_TRUE(s->HasInterest("foo.baz"));
  ASSERT_TRUE(s->Remove("*.>", 44));

  ASSERT_TRUE(s->Insert("*.bar", 55));
  EXPECT_FALSE(s->HasInterest("foo"));
  EXPECT_TRUE(s->HasInterest("foo.bar"));
  EXPECT_FALSE(s->HasInterest("foo.baz"));
  ASSERT_TRUE(s->Remove("*.bar", 55));

  ASSERT_TRUE(s->Insert("*", 66));
  EXPECT_TRUE(s->HasInterest("foo"));
  EXPECT_FALSE(s->HasInterest("foo.bar"));
  ASSERT_TRUE(s->Remove("*", 66));
}

TEST(GenericSublist, TestGenericSublistHasInterestOverlapping) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("stream.A.child", 11));
  ASSERT_TRUE(s->Insert("stream.*", 11));
  EXPECT_TRUE(s->HasInterest("stream.A.child"));
  EXPECT_TRUE(s->HasInterest("stream.A"));
}

TEST(GenericSublist, TestGenericSublistMatchesFullWildcard) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("stream.A.child", 11));
  ASSERT_TRUE(s->Insert("stream.*", 11));
  EXPECT_TRUE(s->HasInterest("stream.A.child"));
  EXPECT_TRUE(s->HasInterest("stream.A"));
  EXPECT_FALSE(s->MatchesFullWildcard());

  ASSERT_TRUE(s->Insert(">", 11));
  EXPECT_TRUE(s->MatchesFullWildcard());
}

TEST(GenericSublist, TestGenericSublistSingleFilter) {
  // Go calls the method on a nil sublist; the nullptr overload stands in.
  const GenericSublist<int>* sn = nullptr;
  auto [filter, ok] = MatchesSingleFilter(sn);
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");

  auto s = NewSublist<int>();
  std::tie(filter, ok) = s->MatchesSingleFilter();
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");

  ASSERT_TRUE(s->Insert("stream.A.child", 11));
  std::tie(filter, ok) = s->MatchesSingleFilter();
  EXPECT_TRUE(ok);
  EXPECT_EQ(filter, "stream.A.child");

  ASSERT_TRUE(s->Insert("stream.A.child", 22));
  std::tie(filter, ok) = s->MatchesSingleFilter();
  EXPECT_TRUE(ok);
  EXPECT_EQ(filter, "stream.A.child");

  ASSERT_TRUE(s->Insert("stream.A.other", 22));
  std::tie(filter, ok) = s->MatchesSingleFilter();
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");

  ASSERT_TRUE(s->Insert("stream.*", 33));
  std::tie(filter, ok) = s->MatchesSingleFilter();
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");

  // An ancestor with descendants is not a single filter.
  auto s2 = NewSublist<int>();
  ASSERT_TRUE(s2->Insert("foo", 1));
  ASSERT_TRUE(s2->Insert("foo.bar", 2));
  ASSERT_TRUE(s2->Insert("foo.baz", 3));
  std::tie(filter, ok) = s2->MatchesSingleFilter();
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");

  // Nor is a bare prefix with only descendants.
  auto s3 = NewSublist<int>();
  ASSERT_TRUE(s3->Insert("foo.bar", 2));
  ASSERT_TRUE(s3->Insert("foo.baz", 3));
  std::tie(filter, ok) = s3->MatchesSingleFilter();
  EXPECT_FALSE(ok);
  EXPECT_EQ(filter, "");
}

// Readers run against a writer. Go relies on the race detector here; this
// port also checks the answers that the writer's churn cannot change (it
// only touches "test.subject.*" and "foo.*.test"). Run under TSan for the
// data-race half of the check.
TEST(GenericSublist, TestGenericSublistHasInterestStartingInRace) {
  auto s = NewSublist<int>();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(s->Insert("foo.bar.baz", i));
    ASSERT_TRUE(s->Insert("foo.*.baz", i + 10));
    ASSERT_TRUE(s->Insert("foo.>", i + 20));
  }

  constexpr int kIterations = 1000;

  std::thread t1([&] {
    for (int i = 0; i < kIterations; ++i) {
      EXPECT_TRUE(s->HasInterestStartingIn("foo"));
      EXPECT_TRUE(s->HasInterestStartingIn("foo.bar"));
      EXPECT_TRUE(s->HasInterestStartingIn("foo.bar.baz"));
      EXPECT_FALSE(s->HasInterestStartingIn("other.subject"));
    }
  });
  std::thread t2([&] {
    for (int i = 0; i < kIterations; ++i) {
      const int val = 1000 + i;
      std::string subj = "test.subject.";
      subj.push_back(static_cast<char>('a' + i % 26));
      EXPECT_TRUE(s->Insert(subj, val));
      EXPECT_TRUE(s->Insert("foo.*.test", val));
      EXPECT_TRUE(s->Remove(subj, val));
      EXPECT_TRUE(s->Remove("foo.*.test", val));
    }
  });
  std::thread t3([&] {
    for (int i = 0; i < kIterations; ++i) {
      EXPECT_TRUE(s->HasInterest("foo.bar.baz"));
      EXPECT_TRUE(s->HasInterest("foo.something.baz"));
    }
  });
  t1.join();
  t2.join();
  t3.join();
  EXPECT_EQ(s->Count(), 30u);
}

TEST(GenericSublist, TestGenericSublistNumInterest) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("foo", 11));

  auto require_num_interest = [&](std::string_view subj, int wnp) {
    SCOPED_TRACE(std::string(subj));
    EXPECT_MATCHES(*s, subj, wnp);
    EXPECT_EQ(s->NumInterest(subj), wnp);
  };

  require_num_interest("foo", 1);
  require_num_interest("bar", 0);

  ASSERT_TRUE(s->Remove("foo", 11));
  require_num_interest("foo", 0);

  ASSERT_TRUE(s->Insert("foo.*", 22));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 1);
  require_num_interest("foo.bar.baz", 0);

  ASSERT_TRUE(s->Remove("foo.*", 22));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 0);
  require_num_interest("foo.bar.baz", 0);

  ASSERT_TRUE(s->Insert("foo.>", 33));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 1);
  require_num_interest("foo.bar.baz", 1);

  ASSERT_TRUE(s->Remove("foo.>", 33));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 0);
  require_num_interest("foo.bar.baz", 0);

  ASSERT_TRUE(s->Insert("*.>", 44));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 1);
  require_num_interest("foo.bar.baz", 1);
  ASSERT_TRUE(s->Remove("*.>", 44));

  ASSERT_TRUE(s->Insert("*.bar", 55));
  require_num_interest("foo", 0);
  require_num_interest("foo.bar", 1);
  require_num_interest("foo.bar.baz", 0);
  ASSERT_TRUE(s->Remove("*.bar", 55));

  ASSERT_TRUE(s->Insert("*", 66));
  require_num_interest("foo", 1);
  require_num_interest("foo.bar", 0);
  ASSERT_TRUE(s->Remove("*", 66));
}

// Checks beyond the Go tests (suite GenericSublistExtra): API edges of the
// port and robustness against very deep subjects.

TEST(GenericSublistExtra, SimpleSublistAndMatchBytes) {
  auto s = NewSimpleSublist();
  ASSERT_TRUE(s->Insert("foo.*", kEmpty));
  ASSERT_TRUE(s->Insert("foo.>", kEmpty));
  const std::string subj = "foo.bar";
  int matches = 0;
  s->MatchBytes(std::span(reinterpret_cast<const std::uint8_t*>(subj.data()), subj.size()),
                [&](const std::monostate&) { ++matches; });
  EXPECT_EQ(matches, 2);
  // As in Go, NumInterest stops at the first ">" on the path and counts
  // only its values, so it can be lower than the number of matches.
  EXPECT_EQ(s->NumInterest("foo.bar"), 1);
  EXPECT_EQ(s->NumInterest("foo.bar.baz"), 1);
  EXPECT_FALSE(MatchesFullWildcard(static_cast<const SimpleSublist*>(nullptr)));
  EXPECT_FALSE(MatchesFullWildcard(s.get()));
  // The same (subject, value) twice is stored once but counted twice.
  ASSERT_TRUE(s->Insert("foo.*", kEmpty));
  EXPECT_EQ(s->Count(), 3u);
  EXPECT_EQ(CountMatches(*s, "foo.bar"), 2);
  ExpectError(s->Remove("", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Insert("", kEmpty), ErrorCode::kBadSubject);
  ExpectError(s->Remove("nope", kEmpty), ErrorCode::kNotFound);
  EXPECT_FALSE(s->HasInterest(""));
  EXPECT_MATCHES(*s, "", 0);
}

TEST(GenericSublistExtra, HasInterestStartingInPrefixes) {
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert("a.*.c.d", 1));
  EXPECT_TRUE(s->HasInterestStartingIn("a"));
  EXPECT_TRUE(s->HasInterestStartingIn("a.x"));
  EXPECT_TRUE(s->HasInterestStartingIn("a.x.c"));
  EXPECT_FALSE(s->HasInterestStartingIn("a.x.d"));
  EXPECT_FALSE(s->HasInterestStartingIn("b"));
  ASSERT_TRUE(s->Insert("b.>", 2));
  EXPECT_TRUE(s->HasInterestStartingIn("b.anything.at.all"));
}

TEST(GenericSublistExtra, TokenizeKeepsEmptyTokens) {
  subject::TokenVec toks;
  gsl::TokenizeSubjectIntoSlice(toks, ".a..b.");
  ASSERT_EQ(toks.size(), 5u);
  EXPECT_EQ(toks[0], "");
  EXPECT_EQ(toks[1], "a");
  EXPECT_EQ(toks[2], "");
  EXPECT_EQ(toks[3], "b");
  EXPECT_EQ(toks[4], "");
}

TEST(GenericSublistExtra, DeepSubjectDoesNotExhaustStack) {
  // 100k tokens: insert, lookups, pruning and destruction must not recurse
  // once per token.
  std::string subj;
  for (int i = 0; i < 100000; ++i) {
    if (i > 0) subj.push_back('.');
    subj.push_back(static_cast<char>('a' + i % 26));
  }
  auto s = NewSublist<int>();
  ASSERT_TRUE(s->Insert(subj, 1));
  EXPECT_MATCHES(*s, subj, 1);
  EXPECT_TRUE(s->HasInterest(subj));
  EXPECT_TRUE(s->HasInterestStartingIn(subj));
  auto [filter, ok] = s->MatchesSingleFilter();
  EXPECT_TRUE(ok);
  EXPECT_EQ(filter, subj);
  ASSERT_TRUE(s->Insert(subj, 2));
  ASSERT_TRUE(s->Remove(subj, 1));
  EXPECT_EQ(s->Count(), 1u);
  // Destroyed with one entry left, through the iterative teardown.
}

}  // namespace
}  // namespace natscpp::store::gsl
