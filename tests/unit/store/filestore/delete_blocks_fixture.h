// Helpers of the delete-block tests (file_store_go_deletes_test.cc,
// file_store_go_sync_deleted_test.cc): delete blocks written as Go's tests
// write them, a plain store, and Go's checkDeleteBlocks.
#ifndef NATSCPP_TESTS_UNIT_STORE_FILESTORE_DELETE_BLOCKS_FIXTURE_H_
#define NATSCPP_TESTS_UNIT_STORE_FILESTORE_DELETE_BLOCKS_FIXTURE_H_

#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>

#include "api/seqset_delete_block.h"
#include "filestore/file_store_impl.h"
#include "write_fixture.h"

namespace natscpp::store::testing {

// &DeleteRange{First, Num} and makeSequenceSet(...) of Go's tests.
inline std::unique_ptr<DeleteBlock> Range(uint64_t first, uint64_t num) {
  return std::make_unique<DeleteRange>(first, num);
}
inline std::unique_ptr<DeleteBlock> Set(std::initializer_list<uint64_t> seqs) {
  avl::SequenceSet ss;
  for (uint64_t s : seqs) ss.Insert(s);
  return std::make_unique<SeqSetDeleteBlock>(std::move(ss));
}
template <typename... B>
DeleteBlocks Blocks(B... b) {
  DeleteBlocks out;
  (out.push_back(std::move(b)), ...);
  return out;
}

// A plain store in its own directory, no subjects (Go's "zzz" stream).
struct PlainStore {
  explicit PlainStore(uint64_t block_size) {
    FileStoreConfig fcfg;
    fcfg.block_size = block_size;
    StreamConfig cfg;
    cfg.name = "zzz";
    cfg.storage = StorageType::kFile;
    auto r = FileStore::Create(dir.path() / "zzz", fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    if (r) fs = std::move(*r);
  }
  TempDir dir{"fsdeletes"};
  std::unique_ptr<FileStore> fs;
};

// Go's checkDeleteBlocks: same count, and each block of the same kind with
// the same first, last and count.
inline void CheckDeleteBlocks(FileStore& fs, const DeleteBlocks& exp) {
  auto& impl = fs.ImplForTesting();
  std::lock_guard lock(impl.mu);
  const DeleteBlocks found = impl.DeleteBlocksLocked();
  ASSERT_EQ(found.size(), exp.size());
  for (size_t i = 0; i < found.size(); ++i) {
    SCOPED_TRACE("delete block " + std::to_string(i));
    EXPECT_EQ(typeid(*found[i]), typeid(*exp[i]));
    const auto e = exp[i]->State();
    const auto f = found[i]->State();
    EXPECT_EQ(f.first, e.first);
    EXPECT_EQ(f.last, e.last);
    EXPECT_EQ(f.num, e.num);
  }
}

}  // namespace natscpp::store::testing

#endif  // NATSCPP_TESTS_UNIT_STORE_FILESTORE_DELETE_BLOCKS_FIXTURE_H_
