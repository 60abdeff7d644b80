#include "tracker.h"

#include <algorithm>
#include <chrono>
#include <ctime>

#include "util.h"

namespace natscpp::porttracker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE batches(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL,
  depends_on TEXT NOT NULL, description TEXT NOT NULL,
  completed INTEGER NOT NULL, completed_evidence TEXT NOT NULL, ord INTEGER NOT NULL);
CREATE TABLE items(
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, file TEXT NOT NULL, name TEXT NOT NULL,
  start_line INTEGER NOT NULL, end_line INTEGER NOT NULL, line_count INTEGER NOT NULL,
  batch TEXT NOT NULL REFERENCES batches(id), status TEXT NOT NULL, reason TEXT NOT NULL,
  cpp_symbol TEXT NOT NULL, cpp_file TEXT NOT NULL, gtest TEXT NOT NULL,
  covers TEXT NOT NULL, covers_manual INTEGER NOT NULL, gtests TEXT NOT NULL);
CREATE INDEX items_batch ON items(batch);
CREATE TABLE history(
  id TEXT NOT NULL, seq INTEGER NOT NULL, from_status TEXT NOT NULL,
  to_status TEXT NOT NULL, evidence TEXT NOT NULL, evidence_files TEXT NOT NULL,
  at TEXT NOT NULL, PRIMARY KEY(id, seq));
)sql";

const char* kTextFiles[] = {"meta.json", "batches.json", "items.jsonl", "history.jsonl"};

// Part of the recorded text hash, so a binary with another schema rebuilds
// the database instead of reading one it does not understand.
constexpr const char* kSchemaVersion = "schema-2";

std::string NowUtc() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Item ItemFromRow(const Statement& s) {
  Item i;
  i.id = s.Text(0);
  i.kind = s.Text(1);
  i.file = s.Text(2);
  i.name = s.Text(3);
  i.start_line = static_cast<int>(s.Int(4));
  i.end_line = static_cast<int>(s.Int(5));
  i.line_count = static_cast<int>(s.Int(6));
  i.batch = s.Text(7);
  i.status = s.Text(8);
  i.reason = s.Text(9);
  i.cpp_symbol = s.Text(10);
  i.cpp_file = s.Text(11);
  i.gtest = s.Text(12);
  i.covers = json::parse(s.Text(13)).get<std::vector<std::string>>();
  i.covers_manual = s.Int(14) != 0;
  i.gtests = json::parse(s.Text(15)).get<std::vector<std::string>>();
  return i;
}

constexpr const char* kItemColumns =
    "id, kind, file, name, start_line, end_line, line_count, batch, status, reason, "
    "cpp_symbol, cpp_file, gtest, covers, covers_manual, gtests";

// Parses one JSON Lines file, naming the line of any error.
template <typename T, typename F>
std::vector<T> ParseLines(const fs::path& path, const std::string& text, F from_json) {
  std::vector<T> out;
  int line_no = 0;
  for (const std::string& line : SplitLines(text)) {
    ++line_no;
    if (line.empty()) continue;
    try {
      out.push_back(from_json(json::parse(line)));
    } catch (const json::exception& e) {
      throw TrackerError(path.string() + ":" + std::to_string(line_no) + ": malformed record: " +
                         e.what());
    }
  }
  return out;
}

}  // namespace

fs::path FindRoot(const fs::path& explicit_root) {
  if (!explicit_root.empty()) return fs::absolute(explicit_root);
  std::error_code ec;
  for (fs::path p = fs::current_path(ec); !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / "tracker" / "meta.json", ec)) return p;
    if (p == p.root_path()) break;
  }
#ifdef NATSCPP_SOURCE_DIR
  return NATSCPP_SOURCE_DIR;
#else
  throw TrackerError("no tracker/meta.json at or above the working directory; pass --root");
#endif
}

Tracker::Tracker(fs::path root, fs::path db_path) : root_(std::move(root)), db_path_(std::move(db_path)) {
  if (db_path_.empty()) db_path_ = root_ / ".porttracker" / "tracker.db";
  if (!fs::exists(TextDir() / "meta.json")) {
    throw TrackerError((TextDir() / "meta.json").string() +
                       ": missing (not a natscpp tree, or the inventory was never imported)");
  }
  EnsureFresh();
}

std::string Tracker::TextHash() const {
  std::string all = kSchemaVersion;
  for (const char* f : kTextFiles) {
    const fs::path p = TextDir() / f;
    all += f;
    all += '\0';
    if (fs::exists(p)) all += ReadFile(p);
    all += '\0';
  }
  return Sha256Hex(all);
}

Tracker::Change Tracker::ReadText() const {
  Change c;
  const fs::path meta_path = TextDir() / "meta.json";
  try {
    const json m = json::parse(ReadFile(meta_path));
    c.meta.tag = m.at("tag").get<std::string>();
    c.meta.commit = m.at("commit").get<std::string>();
  } catch (const json::exception& e) {
    throw TrackerError(meta_path.string() + ": malformed: " + e.what());
  }
  const fs::path batches_path = TextDir() / "batches.json";
  if (fs::exists(batches_path)) {
    try {
      const json doc = json::parse(ReadFile(batches_path));
      for (const json& b : doc.at("batches")) {
        c.batches.push_back(BatchFromJson(b));
      }
    } catch (const json::exception& e) {
      throw TrackerError(batches_path.string() + ": malformed: " + e.what());
    }
  }
  const fs::path items_path = TextDir() / "items.jsonl";
  if (fs::exists(items_path)) {
    c.items = ParseLines<Item>(items_path, ReadFile(items_path), ItemFromJson);
  }
  const fs::path history_path = TextDir() / "history.jsonl";
  if (fs::exists(history_path)) {
    c.history = ParseLines<HistoryEntry>(history_path, ReadFile(history_path), HistoryFromJson);
  }
  return c;
}

void Tracker::Load(Database& db, const Change& c) {
  db.Exec("DELETE FROM history; DELETE FROM items; DELETE FROM batches; DELETE FROM meta;");
  auto meta = db.Prepare("INSERT INTO meta(key, value) VALUES(?, ?)");
  meta.Bind("tag", c.meta.tag).Run();
  meta.Bind("commit", c.meta.commit).Run();
  auto batch = db.Prepare(
      "INSERT INTO batches(id, name, scope, depends_on, description, completed, "
      "completed_evidence, ord) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  int ord = 0;
  for (const Batch& b : c.batches) {
    batch.Bind(b.id, b.name, b.scope, json(b.depends_on).dump(), b.description,
               b.completed ? 1 : 0, b.completed_evidence, ord++)
        .Run();
  }
  auto item = db.Prepare(std::string("INSERT INTO items(") + kItemColumns +
                         ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const Item& i : c.items) {
    if (!std::any_of(c.batches.begin(), c.batches.end(), [&](const Batch& b) { return b.id == i.batch; })) {
      throw TrackerError(i.id + ": in unknown batch '" + i.batch + "'");
    }
    try {
      item.Bind(i.id, i.kind, i.file, i.name, i.start_line, i.end_line, i.line_count, i.batch,
                i.status, i.reason, i.cpp_symbol, i.cpp_file, i.gtest, json(i.covers).dump(),
                i.covers_manual ? 1 : 0, json(i.gtests).dump())
          .Run();
    } catch (const TrackerError& e) {
      throw TrackerError(i.id + ": " + e.what());
    }
  }
  auto hist = db.Prepare(
      "INSERT INTO history(id, seq, from_status, to_status, evidence, evidence_files, at) "
      "VALUES(?, ?, ?, ?, ?, ?, ?)");
  for (const HistoryEntry& h : c.history) {
    hist.Bind(h.id, h.seq, h.from, h.to, h.evidence, json(h.evidence_files).dump(), h.at).Run();
  }
}

void Tracker::EnsureFresh() {
  const std::string hash = TextHash();
  if (fs::exists(db_path_)) {
    try {
      auto db = std::make_unique<Database>(db_path_.string());
      auto s = db->Prepare("SELECT value FROM meta WHERE key = 'text_hash'");
      if (s.Step() && s.Text(0) == hash) {
        db_ = std::move(db);
        return;
      }
    } catch (const TrackerError&) {
      // An unreadable or foreign database is rebuilt below.
    }
  }
  // Rebuild into a fresh file, then move it into place, so a failed load
  // never leaves a half-filled database behind.
  const Change content = ReadText();
  fs::create_directories(db_path_.parent_path());
  const fs::path tmp = db_path_.string() + ".building";
  fs::remove(tmp);
  {
    Database db(tmp.string());
    db.Exec(kSchema);
    Transaction tx(db);
    Load(db, content);
    db.Prepare("INSERT INTO meta(key, value) VALUES('text_hash', ?)").Bind(hash).Run();
    tx.Commit();
  }
  fs::rename(tmp, db_path_);
  db_ = std::make_unique<Database>(db_path_.string());
}

Meta Tracker::GetMeta() {
  Meta m;
  auto s = db_->Prepare("SELECT key, value FROM meta");
  while (s.Step()) {
    if (s.Text(0) == "tag") m.tag = s.Text(1);
    if (s.Text(0) == "commit") m.commit = s.Text(1);
  }
  return m;
}

std::vector<Item> Tracker::Items(const ItemFilter& f) {
  auto s = db_->Prepare(std::string("SELECT ") + kItemColumns +
                        " FROM items WHERE (?1 = '' OR kind = ?1) AND (?2 = '' OR batch = ?2)"
                        " AND (?3 = '' OR status = ?3) ORDER BY id");
  s.Bind(f.kind, f.batch, f.status);
  std::vector<Item> out;
  while (s.Step()) out.push_back(ItemFromRow(s));
  return out;
}

std::optional<Item> Tracker::Find(const std::string& id) {
  auto s = db_->Prepare(std::string("SELECT ") + kItemColumns + " FROM items WHERE id = ?");
  s.Bind(id);
  if (!s.Step()) return std::nullopt;
  return ItemFromRow(s);
}

std::vector<HistoryEntry> Tracker::History(const std::string& id) {
  auto s = db_->Prepare(
      "SELECT id, seq, from_status, to_status, evidence, evidence_files, at FROM history "
      "WHERE id = ? ORDER BY seq");
  s.Bind(id);
  std::vector<HistoryEntry> out;
  while (s.Step()) {
    HistoryEntry h;
    h.id = s.Text(0);
    h.seq = static_cast<int>(s.Int(1));
    h.from = s.Text(2);
    h.to = s.Text(3);
    h.evidence = s.Text(4);
    h.evidence_files = json::parse(s.Text(5)).get<std::vector<std::string>>();
    h.at = s.Text(6);
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<Batch> Tracker::Batches() {
  auto s = db_->Prepare(
      "SELECT id, name, scope, depends_on, description, completed, completed_evidence "
      "FROM batches ORDER BY ord");
  std::vector<Batch> out;
  while (s.Step()) {
    Batch b;
    b.id = s.Text(0);
    b.name = s.Text(1);
    b.scope = s.Text(2);
    b.depends_on = json::parse(s.Text(3)).get<std::vector<std::string>>();
    b.description = s.Text(4);
    b.completed = s.Int(5) != 0;
    b.completed_evidence = s.Text(6);
    out.push_back(std::move(b));
  }
  return out;
}

std::optional<Batch> Tracker::FindBatch(const std::string& id) {
  for (Batch& b : Batches()) {
    if (b.id == id) return b;
  }
  return std::nullopt;
}

Item* Tracker::Change::FindItem(const std::string& id) {
  auto it = std::lower_bound(items.begin(), items.end(), id,
                             [](const Item& i, const std::string& k) { return i.id < k; });
  return it != items.end() && it->id == id ? &*it : nullptr;
}

Batch* Tracker::Change::FindBatch(const std::string& id) {
  for (Batch& b : batches) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

void Tracker::Change::AddHistory(const std::string& id, std::string from, std::string to,
                                 std::string evidence, std::vector<std::string> files) {
  int seq = 0;
  for (const HistoryEntry& h : history) {
    if (h.id == id) seq = std::max(seq, h.seq);
  }
  history.push_back(HistoryEntry{id, seq + 1, std::move(from), std::move(to), std::move(evidence),
                                 std::move(files), NowUtc()});
}

std::string Tracker::ItemsText(const std::vector<Item>& items) {
  std::string out;
  for (const Item& i : items) out += ToJson(i).dump() + "\n";
  return out;
}

std::string Tracker::HistoryText(const std::vector<HistoryEntry>& history) {
  std::vector<const HistoryEntry*> sorted;
  for (const HistoryEntry& h : history) sorted.push_back(&h);
  std::sort(sorted.begin(), sorted.end(), [](const HistoryEntry* a, const HistoryEntry* b) {
    return std::tie(a->id, a->seq) < std::tie(b->id, b->seq);
  });
  std::string out;
  for (const HistoryEntry* h : sorted) out += ToJson(*h).dump() + "\n";
  return out;
}

std::string Tracker::BatchesText(const std::vector<Batch>& batches) {
  json arr = json::array();
  for (const Batch& b : batches) arr.push_back(ToJson(b));
  return json{{"batches", arr}}.dump(2) + "\n";
}

std::string Tracker::MetaText(const Meta& meta) {
  return json{{"tag", meta.tag}, {"commit", meta.commit}}.dump(2) + "\n";
}

void Tracker::Apply(const std::function<void(Change&)>& fn) {
  // Read, change and write inside one write transaction, so two commands
  // run at once cannot lose each other's change.
  Transaction tx(*db_);
  Change c;
  c.meta = GetMeta();
  c.batches = Batches();
  c.items = Items();
  {
    auto s = db_->Prepare("SELECT DISTINCT id FROM history");
    std::vector<std::string> ids;
    while (s.Step()) ids.push_back(s.Text(0));
    for (const std::string& id : ids) {
      for (HistoryEntry& h : History(id)) c.history.push_back(std::move(h));
    }
  }
  fn(c);
  std::sort(c.items.begin(), c.items.end(), [](const Item& a, const Item& b) { return a.id < b.id; });
  for (size_t i = 1; i < c.items.size(); ++i) {
    if (c.items[i].id == c.items[i - 1].id) throw TrackerError(c.items[i].id + ": duplicate ID");
  }

  const std::string texts[] = {MetaText(c.meta), BatchesText(c.batches), ItemsText(c.items),
                               HistoryText(c.history)};
  std::string all = kSchemaVersion;
  for (size_t k = 0; k < 4; ++k) {
    all += kTextFiles[k];
    all += '\0';
    all += texts[k];
    all += '\0';
  }
  const std::string hash = Sha256Hex(all);

  Load(*db_, c);
  db_->Prepare("INSERT INTO meta(key, value) VALUES('text_hash', ?)").Bind(hash).Run();
  for (size_t k = 0; k < 4; ++k) {
    const fs::path p = TextDir() / kTextFiles[k];
    if (fs::exists(p) && ReadFile(p) == texts[k]) continue;
    WriteFileAtomic(p, texts[k]);
  }
  tx.Commit();
}

}  // namespace natscpp::porttracker
