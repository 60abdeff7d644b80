// The stream's deletes as a whole: the delete blocks (gaps between blocks
// and each block's delete map), the replicated stream state encoded from
// them, and the follower's side, which removes whatever a leader's delete
// blocks say is gone (SyncDeleted, removeMsgsInRange).
#include <algorithm>
#include <utility>

#include "api/seqset_delete_block.h"
#include "filestore/delete_blocks.h"
#include "filestore/file_store_impl.h"
#include "natscpp/store/state_codec.h"
#include "util/varint.h"

namespace natscpp::store {

using filestore::DeleteRun;
using filestore::DeleteRuns;
using filestore::MsgBlock;

namespace filestore {

DeleteBlocks ToDeleteBlocks(std::span<const DeleteRun> runs) {
  DeleteBlocks out;
  out.reserve(runs.size());
  for (const DeleteRun& r : runs) {
    if (r.set) {
      out.push_back(std::make_unique<SeqSetDeleteBlock>(r.set->Clone()));
    } else {
      out.push_back(std::make_unique<DeleteRange>(r.first, r.num));
    }
  }
  return out;
}

// go: server/filestore.go:pruneDeleteBlock
bool PruneDeleteBlock(const DeleteBlock& db, std::span<const std::unique_ptr<DeleteBlock>>& blocks) {
  if (blocks.empty()) return false;
  const DeleteBlock::Summary a = db.State();
  DeleteBlock::Summary b = blocks.front()->State();
  while (b.last < a.first) {
    blocks = blocks.subspan(1);
    if (blocks.empty()) return false;
    b = blocks.front()->State();
  }
  if (a.first == b.first && a.last == b.last && a.num == b.num) {
    // Equal summaries settle it only for a dense block: two sparse sets
    // can agree on first, last and count and still differ.
    if (a.num == a.last - a.first + 1 || DeleteBlockContentsEqual(db, *blocks.front())) {
      blocks = blocks.subspan(1);
      return true;
    }
  }
  return false;
}

// go: server/filestore.go:deleteBlockContentsEqual
bool DeleteBlockContentsEqual(const DeleteBlock& a, const DeleteBlock& b) {
  const auto* sa = dynamic_cast<const SeqSetDeleteBlock*>(&a);
  const auto* sb = dynamic_cast<const SeqSetDeleteBlock*>(&b);
  if (sa && sb) return sa->set().Equal(sb->set());
  // Walk the other side against whichever side can answer Exists fast.
  const avl::SequenceSet* set = sb ? &sb->set() : sa ? &sa->set() : nullptr;
  if (!set) return false;
  const DeleteBlock& other = sb ? a : b;
  bool equal = true;
  other.Range([&](uint64_t seq) {
    equal = set->Exists(seq);
    return equal;
  });
  return equal;
}

}  // namespace filestore

// go: server/filestore.go:(*fileStore).deleteBlocks
DeleteRuns FileStore::Impl::DeleteRunsLocked() {
  DeleteRuns out;
  uint64_t prev_last = 0;
  // The range a following gap may extend: only while no block with
  // messages lies between the two gaps.
  std::optional<size_t> prev_range;
  bool msgs_since_gap = false;
  for (const auto& mb : blks) {
    const uint64_t fseq = mb->first.seq;
    if (prev_last > 0 && prev_last + 1 != fseq) {
      const uint64_t gap = fseq - prev_last - 1;
      if (prev_range && !msgs_since_gap) {
        DeleteRun& r = out.runs[*prev_range];
        out.encoded_size -= RunLengthEncodeLen(r.first, r.num);
        r.num += gap;
        out.encoded_size += RunLengthEncodeLen(r.first, r.num);
      } else {
        out.runs.push_back({prev_last + 1, gap, nullptr});
        out.encoded_size += RunLengthEncodeLen(prev_last + 1, gap);
        prev_range = out.runs.size() - 1;
        msgs_since_gap = false;
      }
    }
    if (mb->dmap.Size() > 0) {
      out.runs.push_back({0, 0, &mb->dmap});
      out.encoded_size += mb->dmap.EncodeLen();
      prev_range.reset();
    }
    prev_last = mb->last.seq;
    msgs_since_gap = msgs_since_gap || mb->msgs > 0;
  }
  return out;
}

DeleteBlocks FileStore::Impl::DeleteBlocksLocked() {
  return filestore::ToDeleteBlocks(DeleteRunsLocked().runs);
}

// go: server/filestore.go:(*fileStore).EncodedStreamState
Result<std::vector<uint8_t>> FileStore::EncodedStreamState(uint64_t failed) {
  std::lock_guard lock(impl_->mu);
  const auto& st = impl_->state;
  uint64_t num_deleted = 0;
  if (st.last.seq > st.first.seq) {
    const uint64_t span = st.last.seq - st.first.seq + 1;
    num_deleted = span > st.msgs ? span - st.msgs : 0;
  }
  using util::UvarintLen;
  size_t total = 2 + UvarintLen(st.msgs) + UvarintLen(st.bytes) + UvarintLen(st.first.seq) +
                 UvarintLen(st.last.seq) + UvarintLen(failed) + UvarintLen(num_deleted);
  DeleteRuns dr;
  if (num_deleted > 0) {
    dr = impl_->DeleteRunsLocked();
    total += dr.encoded_size;
  }
  std::vector<uint8_t> b;
  b.reserve(total);
  b.push_back(kStreamStateMagic);
  b.push_back(kStreamStateVersion);
  for (uint64_t v : {st.msgs, st.bytes, st.first.seq, st.last.seq, failed, num_deleted}) {
    util::AppendUvarint(b, v);
  }
  std::vector<uint8_t> enc;
  for (const DeleteRun& r : dr.runs) {
    if (r.set) {
      enc = r.set->Encode(std::move(enc));
      b.insert(b.end(), enc.begin(), enc.end());
    } else {
      AppendRunLength(b, r.first, r.num);
    }
  }
  if (b.size() != total) {
    return MakeError(ErrorCode::kCorruptStreamState, "stream state encoding size mismatch");
  }
  return b;
}

// go: server/filestore.go:(*fileStore).removeMsgsInRange
Result<void> FileStore::Impl::RemoveMsgsInRange(uint64_t first, uint64_t last, bool via_limits) {
  last = std::min(last, state.last.seq);
  if (first > last) return {};
  auto it = std::partition_point(blks.begin(), blks.end(),
                                 [&](const auto& mb) { return mb->last.seq < first; });
  size_t i = static_cast<size_t>(it - blks.begin());
  while (i < blks.size()) {
    MsgBlock* mb = blks[i].get();
    const uint64_t mb_first = mb->first.seq;
    const uint64_t mb_last = mb->last.seq;
    if (mb_first > last) break;
    if (mb_first >= first && mb_last <= last && mb->NumPriorTombstones(state.first.seq) == 0) {
      // The whole block is in range and hides nothing of earlier blocks:
      // drop it. It leaves blks, so i already names the next block.
      if (auto r = PurgeMsgBlock(mb); !r) return r;
      continue;
    }
    for (uint64_t seq = std::max(first, mb_first), to = std::min(last, mb_last); seq <= to; ++seq) {
      if (auto r = RemoveMsgFromBlock(mb, seq, false, via_limits); !r) return std::unexpected(r.error());
    }
    ++i;
  }
  return {};
}

// go: server/filestore.go:(*fileStore).SyncDeleted
Result<void> FileStore::SyncDeleted(const DeleteBlocks& dbs) {
  std::lock_guard lock(impl_->mu);
  if (impl_->closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (dbs.empty()) return {};
  if (auto r = impl_->CheckWritable(); !r) return r;

  const uint64_t lseq = impl_->state.last.seq;
  // Our own delete blocks, copied: the removals below change the blocks.
  const DeleteBlocks mine = impl_->DeleteBlocksLocked();
  std::span<const std::unique_ptr<DeleteBlock>> rest(mine);
  Result<void> result;
  for (const auto& db : dbs) {
    const DeleteBlock::Summary s = db->State();
    if (s.first > lseq) break;
    if (filestore::PruneDeleteBlock(*db, rest)) continue;  // already deleted here
    if (dynamic_cast<const DeleteRange*>(db.get())) {
      result = impl_->RemoveMsgsInRange(s.first, s.last, true);
    } else {
      db->Range([&](uint64_t seq) {
        auto r = impl_->RemoveMsg(seq, false, true);
        // A sequence we never had, or no longer have, is fine.
        if (!r && r.error().code() != ErrorCode::kStoreEOF &&
            r.error().code() != ErrorCode::kStoreMsgNotFound) {
          result = std::unexpected(r.error());
        }
        return result.has_value();
      });
    }
    if (!result) break;
  }
  return result;
}

}  // namespace natscpp::store
