// Tests of elastic::Pointer (suite Elastic). Go has no tests for
// server/elastic; these are the port's own.
#include "elastic/elastic.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace natscpp::store::elastic {
namespace {

TEST(Elastic, MakeIsWeak) {
  auto target = std::make_shared<std::string>("cache");
  Pointer<std::string> p = Make(target);
  EXPECT_FALSE(p.IsStrong());
  ASSERT_NE(p.Value(), nullptr);
  EXPECT_EQ(*p.Value(), "cache");
  EXPECT_EQ(p.Value().get(), target.get());

  // Weak: releasing the only owner releases the target.
  target.reset();
  EXPECT_EQ(p.Value(), nullptr);
}

TEST(Elastic, StrengthenKeepsTargetAlive) {
  auto target = std::make_shared<int>(42);
  std::weak_ptr<int> watch = target;
  Pointer<int> p = Make(target);
  p.Strengthen();
  EXPECT_TRUE(p.IsStrong());
  target.reset();
  ASSERT_NE(p.Value(), nullptr);
  EXPECT_EQ(*p.Value(), 42);
  EXPECT_FALSE(watch.expired());

  // Weakening drops the last owner.
  p.Weaken();
  EXPECT_FALSE(p.IsStrong());
  EXPECT_TRUE(watch.expired());
  EXPECT_EQ(p.Value(), nullptr);
}

TEST(Elastic, StrengthenAfterReleaseStaysNull) {
  auto target = std::make_shared<int>(1);
  Pointer<int> p = Make(target);
  target.reset();
  p.Strengthen();
  EXPECT_FALSE(p.IsStrong());
  EXPECT_EQ(p.Value(), nullptr);
  // Weakening a weak pointer changes nothing.
  p.Weaken();
  EXPECT_EQ(p.Value(), nullptr);
}

TEST(Elastic, SetKeepsStrength) {
  auto a = std::make_shared<int>(1);
  auto b = std::make_shared<int>(2);
  auto c = std::make_shared<int>(3);

  // Weak stays weak.
  Pointer<int> weak = Make(a);
  weak.Set(b);
  EXPECT_FALSE(weak.IsStrong());
  ASSERT_NE(weak.Value(), nullptr);
  EXPECT_EQ(*weak.Value(), 2);

  // Strong stays strong and now owns the new target, not the old one.
  Pointer<int> strong = Make(a);
  strong.Strengthen();
  std::weak_ptr<int> watch_a = a;
  std::weak_ptr<int> watch_c = c;
  strong.Set(c);
  EXPECT_TRUE(strong.IsStrong());
  a.reset();
  c.reset();
  EXPECT_TRUE(watch_a.expired());
  EXPECT_FALSE(watch_c.expired());
  ASSERT_NE(strong.Value(), nullptr);
  EXPECT_EQ(*strong.Value(), 3);
}

TEST(Elastic, DefaultIsNull) {
  Pointer<int> p;
  EXPECT_EQ(p.Value(), nullptr);
  p.Strengthen();
  EXPECT_FALSE(p.IsStrong());
  EXPECT_EQ(p.Value(), nullptr);
}

}  // namespace
}  // namespace natscpp::store::elastic
