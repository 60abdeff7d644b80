// Ports of the server/sublist_test.go tests that exercise only the subject
// helpers (tokenizing, validity, literal/wildcard and subset checks).
#include "subject/subject.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace natscpp::store::subject {
namespace {

TEST(Sublist, TestSublistValidSubjects) {
  EXPECT_FALSE(IsValidSubject("."));
  EXPECT_FALSE(IsValidSubject(".foo"));
  EXPECT_FALSE(IsValidSubject("foo."));
  EXPECT_FALSE(IsValidSubject("foo..bar"));
  EXPECT_FALSE(IsValidSubject(">.bar"));
  EXPECT_FALSE(IsValidSubject("foo.>.bar"));
  EXPECT_TRUE(IsValidSubject("foo"));
  EXPECT_TRUE(IsValidSubject("foo.bar.*"));
  EXPECT_TRUE(IsValidSubject("foo.bar.>"));
  EXPECT_TRUE(IsValidSubject("*"));
  EXPECT_TRUE(IsValidSubject(">"));
  EXPECT_TRUE(IsValidSubject("foo*"));
  EXPECT_TRUE(IsValidSubject("foo**"));
  EXPECT_TRUE(IsValidSubject("foo.**"));
  EXPECT_TRUE(IsValidSubject("foo*bar"));
  EXPECT_TRUE(IsValidSubject("foo.*bar"));
  EXPECT_TRUE(IsValidSubject("foo*.bar"));
  EXPECT_TRUE(IsValidSubject("*bar"));
  EXPECT_TRUE(IsValidSubject("foo>"));
  EXPECT_TRUE(IsValidSubject("foo.>>"));
  EXPECT_TRUE(IsValidSubject("foo>bar"));
  EXPECT_TRUE(IsValidSubject("foo.>bar"));
  EXPECT_TRUE(IsValidSubject("foo>.bar"));
  EXPECT_TRUE(IsValidSubject(">bar"));

  // Embedded NUL.
  std::string subj = "foo.bar.baz.";
  subj.push_back('\0');
  EXPECT_FALSE(IsValidSubject(subj, true));
}

TEST(Sublist, TestSubjectIsLiteral) {
  EXPECT_TRUE(SubjectIsLiteral("foo"));
  EXPECT_TRUE(SubjectIsLiteral("foo.bar"));
  EXPECT_TRUE(SubjectIsLiteral("foo*.bar"));
  EXPECT_FALSE(SubjectIsLiteral("*"));
  EXPECT_FALSE(SubjectIsLiteral(">"));
  EXPECT_FALSE(SubjectIsLiteral("foo.*"));
  EXPECT_FALSE(SubjectIsLiteral("foo.>"));
  EXPECT_FALSE(SubjectIsLiteral("foo.*.>"));
  EXPECT_FALSE(SubjectIsLiteral("foo.*.bar"));
  EXPECT_FALSE(SubjectIsLiteral("foo.bar.>"));
}

TEST(Sublist, TestIsSubsetMatch) {
  struct Case {
    std::string_view subject;
    std::string_view test;
    bool result;
  };
  for (const Case& c : {
           Case{"foo.bar", "foo.bar", true},
           Case{"foo.*", ">", true},
           Case{"foo.*", "*.*", true},
           Case{"foo.*", "foo.*", true},
           Case{"foo.*", "foo.bar", false},
           Case{"foo.>", ">", true},
           Case{"foo.>", "*.>", true},
           Case{"foo.>", "foo.>", true},
           Case{"foo.>", "foo.bar", false},
           Case{"foo..bar", "foo.*", false},  // bad subject: no match
           Case{"foo.*", "foo..bar", false},  // bad test subject: no match
       }) {
    EXPECT_EQ(SubjectIsSubsetMatch(c.subject, c.test), c.result)
        << "subject " << c.subject << " test " << c.test;
  }
}

// Checks beyond the Go tests (suite SubjectHelpers).

TEST(SubjectHelpers, SubjectHasWildcard) {
  EXPECT_FALSE(SubjectHasWildcard("foo"));
  EXPECT_FALSE(SubjectHasWildcard("foo*.bar"));
  EXPECT_FALSE(SubjectHasWildcard("foo.>>"));
  EXPECT_FALSE(SubjectHasWildcard(""));
  EXPECT_TRUE(SubjectHasWildcard("*"));
  EXPECT_TRUE(SubjectHasWildcard(">"));
  EXPECT_TRUE(SubjectHasWildcard("foo.*.bar"));
  EXPECT_TRUE(SubjectHasWildcard("foo.>"));
  EXPECT_TRUE(SubjectHasWildcard("*.foo"));
}

TEST(SubjectHelpers, TokenizeSpillsPastInlineCapacity) {
  std::string subj;
  for (int i = 0; i < 40; ++i) {
    if (i > 0) subj.push_back('.');
    subj += std::to_string(i);
  }
  TokenVec toks;
  TokenizeSubjectIntoSlice(toks, subj);
  ASSERT_EQ(toks.size(), 40u);
  for (std::size_t i = 0; i < toks.size(); ++i) EXPECT_EQ(toks[i], std::to_string(i));
  TokenVec copy = toks;
  EXPECT_EQ(copy.size(), 40u);
  EXPECT_EQ(copy[39], "39");
  std::vector<std::string_view> v;
  TokenizeSubjectIntoSlice(v, "");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0], "");
  EXPECT_TRUE(IsSubsetMatch(toks.span(), ">"));
  EXPECT_TRUE(SubjectIsSubsetMatch(subj, subj));
}

TEST(SubjectHelpers, IsValidSubjectRunesAndWhitespace) {
  EXPECT_FALSE(IsValidSubject(""));
  EXPECT_FALSE(IsValidSubject("foo bar"));
  EXPECT_FALSE(IsValidSubject("foo.\t"));
  EXPECT_FALSE(IsValidSubject("foo.\f.bar"));
  EXPECT_TRUE(IsValidSubject("caf\xc3\xa9.bar", true));          // valid UTF-8
  EXPECT_TRUE(IsValidSubject("\xf0\x9f\x98\x80", true));          // 4-byte rune
  EXPECT_FALSE(IsValidSubject("foo.\xff", true));                 // invalid byte
  EXPECT_TRUE(IsValidSubject("foo.\xff", false));                 // not checked
  EXPECT_FALSE(IsValidSubject("foo.\xc3", true));                 // truncated
  EXPECT_FALSE(IsValidSubject("\xc0\xaf", true));                 // overlong
  EXPECT_FALSE(IsValidSubject("\xed\xa0\x80", true));             // surrogate
  EXPECT_FALSE(IsValidSubject("\xf4\x90\x80\x80", true));         // above U+10FFFF
  EXPECT_FALSE(IsValidSubject("a.\xef\xbf\xbd", true));            // U+FFFD itself
}

TEST(SubjectHelpers, SubsetMatchTokenEdges) {
  // A test token that merely starts with '*' still covers any literal.
  EXPECT_TRUE(SubjectIsSubsetMatch("foo.bar", "foo.*x"));
  EXPECT_FALSE(SubjectIsSubsetMatch("foo", "foo.bar"));
  EXPECT_FALSE(SubjectIsSubsetMatch("foo.bar", "foo"));
  EXPECT_FALSE(SubjectIsSubsetMatch(">", "*"));
  EXPECT_TRUE(SubjectIsSubsetMatch(">", ">"));
  EXPECT_FALSE(SubjectIsSubsetMatch("*", "foo"));
}

}  // namespace
}  // namespace natscpp::store::subject
