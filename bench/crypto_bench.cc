// Throughput of the crypto area: HighwayHash-64 (record checksums) and the
// block keystreams / AEADs of encrypted stores.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "crypto/cipher.h"
#include "crypto/highwayhash.h"

namespace {

using natscpp::store::crypto::GenBlockEncryptionKey;
using natscpp::store::crypto::GenEncryptionKey;
using natscpp::store::crypto::HashKeyFromString;
using natscpp::store::crypto::HighwayHash64;
using natscpp::store::crypto::HighwayHash64Sum;
using natscpp::store::crypto::StoreCipher;

std::vector<uint8_t> Data(size_t n) {
  std::vector<uint8_t> d(n);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<uint8_t>(i * 131 + 7);
  return d;
}

// Streaming hasher, fed in one Update (the per-record path).
void BM_HighwayHash64Streaming(benchmark::State& state) {
  const auto data = Data(static_cast<size_t>(state.range(0)));
  HighwayHash64 h(HashKeyFromString("ORDERS-1"));
  for (auto _ : state) {
    h.Reset();
    h.Update(data);
    benchmark::DoNotOptimize(h.Sum64());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HighwayHash64Streaming)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

// One-shot hash with run-time SIMD dispatch.
void BM_HighwayHash64OneShot(benchmark::State& state) {
  const auto data = Data(static_cast<size_t>(state.range(0)));
  const auto key = HashKeyFromString("ORDERS-1");
  for (auto _ : state) {
    benchmark::DoNotOptimize(HighwayHash64Sum(key, data));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_HighwayHash64OneShot)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

// Record-shaped input: seq/ts, subject, headers, payload as fragments.
void BM_HighwayHash64Fragments(benchmark::State& state) {
  const auto payload = Data(static_cast<size_t>(state.range(0)));
  const auto seq_ts = Data(16);
  const auto subj = Data(20);
  const auto hdr = Data(40);
  const auto key = HashKeyFromString("ORDERS-1");
  for (auto _ : state) {
    benchmark::DoNotOptimize(HighwayHash64Sum(key, {seq_ts, subj, hdr, payload}));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          (state.range(0) + 16 + 20 + 40));
}
BENCHMARK(BM_HighwayHash64Fragments)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

void XorKeyStreamBench(benchmark::State& state, StoreCipher cipher) {
  std::vector<uint8_t> buf = Data(static_cast<size_t>(state.range(0)));
  const std::vector<uint8_t> seed(32, 0x11);
  const std::vector<uint8_t> nonce(cipher == StoreCipher::kChaCha ? 24 : 16, 0x22);
  auto s = GenBlockEncryptionKey(cipher, seed, nonce);
  if (!s) {
    state.SkipWithError(s.error().message().c_str());
    return;
  }
  for (auto _ : state) {
    // Rewinding keeps the counter in range however long the run.
    if (!(*s)->Seek(0) || !(*s)->XorKeyStream(buf)) {
      state.SkipWithError("keystream failed");
      break;
    }
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_XorKeyStreamXChaCha20(benchmark::State& state) {
  XorKeyStreamBench(state, StoreCipher::kChaCha);
}
BENCHMARK(BM_XorKeyStreamXChaCha20)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

void BM_XorKeyStreamAesCtr(benchmark::State& state) {
  XorKeyStreamBench(state, StoreCipher::kAes);
}
BENCHMARK(BM_XorKeyStreamAesCtr)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

void SealBench(benchmark::State& state, StoreCipher cipher) {
  const auto plain = Data(static_cast<size_t>(state.range(0)));
  auto aead = GenEncryptionKey(cipher, std::vector<uint8_t>(32, 0x33));
  if (!aead) {
    state.SkipWithError(aead.error().message().c_str());
    return;
  }
  const std::vector<uint8_t> nonce((*aead)->NonceSize(), 0x44);
  std::vector<uint8_t> out;
  out.reserve(plain.size() + 16);
  for (auto _ : state) {
    out.clear();
    if (!(*aead)->SealAppend(out, nonce, plain, {})) {
      state.SkipWithError("seal failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_SealXChaCha20Poly1305(benchmark::State& state) {
  SealBench(state, StoreCipher::kChaCha);
}
BENCHMARK(BM_SealXChaCha20Poly1305)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

void BM_SealAesGcm(benchmark::State& state) { SealBench(state, StoreCipher::kAes); }
BENCHMARK(BM_SealAesGcm)->Arg(128)->Arg(4 << 10)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();
