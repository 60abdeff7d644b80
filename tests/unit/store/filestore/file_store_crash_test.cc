// Killing the writer: a child process stores messages (and removes some)
// and reports each call that returned; the parent kills it with SIGKILL at
// a random point, reopens the directory, and finds every reported message
// with its bytes, every reported removal still removed, and nothing else
// broken. Records are written through before a call returns, so a killed
// process (unlike a power cut) loses none of them, with or without
// sync_always; what the kill tears mid-record is cut off on reopen.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <set>
#include <string>

#include "write_fixture.h"

namespace natscpp::store::testing {
namespace {

std::string CrashPayload(uint64_t seq) { return "payload-" + std::to_string(seq) + std::string(seq % 200, 'p'); }
std::string CrashSubject(uint64_t seq) { return "foo." + std::to_string(seq % 11); }

// One report per returned call: 'S' seq for a store, 'R' seq for a removal.
struct Report {
  char kind;
  uint64_t seq;
};

[[noreturn]] void RunChild(const std::filesystem::path& dir, const FileStoreConfig& fcfg, int fd) {
  StreamConfig cfg;
  cfg.name = "zzz";
  cfg.subjects = {"foo.>"};
  cfg.storage = StorageType::kFile;
  auto fs = FileStore::Create(dir, fcfg, cfg, GoTime::FromUnixNanos(1'700'000'000'000'000'000));
  if (!fs) _exit(3);
  for (uint64_t i = 1;; ++i) {
    auto r = (*fs)->StoreMsg(CrashSubject(i), {}, Bytes(CrashPayload(i)), 0);
    if (!r) _exit(4);
    Report rep{'S', r->seq};
    if (::write(fd, &rep, sizeof rep) != sizeof rep) _exit(5);
    if (i % 7 == 0) {
      auto rm = (*fs)->RemoveMsg(i - 3);
      if (!rm) _exit(6);
      Report rr{'R', i - 3};
      if (::write(fd, &rr, sizeof rr) != sizeof rr) _exit(7);
    }
  }
}

class FileStoreCrash : public FileStorePermutations {};

TEST_P(FileStoreCrash, KilledWriterLosesNothingReported) {
  std::mt19937_64 rng(std::random_device{}());
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto dir = dir_.path() / ("round" + std::to_string(round)) / "$G" / "streams" / "zzz";
    FileStoreConfig fcfg = Fcfg(16 * 1024);
    fcfg.sync_always = round == 0;
    int pipefd[2];
    ASSERT_EQ(::pipe(pipefd), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(pipefd[0]);
      RunChild(dir, fcfg, pipefd[1]);
    }
    ::close(pipefd[1]);
    // Let it run for a random number of reports, then kill it mid-stride.
    const uint64_t stop_after = 50 + rng() % 1500;
    std::set<uint64_t> stored, removed;
    Report rep{};
    uint64_t seen = 0;
    bool killed = false;
    while (::read(pipefd[0], &rep, sizeof rep) == sizeof rep) {
      (rep.kind == 'S' ? stored : removed).insert(rep.seq);
      if (!killed && ++seen >= stop_after) {
        ::kill(pid, SIGKILL);
        killed = true;
      }
    }
    ::close(pipefd[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
    ASSERT_FALSE(stored.empty());
    // The kill may land between a removal and its report: that one
    // sequence may be either way.
    const uint64_t last_stored = *stored.rbegin();
    const uint64_t uncertain =
        last_stored % 7 == 0 && !removed.contains(last_stored - 3) ? last_stored - 3 : 0;

    // Reopen for writing (recovery repairs the tail), then check through a
    // read-only open of the repaired directory as well.
    FileStoreOpenOptions wo;
    wo.read_only = false;
    wo.config = fcfg;
    auto w = FileStore::Open(dir, wo);
    ASSERT_TRUE(w) << w.error().message();
    for (auto* fs : {w->get()}) {
      const StreamState st = fs->State();
      EXPECT_GE(st.last_seq, *stored.rbegin());
      store::StoreMsg sm;
      for (uint64_t seq : stored) {
        if (seq == uncertain) continue;
        auto r = fs->LoadMsg(seq, &sm);
        if (removed.contains(seq)) {
          EXPECT_FALSE(r) << "removed " << seq << " came back";
          continue;
        }
        ASSERT_TRUE(r) << "lost " << seq << ": " << r.error().message();
        EXPECT_EQ(sm.subject, CrashSubject(seq));
        EXPECT_EQ(Str(sm.msg()), CrashPayload(seq));
      }
    }
    // The recovered store takes new writes after what survived.
    const uint64_t last = (*w)->State().last_seq;
    auto next = (*w)->StoreMsg("foo.after", {}, Bytes("after"), 0);
    ASSERT_TRUE(next) << next.error().message();
    EXPECT_EQ(next->seq, last + 1);
    ASSERT_TRUE((*w)->Stop());
    FileStoreOpenOptions ro;
    if (GetParam().encrypted) ro.encryption = fcfg.encryption;
    auto r = FileStore::Open(dir, ro);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ((*r)->State().last_seq, last + 1);
    EXPECT_TRUE((*r)->RecoveryNotes().empty()) << (*r)->RecoveryNotes().front().message;
  }
}

INSTANTIATE_TEST_SUITE_P(All, FileStoreCrash, ::testing::ValuesIn(AllPermutations()), PermutationName);

}  // namespace
}  // namespace natscpp::store::testing
