// Files and JSON helpers shared by every module's readers and writers.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace hivemind {

// Reads a whole file; throws InputError naming the path when it cannot.
std::string read_text_file(const std::string& path);

// Writes a file atomically (temporary file in the same folder + rename), so a failed run
// leaves nothing half-written. Throws InputError naming the path on failure.
void write_text_file_atomic(const std::string& path, std::string_view text);

// Parses JSON text; throws InputError "<source>: not JSON: <parser message>".
// Creates the folder `path` (and its parents) if missing. Throws InputError naming `field`
// ("--out: cannot create \"x\": Not a directory").
void create_output_dir(const std::string& path, const std::string& field);

nlohmann::json parse_json(std::string_view text, std::string_view source);

// Runs `parse` and makes every InputError it throws start with "<source>: " (once), so a
// reader's messages name the file. Other nlohmann exceptions (which checked access should
// never let through) become InputErrors too, never a crash.
template <typename F>
auto with_source(std::string_view source, F&& parse) -> decltype(parse());

// Typed field access with one-line errors that name the JSON path and the value found.
// `path` is the field's full name as a user would write it ("nodes[1].compute[2]").
namespace json_field {
const nlohmann::json& require(const nlohmann::json& object, const std::string& key,
                              const std::string& path);
// A finite number; with `non_negative`, also >= 0.
double number(const nlohmann::json& value, const std::string& path, bool non_negative = true);
double positive_number(const nlohmann::json& value, const std::string& path);
// An integer in [min_value, max_value].
long long integer(const nlohmann::json& value, const std::string& path, long long min_value,
                  long long max_value);
std::string string(const nlohmann::json& value, const std::string& path);
const nlohmann::json& array(const nlohmann::json& value, const std::string& path,
                            std::size_t expected_size = static_cast<std::size_t>(-1));
const nlohmann::json& object(const nlohmann::json& value, const std::string& path);
// The "links" array of a chain of `node_count` nodes: one entry per adjacent pair.
const nlohmann::json& chain_links(const nlohmann::json& doc, std::size_t node_count);
// Short, one-line rendering of a JSON value for error messages (truncated).
std::string show(const nlohmann::json& value);
}  // namespace json_field

namespace detail {
[[noreturn]] void rethrow_with_source(std::string_view source);
}  // namespace detail

template <typename F>
auto with_source(std::string_view source, F&& parse) -> decltype(parse()) {
  try {
    return parse();
  } catch (...) {
    detail::rethrow_with_source(source);
  }
}

}  // namespace hivemind
