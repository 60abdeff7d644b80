// Tests of the consumer-state and replicated-stream-state encodings,
// including the o.dat files of the Go-written golden stores.
#include "natscpp/store/state_codec.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../golden_store.h"
#include "api/seqset_delete_block.h"
#include "avl/seqset.h"
#include "util/varint.h"

namespace natscpp::store {
namespace {

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

ConsumerState SampleState() {
  ConsumerState s;
  s.delivered = {20, 120};
  s.ack_floor = {10, 110};
  // Timestamps are whole seconds: the encoding keeps only seconds.
  s.pending[111] = Pending{11, 1'700'000'000LL * 1'000'000'000};
  s.pending[115] = Pending{15, 1'700'000'005LL * 1'000'000'000};
  s.redelivered[111] = 3;
  return s;
}

TEST(StateCodec, ConsumerStateRoundTrip) {
  const ConsumerState s = SampleState();
  const auto enc = EncodeConsumerState(s, 1'700'000'010);
  ASSERT_GE(enc.size(), 2u);
  EXPECT_EQ(enc[0], 22);
  EXPECT_EQ(enc[1], 2);
  const auto dec = DecodeConsumerState(enc);
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ(*dec, s);
}

TEST(StateCodec, ConsumerStateExactBytes) {
  // Worked by hand from the version-2 layout: floors, delivered, pending
  // count, base time, per pending (sseq-floor, dseq-floor, base-ts),
  // redelivered count, per redelivered (sseq-floor, count).
  ConsumerState s;
  s.delivered = {2, 3};
  s.ack_floor = {1, 1};
  s.pending[3] = Pending{2, 98LL * 1'000'000'000};
  s.redelivered[3] = 2;
  const std::vector<uint8_t> want = {22, 2, 1, 1, 2, 3, 1, 200, 1, 2, 1, 4, 1, 2, 2};
  EXPECT_EQ(EncodeConsumerState(s, 100), want);
  // An empty state still writes the redelivered count.
  EXPECT_EQ(EncodeConsumerState(ConsumerState{}, 100), (std::vector<uint8_t>{22, 2, 0, 0, 0, 0, 0, 0}));
}

TEST(StateCodec, ConsumerStateVersion1) {
  // Version 1 kept delivered relative to the ack floor and pending times
  // as offsets after the base.
  const std::vector<uint8_t> v1 = {22, 1, 5, 5, 3, 3, 1, 20, 1, 2, 0};
  const auto dec = DecodeConsumerState(v1);
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ(dec->ack_floor, (SequencePair{5, 5}));
  EXPECT_EQ(dec->delivered, (SequencePair{7, 7}));
  ASSERT_EQ(dec->pending.size(), 1u);
  EXPECT_EQ(dec->pending.begin()->first, 6u);
  EXPECT_EQ(dec->pending.begin()->second.timestamp, 11LL * 1'000'000'000);
}

TEST(StateCodec, ConsumerStateRejectsBadInput) {
  EXPECT_EQ(DecodeConsumerState({}).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeConsumerState(Bytes("\x16")).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeConsumerState(std::vector<uint8_t>{21, 2, 0, 0, 0, 0}).error().code(), ErrorCode::kCorrupt);
  EXPECT_EQ(DecodeConsumerState(std::vector<uint8_t>{22, 9, 0, 0, 0, 0}).error().code(), ErrorCode::kUnsupported);
  // Cuts inside the sequences or the pending entries fail cleanly. Like
  // Go, a buffer that ends right after the four sequences reads as "no
  // pending, no redelivered", and the redelivered tail is advisory.
  const auto enc = EncodeConsumerState(SampleState(), 1'700'000'010);
  const size_t after_sequences = 6, redelivered_tail = 3;
  for (size_t n = 0; n < enc.size() - redelivered_tail; ++n) {
    EXPECT_EQ(DecodeConsumerState(std::span(enc).first(n)).has_value(), n == after_sequences) << "prefix " << n;
  }
  // A stream sequence with the top bit set would roll the consumer back.
  std::vector<uint8_t> high = {22, 2, 0};
  util::AppendUvarint(high, 1ull << 63);
  high.insert(high.end(), {0, 0, 0, 0});
  EXPECT_EQ(DecodeConsumerState(high).error().code(), ErrorCode::kCorrupt);
}

TEST(StateCodec, StreamStateDecode) {
  std::vector<uint8_t> b = {kStreamStateMagic, kStreamStateVersion};
  for (uint64_t v : {100u, 5000u, 10u, 120u, 1u, 11u}) util::AppendUvarint(b, v);
  AppendRunLength(b, 20, 5);
  EXPECT_EQ(RunLengthEncodeLen(20, 5), 3u);
  avl::SequenceSet ss;
  for (uint64_t s : {50u, 60u, 70u, 80u, 90u, 100u}) ss.Insert(s);
  const auto enc = ss.Encode();
  b.insert(b.end(), enc.begin(), enc.end());
  ASSERT_TRUE(IsEncodedStreamState(b));
  const auto st = DecodeStreamState(b);
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->msgs, 100u);
  EXPECT_EQ(st->bytes, 5000u);
  EXPECT_EQ(st->first_seq, 10u);
  EXPECT_EQ(st->last_seq, 120u);
  EXPECT_EQ(st->failed, 1u);
  ASSERT_EQ(st->deleted.size(), 2u);
  EXPECT_EQ(NumDeleted(st->deleted), 11u);
  const auto r = st->deleted[0]->State();
  EXPECT_EQ(r.first, 20u);
  EXPECT_EQ(r.last, 24u);
  std::vector<uint64_t> seen;
  st->deleted[1]->Range([&](uint64_t s) {
    seen.push_back(s);
    return s < 70;
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{50, 60, 70}));
}

TEST(StateCodec, StreamStateRejectsBadInput) {
  EXPECT_FALSE(IsEncodedStreamState(std::vector<uint8_t>{42}));
  EXPECT_EQ(DecodeStreamState(std::vector<uint8_t>{42, 2}).error().code(), ErrorCode::kBadEncoding);
  EXPECT_EQ(DecodeStreamState(std::vector<uint8_t>{42, 1, 1, 1}).error().code(), ErrorCode::kCorruptStreamState);
  // Deleted count set, but an unknown block tag follows.
  EXPECT_EQ(DecodeStreamState(std::vector<uint8_t>{42, 1, 0, 0, 0, 0, 0, 1, 99}).error().code(),
            ErrorCode::kCorruptStreamState);
  // A truncated run-length record.
  EXPECT_EQ(DecodeStreamState(std::vector<uint8_t>{42, 1, 0, 0, 0, 0, 0, 1, 33, 5}).error().code(),
            ErrorCode::kCorruptStreamState);
  // A truncated seqset.
  EXPECT_EQ(DecodeStreamState(std::vector<uint8_t>{42, 1, 0, 0, 0, 0, 0, 1, 22, 2, 1}).error().code(),
            ErrorCode::kCorruptStreamState);
}

TEST(DeleteBlocks, RangeAndSliceStates) {
  const DeleteRange empty(7, 0);
  EXPECT_EQ(empty.State().first, 7u);
  EXPECT_EQ(empty.State().last, 7u);
  EXPECT_EQ(empty.State().num, 0u);
  const DeleteSlice slice({3, 9, 12});
  EXPECT_EQ(slice.State().first, 3u);
  EXPECT_EQ(slice.State().last, 12u);
  EXPECT_EQ(slice.State().num, 3u);
  EXPECT_EQ(DeleteSlice({}).State().num, 0u);
  std::vector<uint64_t> seen;
  DeleteRange(10, 4).Range([&](uint64_t s) {
    seen.push_back(s);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<uint64_t>{10, 11, 12, 13}));
}

TEST(StoreMsgTest, CopyAndClear) {
  StoreMsg a;
  a.subject = "orders.1";
  const std::vector<uint8_t> h = {'N', 'A'}, m = {1, 2, 3};
  a.SetData(h, m);
  a.seq = 9;
  a.ts = 99;
  StoreMsg b;
  b.CopyFrom(a);
  EXPECT_EQ(b.subject, "orders.1");
  EXPECT_EQ(std::vector<uint8_t>(b.hdr().begin(), b.hdr().end()), h);
  EXPECT_EQ(std::vector<uint8_t>(b.msg().begin(), b.msg().end()), m);
  EXPECT_EQ(b.seq, 9u);
  b.Clear();
  EXPECT_TRUE(b.subject.empty());
  EXPECT_EQ(b.msg().size(), 0u);
  EXPECT_EQ(b.seq, 0u);
}

// Every consumer o.dat the Go servers wrote (unencrypted sets) decodes to
// the state the server reported after opening it.
TEST(StateCodec, GoldenConsumerStates) {
  if (!testing::HaveShared()) GTEST_SKIP() << "../shared is absent: golden stores not checked";
  int checked = 0;
  for (const std::string& set : testing::GoldenSets()) {
    testing::GoldenStore g(set);
    ASSERT_TRUE(g.ok()) << set;
    if (!g.expect()["encryption"].is_null()) continue;
    for (const auto& c : g.expect()["consumers"]) {
      const auto odat = g.stream_dir() / "obs" / c["name"].get<std::string>() / "o.dat";
      if (!std::filesystem::exists(odat)) continue;  // never written: no state yet
      const std::string raw = testing::ReadAll(odat);
      const auto st = DecodeConsumerState(std::span(reinterpret_cast<const uint8_t*>(raw.data()), raw.size()));
      ASSERT_TRUE(st) << set << " " << odat << ": " << st.error().message();
      EXPECT_EQ(st->delivered.consumer, c["delivered"]["consumer_seq"].get<uint64_t>()) << set;
      EXPECT_EQ(st->delivered.stream, c["delivered"]["stream_seq"].get<uint64_t>()) << set;
      EXPECT_EQ(st->ack_floor.consumer, c["ack_floor"]["consumer_seq"].get<uint64_t>()) << set;
      EXPECT_EQ(st->ack_floor.stream, c["ack_floor"]["stream_seq"].get<uint64_t>()) << set;
      EXPECT_EQ(st->pending.size(), c["num_ack_pending"].get<size_t>()) << set;
      EXPECT_EQ(st->redelivered.size(), c["num_redelivered"].get<size_t>()) << set;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace natscpp::store
