// Ports of the header-helper tests of server/client_test.go.
#include "headers/headers.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace natscpp::store::headers {
namespace {

Bytes B(std::string_view s) {
  const ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}
std::string S(ByteView b) { return std::string(AsString(b)); }

TEST(Client, TestRemoveHeaderIfPrefixPresent) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, "a", "1");
  hdr = GenHeader(hdr, kJSExpectedStream, "my-stream");
  hdr = GenHeader(hdr, kJSExpectedLastSeq, "22");
  hdr = GenHeader(hdr, "b", "2");
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeq, "24");
  hdr = GenHeader(hdr, kJSExpectedLastMsgId, "1");
  hdr = GenHeader(hdr, "c", "3");

  hdr = RemoveHeaderIfPrefixPresent(std::move(hdr), "Nats-Expected-");
  EXPECT_EQ(S(hdr), "NATS/1.0\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n");
}

TEST(Client, TestRemoveHeaderIfPrefixPresentSkipsValueMatches) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  // A prefix match inside another header's value must not stop the scan.
  hdr = GenHeader(hdr, "X-Note", "see Nats-Expected-Stream below");
  hdr = GenHeader(hdr, kJSExpectedStream, "my-stream");
  hdr = GenHeader(hdr, kJSExpectedLastSeq, "22");
  hdr = GenHeader(hdr, "c", "3");

  hdr = RemoveHeaderIfPrefixPresent(std::move(hdr), "Nats-Expected-");
  EXPECT_EQ(S(hdr), "NATS/1.0\r\nX-Note: see Nats-Expected-Stream below\r\nc: 3\r\n\r\n");
}

TEST(Client, TestRemoveHeaderIfPresentSkipsValueMatches) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, "X-Note", "Nats-Msg-Id is set below");
  hdr = GenHeader(hdr, "Nats-Msg-Id", "real-id");
  hdr = GenHeader(hdr, "c", "3");

  hdr = RemoveHeaderIfPresent(std::move(hdr), "Nats-Msg-Id");
  EXPECT_EQ(S(hdr), "NATS/1.0\r\nX-Note: Nats-Msg-Id is set below\r\nc: 3\r\n\r\n");
}

TEST(Client, TestRemoveHeaderIfPresentDuplicates) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, "a", "1");
  hdr = GenHeader(hdr, "a", "2");
  hdr = GenHeader(hdr, "c", "3");
  hdr = GenHeader(hdr, "a", "4");
  hdr = GenHeader(hdr, "a", "5");

  hdr = RemoveHeaderIfPresent(std::move(hdr), "a");
  EXPECT_EQ(S(hdr), "NATS/1.0\r\nc: 3\r\n\r\n");
}

TEST(Client, TestSliceHeader) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, "a", "1");
  hdr = GenHeader(hdr, kJSExpectedStream, "my-stream");
  hdr = GenHeader(hdr, kJSExpectedLastSeq, "22");
  hdr = GenHeader(hdr, "b", "2");
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeq, "24");
  hdr = GenHeader(hdr, kJSExpectedLastMsgId, "1");
  hdr = GenHeader(hdr, "c", "3");

  const std::optional<ByteView> sliced = SliceHeader(kJSExpectedLastSubjSeq, hdr);
  const std::optional<Bytes> copied = GetHeader(kJSExpectedLastSubjSeq, hdr);

  ASSERT_TRUE(sliced.has_value());
  // Go checks cap(sliced) == 2: the view covers exactly the value.
  EXPECT_EQ(sliced->size(), 2u);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->size(), 2u);
  EXPECT_EQ(S(*sliced), S(*copied));
  EXPECT_EQ(S(*copied), "24");
}

TEST(Client, TestSliceHeaderOrderingPrefix) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  // Headers sharing a prefix: the longer one must not hide the shorter.
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeqSubj, "foo");
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeq, "24");

  const std::optional<ByteView> sliced = SliceHeader(kJSExpectedLastSubjSeq, hdr);
  const std::optional<Bytes> copied = GetHeader(kJSExpectedLastSubjSeq, hdr);

  ASSERT_TRUE(sliced.has_value());
  EXPECT_EQ(sliced->size(), 2u);
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(copied->size(), 2u);
  EXPECT_EQ(S(*sliced), S(*copied));
}

TEST(Client, TestSliceHeaderOrderingSuffix) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  // Headers sharing a suffix: the longer one must not hide the shorter.
  hdr = GenHeader(hdr, "Previous-Nats-Msg-Id", "user");
  hdr = GenHeader(hdr, "Nats-Msg-Id", "control");

  const std::optional<ByteView> sliced = SliceHeader("Nats-Msg-Id", hdr);
  const std::optional<Bytes> copied = GetHeader("Nats-Msg-Id", hdr);

  ASSERT_TRUE(sliced.has_value());
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(S(*sliced), S(*copied));
  EXPECT_EQ(S(*copied), "control");
}

TEST(Client, TestRemoveHeaderIfPresentOrderingPrefix) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeqSubj, "foo");
  hdr = GenHeader(hdr, kJSExpectedLastSubjSeq, "24");

  hdr = RemoveHeaderIfPresent(std::move(hdr), kJSExpectedLastSubjSeq);
  const Bytes ehdr = GenHeader({}, kJSExpectedLastSubjSeqSubj, "foo");
  EXPECT_EQ(S(hdr), S(ehdr));
}

TEST(Client, TestRemoveHeaderIfPresentOrderingSuffix) {
  Bytes hdr = B("NATS/1.0\r\n\r\n");
  hdr = GenHeader(hdr, "Previous-Nats-Msg-Id", "user");
  hdr = GenHeader(hdr, "Nats-Msg-Id", "control");

  hdr = RemoveHeaderIfPresent(std::move(hdr), "Nats-Msg-Id");
  const Bytes ehdr = GenHeader({}, "Previous-Nats-Msg-Id", "user");
  EXPECT_EQ(S(hdr), S(ehdr));
}

}  // namespace
}  // namespace natscpp::store::headers
