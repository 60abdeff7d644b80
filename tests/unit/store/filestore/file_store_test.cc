// Ports of server/filestore_test.go. Most of its tests write a store first;
// they arrive with the write path. Those here need only the read side and
// the consumer-state codec.
#include <gtest/gtest.h>

#include <chrono>
#include <string_view>

#include "natscpp/store/state_codec.h"
#include "natscpp/store/store_types.h"

namespace natscpp::store {
namespace {

std::span<const uint8_t> Bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(FileStore, TestFileStoreConsumerEncodeDecodeRedelivered) {
  ConsumerState state;
  state.delivered = {100, 100};
  state.ack_floor = {50, 50};
  state.redelivered = {{122, 3}, {144, 8}};
  const auto buf = EncodeConsumerState(state);
  auto rstate = DecodeConsumerState(buf);
  ASSERT_TRUE(rstate) << rstate.error().message();
  EXPECT_EQ(state, *rstate);
}

TEST(FileStore, TestFileStoreConsumerEncodeDecodePendingBelowStreamAckFloor) {
  ConsumerState state;
  state.delivered = {1192, 10185};
  state.ack_floor = {1189, 10815};
  // Whole seconds, ten seconds ago, as the Go test rounds them.
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count() -
      10;
  const int64_t now = now_s * 1'000'000'000;
  state.pending = {
      {10782, {1190, now}},
      {10810, {1191, now + 1'000'000'000}},
      {10815, {1192, now + 2'000'000'000}},
  };
  const auto buf = EncodeConsumerState(state);
  auto rstate = DecodeConsumerState(buf);
  ASSERT_TRUE(rstate) << rstate.error().message();
  ASSERT_EQ(rstate->pending.size(), 3u);
  for (const auto& [sseq, p] : state.pending) {
    auto it = rstate->pending.find(sseq);
    ASSERT_NE(it, rstate->pending.end()) << "did not find sseq=" << sseq;
    EXPECT_EQ(it->second, p) << "pending for sseq=" << sseq;
  }
  state.pending.clear();
  rstate->pending.clear();
  EXPECT_EQ(state, *rstate);
}

TEST(FileStore, TestFileStoreBadConsumerState) {
  const std::string_view bs(
      "\x16\x02\x01\x01\x03\x02\x01\x98\xf4\x8a\x8a\x0c\x01\x03\x86\xfa\x0a\x01\x00\x01", 20);
  auto cs = DecodeConsumerState(Bytes(bs));
  ASSERT_TRUE(cs) << cs.error().message();
}

}  // namespace
}  // namespace natscpp::store
