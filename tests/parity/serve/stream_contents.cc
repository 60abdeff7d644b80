#include "stream_contents.h"

#include <algorithm>
#include <map>
#include <set>

#include "server_process.h"
#include "util/msg_size.h"

namespace natscpp::parity::serve {

uint64_t StreamContents::FirstSeq() const { return msgs.empty() ? 0 : msgs.front().seq; }

uint64_t StreamContents::LastSeq() const {
  uint64_t last = msgs.empty() ? 0 : msgs.back().seq;
  if (!skips.empty()) last = std::max(last, skips.back().seq);
  return last;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) |
                       (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = bytes.size() - i; rest > 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string TimeString(int64_t unix_nanos) {
  auto s = store::FormatRfc3339Nano(store::GoTime::FromUnixNanos(unix_nanos));
  if (!s) throw GenError("cannot format time " + std::to_string(unix_nanos) + ": " + s.error().message());
  return *s;
}

Json ExpectedState(const StreamContents& c) {
  const uint64_t first = c.FirstSeq();
  const uint64_t last = c.LastSeq();
  uint64_t bytes = 0;
  std::map<std::string, uint64_t> subjects;  // sorted, like the server's map encoding
  std::set<uint64_t> live;
  for (const auto& m : c.msgs) {
    bytes += store::FileStoreMsgSize(m.subject, m.hdrs.size(), m.data.size());
    ++subjects[m.subject];
    live.insert(m.seq);
  }
  Json deleted = Json::array();
  if (first != 0) {
    for (uint64_t s = first; s <= last; ++s) {
      if (!live.contains(s)) deleted.push_back(s);
    }
  }
  Json state;
  state["messages"] = c.msgs.size();
  state["bytes"] = bytes;
  state["first_seq"] = first;
  state["first_ts"] = c.msgs.empty() ? "0001-01-01T00:00:00Z" : TimeString(c.msgs.front().ts);
  state["last_seq"] = last;
  int64_t last_ts = c.msgs.empty() ? 0 : c.msgs.back().ts;
  if (!c.skips.empty() && c.skips.back().seq == last) last_ts = c.skips.back().ts;
  state["last_ts"] = TimeString(last_ts);
  state["num_subjects"] = subjects.size();
  Json subj = Json::object();
  for (const auto& [s, n] : subjects) subj[s] = n;
  state["subjects"] = subj;
  state["num_deleted"] = deleted.size();
  state["deleted"] = deleted;
  state["consumer_count"] = 0;
  return state;
}

Json ExpectedMessages(const StreamContents& c) {
  Json out = Json::array();
  for (const auto& m : c.msgs) {
    out.push_back(Json{{"seq", m.seq},
                       {"subject", m.subject},
                       {"time", TimeString(m.ts)},
                       {"hdrs", Base64(m.hdrs)},
                       {"data", Base64(m.data)}});
  }
  return out;
}

}  // namespace natscpp::parity::serve
