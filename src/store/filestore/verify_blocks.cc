// VerifyStreamDir, msgs/: every block with its key file, then the files
// that describe the blocks (index.db, legacy .idx/.fss) checked against
// what the blocks hold, then thw.db, sched.db and leftovers.
//
// Damage is data the server cannot read back: a record that fails, a block
// that does not decrypt or decompress, a key file that is lost. The index
// files are caches the server rebuilds from the blocks when they are stale
// or broken, so whatever is wrong with them is a note.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "avl/seqset.h"
#include "crypto/highwayhash.h"
#include "crypto/key_file.h"
#include "filestore/block_file.h"
#include "filestore/index_db.h"
#include "filestore/legacy_index.h"
#include "filestore/record.h"
#include "filestore/verify_internal.h"
#include "util/hex.h"
#include "sched/scheduler.h"
#include "thw/thw.h"
#include "util/filestore_constants.h"
#include "util/varint.h"

namespace natscpp::store::filestore::verify {
namespace {

std::string MsgsFile(std::string_view name) { return std::string(kMsgDir) + "/" + std::string(name); }
std::string MsgsFile(uint64_t index, std::string_view ext) {
  return MsgsFile(std::to_string(index) + std::string(ext));
}

// "<N><ext>" with N decimal digits only.
std::optional<uint64_t> IndexedName(std::string_view name, std::string_view ext) {
  if (!name.ends_with(ext) || name.size() == ext.size()) return std::nullopt;
  const auto digits = name.substr(0, name.size() - ext.size());
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// The files of msgs/, sorted by kind.
struct MsgsListing {
  std::map<uint64_t, bool> blocks;  // index → present (bool unused: a set)
  std::map<uint64_t, bool> keys;
  std::map<uint64_t, bool> idx;
  std::map<uint64_t, bool> fss;
  bool index_db = false, thw_db = false, sched_db = false;
  std::vector<std::string> others;  // leftovers and unknown names
};

MsgsListing ListMsgs(const std::filesystem::path& mdir) {
  MsgsListing l;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(mdir, ec)) {
    const auto name = e.path().filename().string();
    if (auto n = IndexedName(name, ".blk")) {
      l.blocks[*n] = true;
    } else if (auto k = IndexedName(name, ".key")) {
      l.keys[*k] = true;
    } else if (auto i = IndexedName(name, ".idx")) {
      l.idx[*i] = true;
    } else if (auto f = IndexedName(name, ".fss")) {
      l.fss[*f] = true;
    } else if (name == kStreamStateFile) {
      l.index_db = true;
    } else if (name == kTtlStateFile) {
      l.thw_db = true;
    } else if (name == kMsgSchedulingStateFile) {
      l.sched_db = true;
    } else {
      l.others.push_back(name);
    }
  }
  std::sort(l.others.begin(), l.others.end());
  return l;
}

// One block as found on disk.
struct BlockCheck {
  uint64_t index = 0;
  uint64_t stored_size = 0;
  // The block's last checksum the way the server takes it: the last 8
  // bytes of the decrypted file (they survive compression), zeros for a
  // file shorter than that. Unset when the block could not be decrypted.
  std::optional<std::array<uint8_t, 8>> lchk;
  std::optional<BlockSummary> summary;  // set when the records could be read
  std::unique_ptr<crypto::Aead> aek;    // block AEAD and key-file nonce (legacy .idx)
  std::vector<uint8_t> nonce;
};

std::string Describe(const Error& e) { return e.message(); }

// The block keys from msgs/<N>.key, trying the configured cipher and then
// the other, as the server's cipher conversion does.
std::optional<crypto::BlockKeys> LoadBlockKeys(const StreamContext& ctx, uint64_t index, Findings& out) {
  const auto key_name = MsgsFile(index, ".key");
  auto key = ReadWholeFile(ctx.dir / kMsgDir / (std::to_string(index) + ".key"));
  if (!key) {
    if (key.error().Is(ErrorCode::kNotFound)) {
      out.Damage(key_name, std::nullopt,
                 "missing: block " + std::to_string(index) +
                     " cannot be decrypted (the server would read the encrypted bytes as plaintext and "
                     "lose its messages)");
    } else {
      out.Damage(key_name, std::nullopt, "cannot be read: " + Describe(key.error()));
    }
    return std::nullopt;
  }
  if (key->size() < crypto::kMinBlkKeySize) {
    out.Damage(key_name, std::nullopt,
               "too short (" + std::to_string(key->size()) + " bytes, at least " +
                   std::to_string(crypto::kMinBlkKeySize) + "): block " + std::to_string(index) +
                   " cannot be decrypted and the server deletes it");
    return std::nullopt;
  }
  auto keys = crypto::RecoverBlockKeys(ctx.prf, ctx.cipher, ctx.stream, index, *key);
  if (keys) return std::move(*keys);
  auto other = crypto::RecoverBlockKeys(ctx.prf, OtherCipher(ctx.cipher), ctx.stream, index, *key);
  if (other) {
    out.Note(key_name, "opens with the " + std::string(crypto::String(OtherCipher(ctx.cipher))) +
                           " cipher: the server converts the block to the configured cipher");
    return std::move(*other);
  }
  out.Damage(key_name, std::nullopt,
             "does not open (" + Describe(keys.error()) + "): block " + std::to_string(index) +
                 " cannot be decrypted and the server deletes it");
  return std::nullopt;
}

// Why the scan stopped at `offset`: the block is cut inside a record
// (what a power loss leaves at the tail) or a complete record is corrupt.
std::string DescribeBadRecord(std::span<const uint8_t> plain, uint64_t offset, const std::string& reason) {
  const auto rest = plain.subspan(static_cast<size_t>(offset));
  const std::string at = " at offset " + std::to_string(offset);
  const std::string consequence = "; the server truncates the block there, dropping this and any later record";
  if (rest.size() < kMsgHdrSize) {
    return "block ends inside a record" + at + " (" + std::to_string(rest.size()) +
           " bytes left, less than a record header)" + consequence;
  }
  uint32_t rl = 0;
  for (size_t i = 0; i < 4; ++i) rl |= static_cast<uint32_t>(rest[i]) << (8 * i);
  rl &= ~kHeaderBit;
  if (rl >= kEmptyRecordLen && rl <= kRecordLenBadThreshold && rl > rest.size()) {
    return "block ends inside a record" + at + " (" + std::to_string(rest.size()) + " of its " +
           std::to_string(rl) + " bytes present)" + consequence;
  }
  if (reason == "invalid checksum") {
    return "checksum mismatch" + at + " (record of " + std::to_string(rl) + " bytes)" + consequence;
  }
  return "bad record" + at + ": " + reason + consequence;
}

// Decrypts, decompresses and scans one block.
BlockCheck CheckBlock(const StreamContext& ctx, uint64_t index, Findings& out) {
  BlockCheck bc;
  bc.index = index;
  const auto name = MsgsFile(index, ".blk");

  std::optional<crypto::BlockKeys> keys;
  if (ctx.prf) {
    keys = LoadBlockKeys(ctx, index, out);
    if (!keys) return bc;
  }
  auto stored = ReadWholeFile(ctx.dir / kMsgDir / (std::to_string(index) + ".blk"));
  if (!stored) {
    out.Damage(name, std::nullopt, "cannot be read: " + Describe(stored.error()));
    return bc;
  }
  bc.stored_size = stored->size();
  if (keys) {
    if (auto r = keys->bek->XorKeyStream(*stored); !r) {
      out.Damage(name, std::nullopt, "cannot be decrypted: " + Describe(r.error()));
      return bc;
    }
    bc.aek = std::move(keys->aek);
    bc.nonce = std::move(keys->nonce);
  }
  std::array<uint8_t, 8> lchk{};
  if (stored->size() >= lchk.size()) std::copy(stored->end() - 8, stored->end(), lchk.begin());
  bc.lchk = lchk;

  auto plain = DecompressIfNeeded(std::move(*stored));
  if (!plain) {
    out.Damage(name, std::nullopt,
               "cannot be decompressed (" + Describe(plain.error()) + "): none of its records can be read");
    return bc;
  }
  BlockSummary s = ScanBlock(*plain, BlockHashKey(ctx.stream, index));
  if (s.bad_offset) {
    out.Damage(name, s.bad_offset, DescribeBadRecord(*plain, *s.bad_offset, s.bad_reason));
  }
  // Message records carry increasing sequences; the server skips a record
  // whose sequence does not go up. Its checksum is good, so this is not
  // damage by the rules above, but worth a note.
  uint64_t prev = 0;
  std::optional<uint64_t> prev_offset;
  for (const auto& r : s.records) {
    if (r.tombstone || r.seq == 0) continue;
    if (prev_offset && r.seq <= prev) {
      out.Note(name, r.offset,
                 "sequence " + std::to_string(r.seq) + " at offset " + std::to_string(r.offset) +
                     " does not follow sequence " + std::to_string(prev) + " at offset " +
                     std::to_string(*prev_offset) + ": the server skips this record");
      break;
    }
    prev = r.seq;
    prev_offset = r.offset;
  }
  bc.summary = std::move(s);
  return bc;
}

// Counts the message records of a block that a recorded state claims: live
// records with a sequence in [first, last] and not in the recorded delete
// map. Equal to the recorded count means every message it lists is there.
struct Claimed {
  uint64_t msgs = 0;
  uint64_t bytes = 0;
};
template <typename IsDeleted>
Claimed CountClaimed(const BlockSummary& s, uint64_t first, uint64_t last, IsDeleted&& is_deleted) {
  Claimed c;
  uint64_t prev = 0;
  for (const auto& r : s.records) {
    if (r.tombstone || r.erased || r.seq == 0 || r.seq <= prev) continue;
    prev = r.seq;
    if (r.seq < first || r.seq > last || is_deleted(r.seq)) continue;
    ++c.msgs;
    c.bytes += r.length;
  }
  return c;
}

std::string Hex(std::span<const uint8_t> b) { return HexLower(b); }

// index.db against the blocks, with the server's acceptance rules
// (recoverFullState): any failure makes it rebuild from the blocks.
void CheckIndexDb(const StreamContext& ctx, const MsgsListing& l,
                  const std::map<uint64_t, BlockCheck>& blocks, Findings& out) {
  const auto name = MsgsFile(kStreamStateFile);
  if (!l.index_db) {
    out.Note(name, "missing: the server rebuilds the stream state from the blocks");
    return;
  }
  auto buf = ReadWholeFile(ctx.dir / kMsgDir / kStreamStateFile);
  if (!buf) {
    out.Note(name, "cannot be read (" + Describe(buf.error()) + "): the server rebuilds from the blocks");
    return;
  }
  if (ctx.prf && ctx.aek == nullptr) {
    out.Note(name, "cannot be checked without the stream key from meta.key: the server rebuilds from the blocks");
    return;
  }
  auto fs = DecodeFullState(*buf, ctx.stream, ctx.aek);
  if (!fs) {
    if (fs.error().Is(ErrorCode::kCrypto)) {
      out.Note(name, "does not open with the stream key (" + Describe(fs.error()) +
                         "): the server rebuilds from the blocks");
    } else {
      out.Note(name, "CORRUPT, fails its own checks (" + Describe(fs.error()) +
                         "): the server deletes it and rebuilds from the blocks; no message is lost");
    }
    return;
  }
  const std::string rebuild = ": the server rebuilds from the blocks";
  if (fs->blocks.empty() || fs->blocks.back().index != fs->last_block_index) {
    out.Note(name, "last block " + std::to_string(fs->last_block_index) +
                       " is not the last listed block (corrupt state): the server deletes it and rebuilds");
    return;
  }
  auto last = blocks.find(fs->last_block_index);
  if (last == blocks.end()) {
    out.Note(name, "stale: its last block " + MsgsFile(fs->last_block_index, ".blk") + " does not exist" + rebuild);
    return;
  }
  if (!last->second.lchk || *last->second.lchk != fs->last_checksum) {
    out.Note(name, "stale: the last checksum of " + MsgsFile(fs->last_block_index, ".blk") + " is " +
                       (last->second.lchk ? Hex(*last->second.lchk) : std::string("unreadable")) +
                       ", index.db recorded " + Hex(fs->last_checksum) +
                       " (the block changed after index.db was written)" + rebuild);
    return;
  }
  if (!blocks.empty() && blocks.rbegin()->first > fs->last_block_index) {
    out.Note(name, "stale: " + MsgsFile(blocks.rbegin()->first, ".blk") + " is newer than its last block " +
                       std::to_string(fs->last_block_index) + rebuild);
    return;
  }
  for (const auto& b : fs->blocks) {
    if (!blocks.contains(b.index)) {
      out.Note(name, "stale: lists " + MsgsFile(b.index, ".blk") + ", which does not exist" + rebuild);
      return;
    }
  }
  if (!TrackingStatesEqual(*fs, TrackingStateFromBlocks(fs->blocks))) {
    out.Note(name, "its totals disagree with its own blocks (corrupt state): the server deletes it and rebuilds");
    return;
  }
  // Current: the server trusts it. Every message it lists must be in its block.
  for (const auto& b : fs->blocks) {
    const auto& bc = blocks.at(b.index);
    if (!bc.summary || bc.summary->bad_offset) continue;  // already reported as damage
    const Claimed c = CountClaimed(*bc.summary, b.first_seq, b.last_seq,
                                   [&](uint64_t seq) { return b.deleted.Exists(seq); });
    if (c.msgs != b.msgs || c.bytes != b.bytes) {
      out.Note(name, "block " + std::to_string(b.index) + ": index.db lists " + std::to_string(b.msgs) +
                         " messages (" + std::to_string(b.bytes) + " bytes) in sequences " +
                         std::to_string(b.first_seq) + ".." + std::to_string(b.last_seq) +
                         ", the block holds " + std::to_string(c.msgs) + " of them (" +
                         std::to_string(c.bytes) + " bytes); the server trusts index.db");
    }
  }
}

// Legacy <N>.idx (servers before 2.10): used by the server only while its
// lchk matches the block (recoverMsgBlock), otherwise the block is rescanned.
void CheckLegacyIndex(const StreamContext& ctx, uint64_t index, const std::map<uint64_t, BlockCheck>& blocks,
                      Findings& out) {
  const auto name = MsgsFile(index, ".idx");
  auto it = blocks.find(index);
  if (it == blocks.end()) {
    out.Note(name, "no block " + MsgsFile(index, ".blk") + " for it: the server removes it");
    return;
  }
  const BlockCheck& bc = it->second;
  if (ctx.prf && !bc.aek) return;  // the block key is unusable, already reported
  auto buf = ReadWholeFile(ctx.dir / kMsgDir / (std::to_string(index) + ".idx"));
  if (!buf) {
    out.Note(name, "cannot be read (" + Describe(buf.error()) + "): the server rebuilds the block");
    return;
  }
  auto li = DecodeLegacyIndex(*buf, bc.aek.get(), bc.nonce);
  if (!li) {
    out.Note(name, "undecodable (" + Describe(li.error()) + "): the server rebuilds the block from its records");
    return;
  }
  const bool empty_match = bc.stored_size == 0 && li->msgs == 0;
  if (!empty_match && (!bc.lchk || *bc.lchk != li->last_checksum)) {
    out.Note(name, "stale .idx (last checksum " + Hex(li->last_checksum) + ", block has " +
                       (bc.lchk ? Hex(*bc.lchk) : std::string("unreadable")) +
                       "): the server rebuilds the block from its records");
    return;
  }
  if (!bc.summary || bc.summary->bad_offset) return;
  const Claimed c = CountClaimed(*bc.summary, li->first_seq, li->last_seq, [&](uint64_t seq) {
    return std::binary_search(li->deleted.begin(), li->deleted.end(), seq);
  });
  if (c.msgs != li->msgs) {
    out.Note(name, "lists " + std::to_string(li->msgs) + " messages in sequences " + std::to_string(li->first_seq) +
                       ".." + std::to_string(li->last_seq) + ", the block holds " + std::to_string(c.msgs) +
                       " of them; the server trusts the .idx");
  }
}

// Legacy <N>.fss (servers before 2.10, never encrypted, never read by
// v2.14.5): magic 22, version 1, uvarint count, count × (uvarint subject
// length, subject, uvarint msgs, uvarint first, uvarint last), HH64 (block
// key) of all that, lchk.
Result<void> DecodeLegacyFss(std::span<const uint8_t> buf, const crypto::HashKey& key) {
  constexpr size_t kTrailer = 16;
  if (buf.size() < 2 + kTrailer) return MakeError(ErrorCode::kCorrupt, "too short");
  if (buf[0] != kFileStoreMagic || buf[1] != kFileStoreVersion) {
    return MakeError(ErrorCode::kCorrupt, "bad magic or version");
  }
  const auto body = buf.first(buf.size() - kTrailer);
  const auto sum = buf.subspan(buf.size() - kTrailer, 8);
  if (crypto::HighwayHash64Sum(key, body) != crypto::GetHash64(sum.first<8>())) {
    return MakeError(ErrorCode::kCorrupt, "checksum mismatch");
  }
  size_t pos = 2;
  auto next = [&](uint64_t& v) {
    const auto r = util::ReadUvarint(body.subspan(pos));
    if (r.n <= 0) return false;
    pos += static_cast<size_t>(r.n);
    v = r.value;
    return true;
  };
  uint64_t count = 0;
  if (!next(count)) return MakeError(ErrorCode::kCorrupt, "bad subject count");
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t slen = 0, msgs = 0, first = 0, last = 0;
    if (!next(slen) || slen > body.size() - pos) return MakeError(ErrorCode::kCorrupt, "bad subject length");
    pos += static_cast<size_t>(slen);
    if (!next(msgs) || !next(first) || !next(last)) return MakeError(ErrorCode::kCorrupt, "short subject entry");
  }
  if (pos != body.size()) return MakeError(ErrorCode::kCorrupt, "trailing bytes");
  return {};
}

void CheckLegacyFss(const StreamContext& ctx, uint64_t index, Findings& out) {
  const auto name = MsgsFile(index, ".fss");
  auto buf = ReadWholeFile(ctx.dir / kMsgDir / (std::to_string(index) + ".fss"));
  if (!buf) {
    out.Note(name, "cannot be read: " + Describe(buf.error()));
    return;
  }
  if (auto r = DecodeLegacyFss(*buf, BlockHashKey(ctx.stream, index)); !r) {
    out.Note(name, "undecodable (" + Describe(r.error()) + "); the server never reads it and deletes it");
  }
}

void CheckTtlAndSchedules(const StreamContext& ctx, const MsgsListing& l, Findings& out) {
  if (l.thw_db) {
    const auto name = MsgsFile(kTtlStateFile);
    auto buf = ReadWholeFile(ctx.dir / kMsgDir / kTtlStateFile);
    if (!buf) {
      out.Note(name, "cannot be read: " + Describe(buf.error()));
    } else {
      thw::HashWheel wheel;
      if (auto r = wheel.Decode(*buf); !r) {
        out.Note(name, "undecodable (" + Describe(r.error()) +
                           "): the server deletes it and starts with an empty TTL wheel");
      }
    }
  }
  if (l.sched_db) {
    const auto name = MsgsFile(kMsgSchedulingStateFile);
    auto buf = ReadWholeFile(ctx.dir / kMsgDir / kMsgSchedulingStateFile);
    if (!buf) {
      out.Note(name, "cannot be read: " + Describe(buf.error()));
    } else {
      sched::MsgScheduling scheduling([] {});
      if (auto r = scheduling.Decode(*buf); !r) {
        out.Note(name, "undecodable (" + Describe(r.error()) +
                           "): the server deletes it and starts with no schedules");
      }
    }
  }
}

void NoteOthers(const MsgsListing& l, Findings& out) {
  for (const auto& name : l.others) {
    if (name.ends_with(".tmp")) {
      out.Note(MsgsFile(name), "leftover of an interrupted atomic write or block rewrite; the real file is unaffected");
    } else if (IndexedName(name, ".new")) {
      out.Note(MsgsFile(name), "leftover of an interrupted compaction; the block itself is unaffected");
    } else {
      out.Note(MsgsFile(name), "not a file the server knows; it ignores it");
    }
  }
}

}  // namespace

void VerifyMessages(const StreamContext& ctx, Findings& out) {
  const auto mdir = ctx.dir / kMsgDir;
  std::error_code ec;
  if (!std::filesystem::is_directory(mdir, ec)) {
    out.Note(std::string(kMsgDir), "missing: the stream holds no messages");
    return;
  }
  const MsgsListing l = ListMsgs(mdir);

  std::map<uint64_t, BlockCheck> blocks;
  for (const auto& [index, unused] : l.blocks) blocks.emplace(index, CheckBlock(ctx, index, out));

  for (const auto& [index, unused] : l.keys) {
    if (blocks.contains(index)) {
      if (!ctx.prf) {
        out.Note(MsgsFile(index, ".key"), "a block key file, but no JetStream key was given: the block is read as plaintext");
      }
    } else {
      out.Note(MsgsFile(index, ".key"), "orphan key file: there is no " + MsgsFile(index, ".blk"));
    }
  }

  CheckIndexDb(ctx, l, blocks, out);
  for (const auto& [index, unused] : l.idx) CheckLegacyIndex(ctx, index, blocks, out);
  for (const auto& [index, unused] : l.fss) CheckLegacyFss(ctx, index, out);
  CheckTtlAndSchedules(ctx, l, out);
  NoteOthers(l, out);
}

}  // namespace natscpp::store::filestore::verify
