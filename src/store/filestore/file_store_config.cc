// Changing a writable store's stream configuration in place: the new
// meta.inf, the limits enforced against what is stored, the age check
// started or stopped, and the write block's flushing adjusted to the
// stream's replication and persist mode.
#include "filestore/file_store_impl.h"

namespace natscpp::store {

// go: server/filestore.go:(*fileStore).UpdateConfig
Result<void> FileStore::Impl::UpdateConfig(StreamConfig cfg) {
  std::unique_lock lock(mu);
  if (read_only) return MakeError(ErrorCode::kUnsupported, "the store was opened read-only");
  if (closed) return MakeError(ErrorCode::kStoreClosed, "store is closed");
  if (cfg.name.empty()) return MakeError(ErrorCode::kInvalidArgument, "name required");
  if (cfg.storage != StorageType::kFile) {
    return MakeError(ErrorCode::kInvalidArgument, "fileStore requires file storage type in config");
  }
  // Anything below -1 means unlimited, and is stored as -1.
  if (cfg.max_msgs_per < -1) cfg.max_msgs_per = -1;

  const StreamConfig old_cfg = info.config;
  info.config = cfg;
  if (auto r = WriteStreamMeta(); !r) {
    info.config = old_cfg;
    return r;
  }

  // The TTL wheel and the schedules come (recovered from disk and the
  // blocks) or go with allow_msg_ttl and allow_msg_schedules.
  if (cfg.allow_msg_ttl && !ttls) {
    if (auto r = RecoverTtlState(); !r) return r;
  } else if (!cfg.allow_msg_ttl && ttls) {
    ttls.reset();
  }
  if (cfg.allow_msg_schedules && !scheduling) {
    if (auto r = RecoverMsgSchedulingState(); !r) return r;
  } else if (!cfg.allow_msg_schedules && scheduling) {
    scheduling.reset();
  }

  if (auto r = EnforceMsgLimit(); !r) return r;
  if (auto r = EnforceBytesLimit(); !r) return r;

  const int64_t max_age = info.config.max_age.count();
  if (!age_chk && max_age != 0) StartAgeChk();
  if (age_chk && max_age == 0) CancelAgeChk();

  // A lower per-subject limit (or one set for the first time) applies to
  // what is already stored.
  if (info.config.max_msgs_per > 0 &&
      (old_cfg.max_msgs_per <= 0 || info.config.max_msgs_per < old_cfg.max_msgs_per)) {
    if (auto r = EnforceMsgPerSubjectLimit(); !r) return r;
  }

  if (lmb) {
    // Replicated streams may batch their writes, unless every write is
    // synced; the async persist mode opts in and turns syncing off.
    bool supports_async_flush = !fcfg.sync_always && cfg.replicas > 1;
    if (cfg.persist_mode == PersistMode::kAsync) {
      supports_async_flush = true;
      fcfg.sync_always = false;
      env.sync_always = false;
    }
    if (supports_async_flush && !fcfg.async_flush) {
      fcfg.async_flush = true;
      lmb->SpinUpFlushLoop();
    } else if (!supports_async_flush && fcfg.async_flush) {
      fcfg.async_flush = false;
      // Back to writing through: the flush loop stops and what is
      // buffered goes out now.
      lmb->ClearInFlusher();
      if (auto r = lmb->FlushPending(); !r) return r;
    }
    env.flush_in_place = !fcfg.async_flush;
  }
  lock.unlock();

  // Messages past a new, shorter max age go now.
  if (cfg.max_age.count() != 0 || cfg.allow_msg_ttl) ExpireMsgs();
  return {};
}

Result<void> FileStore::UpdateConfig(const StreamConfig& cfg) { return impl_->UpdateConfig(cfg); }

}  // namespace natscpp::store
