// Internal helpers that reproduce Go's encoding/json byte for byte on the
// writing side and its matching rules on the reading side.
//
// Writing: Go's Marshal emits no whitespace, fields in struct order, integers
// in plain decimal, and strings with HTML escaping (<, >, & as \u003c etc.),
// U+2028/U+2029 escaped, invalid UTF-8 replaced by \ufffd, and (Go >= 1.22,
// which v2.14.5 is built with) \b and \f as short escapes.
//
// Reading: parsing is nlohmann/json (ordered, so keys are seen in document
// order). Object keys are matched to fields exactly first, else with Go's
// case folding; null leaves scalars, structs and times untouched and clears
// slices, maps and pointers, as Go's decoder does.
#ifndef NATSCPP_STORE_CONFIG_GO_JSON_H_
#define NATSCPP_STORE_CONFIG_GO_JSON_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "natscpp/store/error.h"
#include "natscpp/store/go_time.h"

namespace natscpp::store::config {

// ---- writing ----

// Appends s as a Go JSON string literal (quotes included).
void AppendGoJsonString(std::string& out, std::string_view s);

// A minimal streaming writer producing Go's compact output. Commas are
// inserted automatically between members and elements.
class GoJsonWriter {
 public:
  void BeginObject() { Open('{'); }
  void EndObject() { Close('}'); }
  void BeginArray() { Open('['); }
  void EndArray() { Close(']'); }
  // Starts an object member; the next value written is its value.
  void Key(std::string_view key);
  void String(std::string_view s);
  void Int(int64_t v);
  void Uint(uint64_t v);
  void Bool(bool v);
  void Duration(std::chrono::nanoseconds d) { Int(static_cast<int64_t>(d.count())); }
  // An already-encoded token (an enum's MarshalJSON output).
  void Raw(std::string_view token);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Open(char c);
  void Close(char c);
  void BeforeValue();

  std::string out_;
  // Per open object/array: whether nothing has been written in it yet.
  std::vector<bool> empty_;
  bool after_key_ = false;
};

// Writes member `key` with the time as Time.MarshalJSON does; fails when
// Go's would, naming `path` (defaults to the key) in the message.
Result<void> WriteTime(GoJsonWriter& w, const GoTime& t, std::string_view key,
                       std::string_view path = {});
// Writes an enum through its MarshalJSON port (found by argument-dependent
// lookup in natscpp::store), naming the field on failure.
template <typename E>
Result<void> WriteEnum(GoJsonWriter& w, E v, std::string_view field) {
  auto tok = MarshalJson(v);
  if (!tok) {
    return std::unexpected(Error(tok.error().code(), "field \"" + std::string(field) +
                                                         "\": " + tok.error().message()));
  }
  w.Key(field);
  w.Raw(*tok);
  return {};
}

// ---- reading ----

using Json = nlohmann::ordered_json;

// Parses a complete JSON text; never throws. Errors are kBadEncoding.
Result<Json> ParseJson(std::string_view text);

// The text Go would hand to an UnmarshalJSON method for this value. For
// strings it is the decoded content re-quoted, which equals Go's raw bytes
// unless the document used escapes inside the token.
std::string RawToken(const Json& v);

// Go's key folding for field lookup: ASCII letters to upper case, and the
// two non-ASCII runes whose simple folds reach ASCII (U+017F long s -> 'S',
// U+212A Kelvin sign -> 'K').
std::string FoldName(std::string_view name);

// Index of the field a key selects (exact name first, then the first field
// whose folded name equals the key's), or -1.
int MatchField(std::span<const std::string_view> names, std::string_view key);

// Decoding state: the mode and the dotted path of the value being decoded,
// used to name the field in error messages.
struct DecodeCtx {
  JsonMode mode;
  std::string path;
  DecodeCtx Child(std::string_view name) const;
  DecodeCtx Index(size_t i) const;
  Error Fail(std::string_view what) const;
};

// One field of a Go struct: its JSON key and how to decode a value into T.
template <typename T>
struct FieldSpec {
  std::string_view name;
  std::function<Result<void>(const Json&, T&, const DecodeCtx&)> decode;
};

// Decodes an object into out through the field table (null: no change).
template <typename T>
Result<void> DecodeFields(const Json& v, T& out, const std::vector<FieldSpec<T>>& fields,
                          const DecodeCtx& ctx) {
  if (v.is_null()) return {};
  if (!v.is_object()) {
    return std::unexpected(ctx.Fail("cannot unmarshal " + std::string(v.type_name()) +
                                    " into an object"));
  }
  std::vector<std::string_view> names;
  names.reserve(fields.size());
  for (const auto& f : fields) names.push_back(f.name);
  for (const auto& [key, val] : v.items()) {
    int idx = MatchField(names, key);
    if (idx < 0) {
      if (ctx.mode == JsonMode::kStrict) {
        std::string msg = "unknown field \"";
        msg += key;
        msg += '"';
        return std::unexpected(ctx.Fail(msg));
      }
      continue;
    }
    const auto& f = fields[static_cast<size_t>(idx)];
    if (auto r = f.decode(val, out, ctx.Child(f.name)); !r) return r;
  }
  return {};
}

Result<void> DecodeString(const Json& v, std::string& out, const DecodeCtx& ctx);
Result<void> DecodeBool(const Json& v, bool& out, const DecodeCtx& ctx);
Result<void> DecodeInt64(const Json& v, int64_t& out, const DecodeCtx& ctx);
Result<void> DecodeInt32(const Json& v, int32_t& out, const DecodeCtx& ctx);
Result<void> DecodeUint64(const Json& v, uint64_t& out, const DecodeCtx& ctx);
Result<void> DecodeDuration(const Json& v, std::chrono::nanoseconds& out, const DecodeCtx& ctx);
Result<void> DecodeStringSlice(const Json& v, std::vector<std::string>& out, const DecodeCtx& ctx);
Result<void> DecodeDurationSlice(const Json& v, std::vector<std::chrono::nanoseconds>& out,
                                 const DecodeCtx& ctx);
Result<void> DecodeStringMap(const Json& v, std::map<std::string, std::string>& out,
                             const DecodeCtx& ctx);
// A time.Time value field: null leaves it unchanged.
Result<void> DecodeTime(const Json& v, GoTime& out, const DecodeCtx& ctx);
// A *time.Time field: null resets it.
Result<void> DecodeOptionalTime(const Json& v, std::optional<GoTime>& out, const DecodeCtx& ctx);

// An enum through its UnmarshalJSON port (which sees null as "null", as Go
// calls the method for a null literal on a non-pointer field).
template <typename E>
Result<void> DecodeEnum(const Json& v, E& out, const DecodeCtx& ctx) {
  if (auto r = UnmarshalJson(RawToken(v), out); !r) {
    return std::unexpected(ctx.Fail(r.error().message()));
  }
  return {};
}

// A Go pointer-to-struct field: null resets it; an object decodes into the
// existing value (creating it first), as Go reuses a non-nil pointer.
template <typename T>
Result<void> DecodeOptionalStruct(const Json& v, std::optional<T>& out,
                                  const std::vector<FieldSpec<T>>& fields, const DecodeCtx& ctx) {
  if (v.is_null()) {
    out.reset();
    return {};
  }
  if (!v.is_object()) {
    return std::unexpected(ctx.Fail("cannot unmarshal " + std::string(v.type_name()) +
                                    " into an object"));
  }
  if (!out) out.emplace();
  return DecodeFields(v, *out, fields, ctx);
}

// A Go slice of structs: null clears it; each element decodes into a fresh
// value. When null_ok is false a null element is rejected (Go would keep a
// nil pointer that the server cannot use).
template <typename T>
Result<void> DecodeStructSlice(const Json& v, std::vector<T>& out,
                               const std::vector<FieldSpec<T>>& fields, const DecodeCtx& ctx,
                               bool null_ok) {
  if (v.is_null()) {
    out.clear();
    return {};
  }
  if (!v.is_array()) {
    return std::unexpected(ctx.Fail("cannot unmarshal " + std::string(v.type_name()) +
                                    " into an array"));
  }
  std::vector<T> result(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const Json& e = v[i];
    if (e.is_null() && !null_ok) return std::unexpected(ctx.Index(i).Fail("null element"));
    if (auto r = DecodeFields(e, result[i], fields, ctx.Index(i)); !r) return r;
  }
  out = std::move(result);
  return {};
}

// Parses a whole document and decodes its top-level object through the
// field table into a fresh value; `what` prefixes error messages.
template <typename T>
Result<T> DecodeDocument(std::string_view json, JsonMode mode,
                         const std::vector<FieldSpec<T>>& fields, std::string_view what) {
  auto doc = ParseJson(json);
  if (!doc) {
    return MakeError(ErrorCode::kBadEncoding, std::string(what) + ": " + doc.error().message());
  }
  T out{};
  const DecodeCtx ctx{mode, ""};
  if (auto r = DecodeFields(*doc, out, fields, ctx); !r) {
    return MakeError(ErrorCode::kBadEncoding, std::string(what) + ": " + r.error().message());
  }
  return out;
}

}  // namespace natscpp::store::config

#endif  // NATSCPP_STORE_CONFIG_GO_JSON_H_
