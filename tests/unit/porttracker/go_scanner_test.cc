// Tests of the Go declaration scanner on small Go-syntax inputs written for
// these tests.
#include "go_scanner.h"

#include <gtest/gtest.h>

namespace natscpp::porttracker {
namespace {

std::vector<GoDecl> Scan(std::string_view src) {
  auto r = ScanGoSource(src);
  EXPECT_TRUE(r.has_value()) << r.error();
  return r.value_or(std::vector<GoDecl>{});
}

TEST(GoScanner, PlainFuncsAndMethods) {
  const auto d = Scan(
      "package p\n"
      "\n"
      "func alpha() {}\n"
      "func (b *box) Put(x int) error {\n"
      "\treturn nil\n"
      "}\n"
      "func (b box) Get() int { return b.v }\n");
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].QualifiedName(), "alpha");
  EXPECT_EQ(d[0].start_line, 3);
  EXPECT_EQ(d[0].end_line, 3);
  EXPECT_EQ(d[1].QualifiedName(), "(*box).Put");
  EXPECT_EQ(d[1].start_line, 4);
  EXPECT_EQ(d[1].end_line, 6);
  EXPECT_EQ(d[2].QualifiedName(), "(box).Get");
}

TEST(GoScanner, ReceiversWithoutNamesAndWithTypeParameters) {
  const auto d = Scan(
      "package p\n"
      "func (*tree) noName() {}\n"
      "func (t *Tree[T]) Insert(k []byte, v T) (*T, bool) { return nil, false }\n"
      "func (m Map[K, V]) Len() int { return 0 }\n"
      "func Find[T any, U comparable](xs []T, f func(T) U) U { var u U; return u }\n");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].QualifiedName(), "(*tree).noName");
  EXPECT_EQ(d[1].QualifiedName(), "(*Tree).Insert");
  EXPECT_EQ(d[2].QualifiedName(), "(Map).Len");
  EXPECT_EQ(d[3].QualifiedName(), "Find");
}

TEST(GoScanner, FuncTypedParametersAndResults) {
  const auto d = Scan(
      "package p\n"
      "func walk(cb func(a, b int) (bool, error), done func()) func() error {\n"
      "\treturn func() error { return nil }\n"
      "}\n"
      "func shape() struct{ a int } { return struct{ a int }{} }\n"
      "func iface() interface{ M() } {\n"
      "\treturn nil\n"
      "}\n"
      "func set() map[string]struct{} { return nil }\n");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0].name, "walk");
  EXPECT_EQ(d[0].end_line, 4);
  EXPECT_EQ(d[1].name, "shape");
  EXPECT_EQ(d[1].end_line, 5);
  EXPECT_EQ(d[2].name, "iface");
  EXPECT_EQ(d[2].end_line, 8);
  EXPECT_EQ(d[3].name, "set");
}

TEST(GoScanner, BracesInsideStringsRunesAndComments) {
  const auto d = Scan(
      "package p\n"
      "// func commented() {\n"
      "/* func blockComment() { */\n"
      "func a() string {\n"
      "\ts := \"}{\\\"}\"\n"
      "\tr := '}'\n"
      "\tq := '\\''\n"
      "\traw := `\n"
      "func notADecl() {\n"
      "}`\n"
      "\t// }\n"
      "\treturn s + string(r) + string(q) + raw\n"
      "}\n"
      "func b() {}\n");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "a");
  EXPECT_EQ(d[0].end_line, 13);
  EXPECT_EQ(d[1].name, "b");
  EXPECT_EQ(d[1].start_line, 14);
}

TEST(GoScanner, MultiLineSignatures) {
  const auto d = Scan(
      "package p\n"
      "func (fs *store) load(\n"
      "\tseq uint64,\n"
      "\tsm *msg,\n"
      ") (\n"
      "\t*msg,\n"
      "\terror,\n"
      ") {\n"
      "\treturn nil, nil\n"
      "}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].QualifiedName(), "(*store).load");
  EXPECT_EQ(d[0].start_line, 2);
  EXPECT_EQ(d[0].end_line, 10);
}

TEST(GoScanner, FuncLiteralsAtTopLevelAreNotDeclarations) {
  const auto d = Scan(
      "package p\n"
      "var hook = func() {}\n"
      "var (\n"
      "\tother = func(x int) int { return x }\n"
      ")\n"
      "func real() {}\n"
      "func noBody(x int) int\n");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].name, "real");
  EXPECT_EQ(d[1].name, "noBody");
  EXPECT_EQ(d[1].end_line, 7);
}

TEST(GoScanner, CollectsCalls) {
  const auto d = Scan(
      "package p\n"
      "func TestX(t *testing.T) {\n"
      "\tfs, err := newStore(cfg)\n"
      "\tfs.StoreMsg(\"a\", nil)\n"
      "\tif len(x) > 0 { panic(\"x\") }\n"
      "}\n");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].calls, (std::vector<std::string>{"newStore", ".StoreMsg"}));
}

TEST(GoScanner, RecognizesGoTests) {
  const auto d = Scan(
      "package p\n"
      "func TestMain(m *testing.M) {}\n"
      "func TestStore(t *testing.T) {}\n"
      "func Testable(t *testing.T) {}\n"
      "func BenchmarkLoad(b *testing.B) {}\n"
      "func FuzzDecode(f *testing.F) {}\n"
      "func TestHelper(t *testing.T, n int) {}\n"
      "func testLower(t *testing.T) {}\n");
  std::vector<std::string> tests;
  for (const GoDecl& g : d) {
    if (IsGoTestFunc(g)) tests.push_back(g.name);
  }
  EXPECT_EQ(tests, (std::vector<std::string>{"TestStore", "BenchmarkLoad", "FuzzDecode"}));
}

TEST(GoScanner, RejectsBrokenSource) {
  EXPECT_FALSE(ScanGoSource("package p\nfunc a() { s := \"open\n}\n").has_value());
  EXPECT_FALSE(ScanGoSource("package p\nfunc a() {\n").has_value());
  EXPECT_FALSE(ScanGoSource("package p\n/* never closed\n").has_value());
  const auto err = ScanGoSource("package p\n\nfunc a() {\n");
  ASSERT_FALSE(err.has_value());
  EXPECT_NE(err.error().find("line"), std::string::npos);
}

}  // namespace
}  // namespace natscpp::porttracker
