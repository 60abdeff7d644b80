// The tracker's store: the committed text under tracker/ is the source of
// truth; the SQLite database is rebuilt from it whenever it is missing or
// its recorded text hash differs, and every change is written through to
// the text in the same transaction.
#ifndef NATSCPP_PORTTRACKER_TRACKER_H_
#define NATSCPP_PORTTRACKER_TRACKER_H_

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model.h"
#include "sqlite_db.h"

namespace natscpp::porttracker {

struct ItemFilter {
  std::string kind;    // empty: any
  std::string batch;   // empty: any
  std::string status;  // empty: any
};

class Tracker {
 public:
  // `root` is the repository (it holds tracker/); `db_path` empty means
  // the default, <root>/.porttracker/tracker.db.
  Tracker(std::filesystem::path root, std::filesystem::path db_path);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path TextDir() const { return root_ / "tracker"; }

  Meta GetMeta();
  std::vector<Item> Items(const ItemFilter& filter = {});
  std::optional<Item> Find(const std::string& id);
  std::vector<HistoryEntry> History(const std::string& id);
  std::vector<Batch> Batches();
  std::optional<Batch> FindBatch(const std::string& id);

  // A change: `fn` edits the records it is given; the tracker then writes
  // database and text together, or neither when `fn` throws.
  struct Change {
    Meta meta;
    std::vector<Batch> batches;
    std::vector<Item> items;  // sorted by id
    std::vector<HistoryEntry> history;
    Item* FindItem(const std::string& id);
    Batch* FindBatch(const std::string& id);
    void AddHistory(const std::string& id, std::string from, std::string to,
                    std::string evidence, std::vector<std::string> files);
  };
  void Apply(const std::function<void(Change&)>& fn);

  // Text of the four committed files for a given content, as written.
  static std::string ItemsText(const std::vector<Item>& items);
  static std::string HistoryText(const std::vector<HistoryEntry>& history);
  static std::string BatchesText(const std::vector<Batch>& batches);
  static std::string MetaText(const Meta& meta);

 private:
  void EnsureFresh();
  std::string TextHash() const;
  void Load(Database& db, const Change& content);
  Change ReadText() const;

  std::filesystem::path root_;
  std::filesystem::path db_path_;
  std::unique_ptr<Database> db_;
};

// Finds the repository root: `explicit_root` when given, else the nearest
// directory at or above the working directory that holds tracker/meta.json,
// else the source tree the binary was built from.
std::filesystem::path FindRoot(const std::filesystem::path& explicit_root);

}  // namespace natscpp::porttracker

#endif  // NATSCPP_PORTTRACKER_TRACKER_H_
