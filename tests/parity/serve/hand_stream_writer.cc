#include "hand_stream_writer.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <set>
#include <string>

#include "crypto/cipher.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/record.h"
#include "natscpp/store/stream_config.h"

namespace natscpp::parity::serve {

namespace fs = std::filesystem;
namespace crypto = store::crypto;

namespace {

// The account every parity server puts streams in (no accounts configured).
constexpr std::string_view kAccount = "$G";

template <typename T>
T Must(store::Result<T> r, const std::string& what) {
  if (!r) throw GenError(what + ": " + r.error().message());
  return std::move(*r);
}

void Must(store::Result<void> r, const std::string& what) {
  if (!r) throw GenError(what + ": " + r.error().message());
}

void WriteFile(const fs::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw GenError("cannot write " + path.string());
}

crypto::StoreCipher CipherByName(const std::string& name) {
  if (name == "chacha") return crypto::StoreCipher::kChaCha;
  if (name == "aes") return crypto::StoreCipher::kAes;
  throw GenError("unknown cipher " + name);
}

// The config a 2.9.10 server stores for a plain `stream add` with these
// subjects (field values as in golden/2.9.10/*/expect.json).
store::StreamConfig DefaultConfig(const StreamContents& c) {
  store::StreamConfig cfg;
  cfg.name = c.name;
  cfg.subjects = c.subjects;
  cfg.retention = store::RetentionPolicy::kLimits;
  cfg.max_consumers = -1;
  cfg.max_msgs = -1;
  cfg.max_bytes = -1;
  cfg.max_msgs_per = -1;
  cfg.max_msg_size = -1;
  cfg.discard = store::DiscardPolicy::kOld;
  cfg.storage = store::StorageType::kFile;
  cfg.replicas = 1;
  cfg.duplicates = std::chrono::minutes(2);
  return cfg;
}

std::string HexSum(std::string_view stream, std::span<const uint8_t> bytes) {
  std::array<uint8_t, crypto::kHighwayHash64Size> sum{};
  crypto::PutHash64(crypto::HighwayHash64Sum(crypto::HashKeyFromString(stream), bytes), sum);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : sum) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

// One record to write: a message or a skip placeholder.
struct Rec {
  uint64_t seq;
  const TestMsg* msg;  // null for a skip record
  int64_t ts;
};

}  // namespace

void WriteHandMadeStream(const StreamContents& contents, const HandBlockLayout& layout,
                         const std::optional<Encryption>& encryption, const fs::path& dir) {
  fs::create_directories(dir / "msgs");
  const std::string& name = contents.name;

  crypto::KeyGenFn prf;
  crypto::StoreCipher cipher = crypto::StoreCipher::kChaCha;
  std::unique_ptr<crypto::Aead> stream_aek;
  if (encryption) {
    prf = crypto::KeyGen(encryption->key, kAccount);
    cipher = CipherByName(encryption->cipher);
    auto keys = Must(crypto::GenEncryptionKeys(prf, cipher, crypto::StreamKeyContext(name)), "stream key");
    WriteFile(dir / "meta.key", keys.encrypted);
    stream_aek = std::move(keys.aek);
  }

  // meta.inf and meta.sum, as writeStreamMeta lays them out.
  const std::string json =
      Must(store::EncodeFileStreamInfo({contents.created, DefaultConfig(contents)}), "meta.inf");
  std::vector<uint8_t> meta(json.begin(), json.end());
  if (stream_aek) meta = Must(crypto::SealWithRandomNonce(*stream_aek, meta), "seal meta.inf");
  WriteFile(dir / "meta.inf", meta);
  const std::string sum = HexSum(name, meta);
  WriteFile(dir / "meta.sum", {reinterpret_cast<const uint8_t*>(sum.data()), sum.size()});

  // Records in sequence order, cut into blocks at layout.block_starts.
  std::vector<Rec> recs;
  for (const auto& m : contents.msgs) recs.push_back({m.seq, &m, m.ts});
  for (const auto& s : contents.skips) recs.push_back({s.seq, nullptr, s.ts});
  std::sort(recs.begin(), recs.end(), [](const Rec& a, const Rec& b) { return a.seq < b.seq; });
  for (size_t i = 1; i < recs.size(); ++i) {
    if (recs[i].seq == recs[i - 1].seq) throw GenError("sequence " + std::to_string(recs[i].seq) + " given twice");
  }
  const std::set<uint64_t> starts(layout.block_starts.begin(), layout.block_starts.end());

  uint64_t index = 0;
  std::vector<uint8_t> block;
  auto flush = [&] {
    if (index == 0) return;
    if (encryption) {
      auto keys = Must(crypto::GenEncryptionKeys(prf, cipher, crypto::BlockKeyContext(name, index)),
                       "block key " + std::to_string(index));
      WriteFile(dir / "msgs" / (std::to_string(index) + ".key"), keys.encrypted);
      Must(keys.bek->XorKeyStream(std::span<uint8_t>(block)), "encrypt block " + std::to_string(index));
    }
    WriteFile(dir / "msgs" / (std::to_string(index) + ".blk"), block);
    block.clear();
  };
  crypto::HashKey key{};
  for (const Rec& r : recs) {
    if (index == 0 || (starts.contains(r.seq) && !block.empty())) {
      flush();
      ++index;
      key = store::filestore::BlockHashKey(name, index);
    }
    if (r.msg == nullptr) {
      store::filestore::AppendSkipRecord(block, key, r.seq, r.ts);
    } else {
      const auto& m = *r.msg;
      store::filestore::AppendRecord(block, key, r.seq, r.ts, m.subject,
                                     {reinterpret_cast<const uint8_t*>(m.hdrs.data()), m.hdrs.size()},
                                     {reinterpret_cast<const uint8_t*>(m.data.data()), m.data.size()});
    }
  }
  flush();
}

}  // namespace natscpp::parity::serve
