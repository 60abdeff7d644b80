#include "config/go_json.h"

#include <cstdint>
#include <limits>
#include <new>
#include <string>

namespace natscpp::store::config {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// Bytes Go writes unescaped with HTML escaping on: printable ASCII and DEL,
// except '"', '\\', '<', '>' and '&'.
bool HtmlSafe(unsigned char b) {
  if (b < 0x20 || b >= 0x80) return false;
  return b != '"' && b != '\\' && b != '<' && b != '>' && b != '&';
}

bool IsCont(unsigned char b) { return (b & 0xC0) == 0x80; }

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are
// not one (the cases Go's utf8.DecodeRune reports as RuneError of size 1:
// bad lead bytes, overlongs, surrogates, code points past U+10FFFF, and
// truncated sequences).
size_t ValidRuneLen(std::string_view s, size_t i, uint32_t* rune) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const size_t left = s.size() - i;
  auto at = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || !IsCont(at(1))) return 0;
    *rune = (static_cast<uint32_t>(b0 & 0x1F) << 6) | (at(1) & 0x3Fu);
    return 2;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3) return 0;
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    if (b1 < lo || b1 > hi || !IsCont(at(2))) return 0;
    *rune = (static_cast<uint32_t>(b0 & 0x0F) << 12) | (static_cast<uint32_t>(b1 & 0x3F) << 6) |
            (at(2) & 0x3Fu);
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4) return 0;
    const unsigned char b1 = at(1);
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    if (b1 < lo || b1 > hi || !IsCont(at(2)) || !IsCont(at(3))) return 0;
    *rune = (static_cast<uint32_t>(b0 & 0x07) << 18) | (static_cast<uint32_t>(b1 & 0x3F) << 12) |
            (static_cast<uint32_t>(at(2) & 0x3F) << 6) | (at(3) & 0x3Fu);
    return 4;
  }
  return 0;
}

// Collects the parser's message when a document is rejected; the DOM parse
// with exceptions disabled only reports that it failed.
class ErrorSax : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& ex) override {
    message = ex.what();
    return false;
  }
  std::string message;
};

}  // namespace

void AppendGoJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  size_t start = 0;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (HtmlSafe(b)) {
        ++i;
        continue;
      }
      out.append(s.substr(start, i - start));
      switch (b) {
        case '\\':
        case '"':
          out.push_back('\\');
          out.push_back(static_cast<char>(b));
          break;
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          // Other control bytes and the HTML-sensitive <, >, &.
          out.append("\\u00");
          out.push_back(kHex[b >> 4]);
          out.push_back(kHex[b & 0xF]);
          break;
      }
      ++i;
      start = i;
      continue;
    }
    uint32_t rune = 0;
    const size_t n = ValidRuneLen(s, i, &rune);
    if (n == 0) {
      out.append(s.substr(start, i - start));
      out.append("\\ufffd");
      ++i;
      start = i;
      continue;
    }
    // U+2028 and U+2029 are valid JSON but break JavaScript string literals.
    if (rune == 0x2028 || rune == 0x2029) {
      out.append(s.substr(start, i - start));
      out.append("\\u202");
      out.push_back(kHex[rune & 0xF]);
      i += n;
      start = i;
      continue;
    }
    i += n;
  }
  out.append(s.substr(start));
  out.push_back('"');
}

void GoJsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!empty_.empty()) {
    if (!empty_.back()) out_.push_back(',');
    empty_.back() = false;
  }
}

void GoJsonWriter::Open(char c) {
  BeforeValue();
  out_.push_back(c);
  empty_.push_back(true);
}

void GoJsonWriter::Close(char c) {
  out_.push_back(c);
  if (!empty_.empty()) empty_.pop_back();
}

void GoJsonWriter::Key(std::string_view key) {
  if (!empty_.empty()) {
    if (!empty_.back()) out_.push_back(',');
    empty_.back() = false;
  }
  AppendGoJsonString(out_, key);
  out_.push_back(':');
  after_key_ = true;
}

void GoJsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendGoJsonString(out_, s);
}

void GoJsonWriter::Int(int64_t v) {
  BeforeValue();
  out_.append(std::to_string(v));
}

void GoJsonWriter::Uint(uint64_t v) {
  BeforeValue();
  out_.append(std::to_string(v));
}

void GoJsonWriter::Bool(bool v) {
  BeforeValue();
  out_.append(v ? "true" : "false");
}

void GoJsonWriter::Raw(std::string_view token) {
  BeforeValue();
  out_.append(token);
}

Result<void> WriteTime(GoJsonWriter& w, const GoTime& t, std::string_view key,
                       std::string_view path) {
  auto s = FormatRfc3339Nano(t);
  if (!s) {
    const std::string_view name = path.empty() ? key : path;
    return std::unexpected(Error(s.error().code(), "field \"" + std::string(name) +
                                                       "\": " + s.error().message()));
  }
  w.Key(key);
  w.String(*s);
  return {};
}

Result<Json> ParseJson(std::string_view text) {
  try {
    Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded()) return j;
    ErrorSax sax;
    Json::sax_parse(text.begin(), text.end(), &sax);
    return MakeError(ErrorCode::kBadEncoding,
                     "invalid JSON: " + (sax.message.empty() ? std::string("parse error")
                                                             : sax.message));
  } catch (const std::bad_alloc&) {
    return MakeError(ErrorCode::kBadEncoding, "invalid JSON: out of memory");
  } catch (const std::exception& e) {
    // Defensive: the non-throwing parse is not expected to get here.
    return MakeError(ErrorCode::kBadEncoding, std::string("invalid JSON: ") + e.what());
  }
}

std::string RawToken(const Json& v) {
  if (v.is_string()) {
    std::string s = "\"";
    s += v.get_ref<const std::string&>();
    s += '"';
    return s;
  }
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string FoldName(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    if (c >= 'a' && c <= 'z') {
      out.push_back(static_cast<char>(c - 'a' + 'A'));
    } else if (c == 0xC5 && i + 1 < name.size() && static_cast<unsigned char>(name[i + 1]) == 0xBF) {
      out.push_back('S');  // U+017F LATIN SMALL LETTER LONG S
      ++i;
    } else if (c == 0xE2 && i + 2 < name.size() &&
               static_cast<unsigned char>(name[i + 1]) == 0x84 &&
               static_cast<unsigned char>(name[i + 2]) == 0xAA) {
      out.push_back('K');  // U+212A KELVIN SIGN
      i += 2;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out;
}

int MatchField(std::span<const std::string_view> names, std::string_view key) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == key) return static_cast<int>(i);
  }
  const std::string folded = FoldName(key);
  for (size_t i = 0; i < names.size(); ++i) {
    if (FoldName(names[i]) == folded) return static_cast<int>(i);
  }
  return -1;
}

DecodeCtx DecodeCtx::Child(std::string_view name) const {
  DecodeCtx c{mode, path};
  if (!c.path.empty()) c.path.push_back('.');
  c.path.append(name);
  return c;
}

DecodeCtx DecodeCtx::Index(size_t i) const {
  DecodeCtx c{mode, path};
  c.path += "[" + std::to_string(i) + "]";
  return c;
}

Error DecodeCtx::Fail(std::string_view what) const {
  std::string msg;
  if (!path.empty()) msg = "field \"" + path + "\": ";
  msg.append(what);
  return Error(ErrorCode::kBadEncoding, std::move(msg));
}

namespace {

Error TypeError(const Json& v, std::string_view go_type, const DecodeCtx& ctx) {
  std::string what = "cannot unmarshal ";
  if (v.is_number()) {
    what += "number " + v.dump(-1, ' ', false, Json::error_handler_t::replace);
  } else {
    what += v.type_name();
  }
  what += " into ";
  what.append(go_type);
  return ctx.Fail(what);
}

// Go parses the literal's text with ParseInt/ParseUint, so a fraction or an
// exponent is a type error even when the value is integral.
Result<int64_t> IntValue(const Json& v, int64_t lo, int64_t hi, std::string_view go_type,
                         const DecodeCtx& ctx) {
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return std::unexpected(TypeError(v, go_type, ctx));
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) {
    const int64_t s = v.get<int64_t>();
    if (s < lo || s > hi) return std::unexpected(TypeError(v, go_type, ctx));
    return s;
  }
  return std::unexpected(TypeError(v, go_type, ctx));
}

}  // namespace

Result<void> DecodeString(const Json& v, std::string& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  if (!v.is_string()) return std::unexpected(TypeError(v, "string", ctx));
  out = v.get_ref<const std::string&>();
  return {};
}

Result<void> DecodeBool(const Json& v, bool& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  if (!v.is_boolean()) return std::unexpected(TypeError(v, "bool", ctx));
  out = v.get<bool>();
  return {};
}

Result<void> DecodeInt64(const Json& v, int64_t& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  auto r = IntValue(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    "int64", ctx);
  if (!r) return std::unexpected(r.error());
  out = *r;
  return {};
}

Result<void> DecodeInt32(const Json& v, int32_t& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  auto r = IntValue(v, std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max(),
                    "int32", ctx);
  if (!r) return std::unexpected(r.error());
  out = static_cast<int32_t>(*r);
  return {};
}

Result<void> DecodeUint64(const Json& v, uint64_t& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  if (v.is_number_unsigned()) {
    out = v.get<uint64_t>();
    return {};
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    out = static_cast<uint64_t>(v.get<int64_t>());
    return {};
  }
  return std::unexpected(TypeError(v, "uint64", ctx));
}

Result<void> DecodeDuration(const Json& v, std::chrono::nanoseconds& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  auto r = IntValue(v, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(),
                    "time.Duration", ctx);
  if (!r) return std::unexpected(r.error());
  out = std::chrono::nanoseconds(*r);
  return {};
}

Result<void> DecodeStringSlice(const Json& v, std::vector<std::string>& out,
                               const DecodeCtx& ctx) {
  if (v.is_null()) {
    out.clear();
    return {};
  }
  if (!v.is_array()) return std::unexpected(TypeError(v, "[]string", ctx));
  std::vector<std::string> result(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (auto r = DecodeString(v[i], result[i], ctx.Index(i)); !r) return r;
  }
  out = std::move(result);
  return {};
}

Result<void> DecodeDurationSlice(const Json& v, std::vector<std::chrono::nanoseconds>& out,
                                 const DecodeCtx& ctx) {
  if (v.is_null()) {
    out.clear();
    return {};
  }
  if (!v.is_array()) return std::unexpected(TypeError(v, "[]time.Duration", ctx));
  std::vector<std::chrono::nanoseconds> result(v.size(), std::chrono::nanoseconds(0));
  for (size_t i = 0; i < v.size(); ++i) {
    if (auto r = DecodeDuration(v[i], result[i], ctx.Index(i)); !r) return r;
  }
  out = std::move(result);
  return {};
}

Result<void> DecodeStringMap(const Json& v, std::map<std::string, std::string>& out,
                             const DecodeCtx& ctx) {
  if (v.is_null()) {
    out.clear();
    return {};
  }
  if (!v.is_object()) return std::unexpected(TypeError(v, "map[string]string", ctx));
  for (const auto& [key, val] : v.items()) {
    std::string s;
    if (auto r = DecodeString(val, s, ctx.Child(key)); !r) return r;
    out[key] = std::move(s);
  }
  return {};
}

Result<void> DecodeTime(const Json& v, GoTime& out, const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  if (!v.is_string()) return std::unexpected(ctx.Fail("Time.UnmarshalJSON: input is not a JSON string"));
  auto t = ParseRfc3339(v.get_ref<const std::string&>());
  if (!t) return std::unexpected(ctx.Fail(t.error().message()));
  out = *t;
  return {};
}

Result<void> DecodeOptionalTime(const Json& v, std::optional<GoTime>& out,
                                const DecodeCtx& ctx) {
  if (v.is_null()) {
    out.reset();
    return {};
  }
  GoTime t;
  if (auto r = DecodeTime(v, t, ctx); !r) return r;
  out = t;
  return {};
}

}  // namespace natscpp::store::config
