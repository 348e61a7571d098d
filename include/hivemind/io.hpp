// Files and JSON helpers shared by every module's readers and writers.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace hivemind {

// Largest input read_text_file accepts (default kDefaultMaxInputBytes = 256 MiB; the CLI's
// --max-input-mib sets it). Process-wide: it bounds every reader of every module.
inline constexpr std::uint64_t kDefaultMaxInputBytes = 256ull * 1024 * 1024;
void set_max_input_bytes(std::uint64_t bytes);
std::uint64_t max_input_bytes();

// Reads a whole regular file of at most max_input_bytes(); "-" reads standard input under the
// same cap. Throws InputError naming the path when it cannot: a directory, FIFO, device or
// socket ("is a FIFO, not a regular file"), a file above the cap, a read error. Never blocks
// on a FIFO nobody writes to.
std::string read_text_file(const std::string& path);

// Writes a file atomically (temporary file in the same folder + rename), so a failed run
// leaves nothing half-written. Throws InputError naming the path on failure.
void write_text_file_atomic(const std::string& path, std::string_view text);

// Creates the folder `path` (and its parents) if missing. Throws InputError naming `field`
// ("--out: cannot create \"x\": Not a directory").
void create_output_dir(const std::string& path, const std::string& field);

// A multi-file output (a folder of results) made all-or-nothing. The constructor checks that
// `path` can be a folder and creates a temporary folder beside the nearest existing one
// (nothing else is created yet); files are written into it; commit() creates `path` if
// missing and moves every file in, replacing files of the same names and keeping every other
// file that was there. If commit() is not reached (an exception), the destructor removes the
// temporary folder and `path` is as it was. Errors are InputErrors naming `field` ("--out").
class StagedDir {
 public:
  StagedDir(std::string path, std::string field);
  ~StagedDir();
  StagedDir(const StagedDir&) = delete;
  StagedDir& operator=(const StagedDir&) = delete;

  // Where file `name` is staged (for writers that need a path, e.g. a child process).
  std::string file(const std::string& name) const;
  // The temporary folder itself (a child process's working directory).
  const std::string& staging() const { return staging_; }
  const std::string& path() const { return path_; }
  void write(const std::string& name, std::string_view text);
  void commit();

 private:
  std::string path_, field_, staging_;
};

// Parses JSON text; throws InputError "<source>: not JSON: <parser message>", also for text
// nested deeper than 256 arrays/objects (no HiveMind format comes near; deeper values would
// exhaust the stack in recursive walks).
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
// Most nodes a chain (problem file, route) may have.
inline constexpr std::size_t kMaxChainNodes = 10'000;
// The "nodes" array of a chain: 2 (a source and a sink) to kMaxChainNodes entries.
const nlohmann::json& chain_nodes(const nlohmann::json& doc);
// The "links" array of a chain of `node_count` nodes: one entry per adjacent pair.
const nlohmann::json& chain_links(const nlohmann::json& doc, std::size_t node_count);
// Short, one-line rendering of a JSON value for error messages: at most 60 characters, work
// bounded whatever the value's size, strings JSON-escaped to ASCII (no newline, no terminal
// escape).
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
