// The interfaces compile against the config and state types and can be
// implemented; a tiny consumer store shows the contract's shape.
#include "natscpp/store/stream_store.h"

#include <gtest/gtest.h>

#include "gsl/gsl.h"
#include "natscpp/store/state_codec.h"

namespace natscpp::store {
namespace {

// A consumer store holding its state in memory, enough to exercise the
// interface (the real ones are ports of consumerMemStore and
// consumerFileStore).
class TinyConsumerStore final : public ConsumerStore {
 public:
  Result<void> SetStarting(uint64_t sseq) override {
    state_.delivered.stream = sseq;
    state_.ack_floor.stream = sseq;
    return {};
  }
  void UpdateStarting(uint64_t sseq) override { state_.delivered.stream = sseq; }
  Result<void> Reset(uint64_t sseq) override {
    state_ = {};
    return SetStarting(sseq);
  }
  bool HasState() override { return state_.delivered.stream != 0; }
  Result<void> UpdateDelivered(uint64_t dseq, uint64_t sseq, uint64_t, int64_t ts) override {
    state_.delivered = {dseq, sseq};
    state_.pending[sseq] = Pending{dseq, ts};
    return {};
  }
  Result<void> UpdateAcks(uint64_t dseq, uint64_t sseq) override {
    if (state_.pending.erase(sseq) == 0) return MakeError(ErrorCode::kStoreMsgNotFound, "not pending");
    state_.ack_floor = {dseq, sseq};
    return {};
  }
  void RemoveRedeliveredBelow(uint64_t seq) override { std::erase_if(state_.redelivered, [&](auto& e) { return e.first < seq; }); }
  Result<void> UpdateConfig(const ConsumerConfig&) override { return {}; }
  Result<void> Update(const ConsumerState& s) override {
    state_ = s;
    return {};
  }
  Result<void> ForceUpdate(const ConsumerState& s) override { return Update(s); }
  Result<ConsumerState> State() override { return state_; }
  Result<std::vector<uint8_t>> EncodedState() override { return EncodeConsumerState(state_); }
  StorageType Type() const override { return StorageType::kMemory; }
  Result<void> Stop() override { return {}; }
  Result<void> Delete() override { return {}; }
  Result<void> StreamDelete() override { return {}; }

 private:
  ConsumerState state_;
};

TEST(StoreInterfaces, ConsumerStoreContractShape) {
  std::unique_ptr<ConsumerStore> cs = std::make_unique<TinyConsumerStore>();
  ASSERT_TRUE(cs->SetStarting(10));
  ASSERT_TRUE(cs->UpdateDelivered(1, 11, 1, 5'000'000'000));
  EXPECT_EQ(cs->UpdateAcks(1, 12).error().code(), ErrorCode::kStoreMsgNotFound);
  ASSERT_TRUE(cs->UpdateAcks(1, 11));
  const auto st = cs->State();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->ack_floor, (SequencePair{1, 11}));
  const auto enc = cs->EncodedState();
  ASSERT_TRUE(enc);
  EXPECT_EQ(*DecodeConsumerState(*enc), *st);
  EXPECT_EQ(cs->Type(), StorageType::kMemory);
}

}  // namespace
}  // namespace natscpp::store
