// Files and JSON helpers shared by every module's readers and writers.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace hivemind {

// Largest input read_text_file accepts (default kDefaultMaxInputBytes = 256 MiB; the CLI's
// --max-input-mib sets it). Process-wide: it bounds every reader of every module.
inline constexpr std::uint64_t kDefaultMaxInputBytes = 256ull * 1024 * 1024;
void set_max_input_bytes(std::uint64_t bytes);
std::uint64_t max_input_bytes();

// Reads a whole regular file of at most max_input_bytes(); "-" reads standard input under the
// same cap. Throws InputError naming the path when it cannot: a directory, FIFO, device or
// socket ("is a FIFO, not a regular file"), a file above the cap, a read error, a path with a
// NUL byte (the system would open the part before it). Never blocks on a FIFO nobody writes
// to.
std::string read_text_file(const std::string& path);

// Every file HiveMind writes goes through StagedFile (write_text_file_atomic, StagedFiles,
// StagedDir use it): one writer, one set of rules for the target path.
//
// Which targets may be written ("replaced": the new file is renamed onto the name):
//   - a name that does not exist yet, or a regular file: replaced;
//   - a symbolic link to a regular file, or a dangling one: the link itself is replaced by
//     the new file (rename semantics); what it pointed to is never written;
//   - anything else is refused with an InputError: a folder, a FIFO, a device (a clone of
//     /dev/null too, and /dev/null itself), a socket, a symbolic link to one of those, a path
//     with a NUL byte or without a file name ("out/").
// The new file is staged under an unpredictable name created with O_EXCL (mkstemp) in the
// target's folder, so a symbolic link planted under any guessable name is never followed, and
// the final rename() is atomic: a reader sees the old file or the whole new one.

// Throws InputError when `path` is not a target as above. Messages name `field` when given
// ("--out: cannot write \"x\": it is a FIFO, not a regular file"), else the path
// ("x: cannot write file: ..."). Does nothing for a name that does not exist yet.
void check_output_target(const std::string& path, const std::string& field = "");

// A file written in pieces (a trace, line by line) and made visible all at once by commit().
// The constructor checks the target and creates the staged file at once, so a refused or
// unwritable path fails before any work. If commit() is not reached (an exception), the
// destructor removes the staged file and the target is as it was. Errors are InputErrors
// naming `field` (or the path when `field` is empty). Not copyable; the object owns a file
// descriptor.
class StagedFile {
 public:
  explicit StagedFile(std::string path, std::string field = "");
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  // Appends `bytes` (buffered; throws InputError on a write error, e.g. a full disk).
  void write(std::string_view bytes);
  // Writes out the buffer, checks the target again and renames the staged file onto it.
  void commit();
  const std::string& path() const { return path_; }

 private:
  friend class StagedFiles;
  [[noreturn]] void fail(const std::string& reason) const;
  void flush();
  void finish();   // flush and close: every byte is on disk or an InputError was thrown
  void publish();  // check the target again and rename onto it
  std::string path_, field_, tmp_;
  std::string buffer_;
  int fd_ = -1;
  bool committed_ = false;
};

// Several outputs of one command (hivemind run's --out and --trace) made all-or-nothing:
// add() stages each at once (a bad path fails before any work); commit() finishes every file
// first (a write error commits none), checks every target, then renames each onto its name.
// Only a rename failing after the first (the folder removed meanwhile) can leave some
// committed: rename() is atomic per file, not across files.
class StagedFiles {
 public:
  // Stages `path` for `field`. Refuses a path naming the same file as an output added before
  // ("--trace: \"x\" is the same file as --out"): the same path once symbolic links and
  // "." / ".." are resolved, or the same inode (a hard link) when both exist.
  StagedFile& add(const std::string& path, const std::string& field);
  void commit();

 private:
  std::vector<std::unique_ptr<StagedFile>> files_;
};

// Writes a file atomically through a StagedFile, so a failed run leaves nothing
// half-written. Throws InputError naming `field` (or the path) on failure or a refused target.
void write_text_file_atomic(const std::string& path, std::string_view text,
                            const std::string& field = "");

// Creates the folder `path` (and its parents) if missing. Throws InputError naming `field`
// ("--out: cannot create \"x\": Not a directory").
void create_output_dir(const std::string& path, const std::string& field);

// A multi-file output (a folder of results) made all-or-nothing. The constructor checks that
// `path` can be a folder and creates a temporary folder beside the nearest existing one
// (nothing else is created yet); files are written into it; commit() creates `path` if
// missing and moves every file in, replacing files of the same names and keeping every other
// file that was there. If commit() is not reached (an exception), the destructor removes the
// temporary folder and `path` is as it was. commit() checks every destination before moving
// any file in (check_output_target: a folder, FIFO or device under a staged file's name
// fails the commit with the folder untouched). Errors are InputErrors naming `field`
// ("--out").
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
// exhaust the stack in recursive walks), and "<source>: duplicate key \"position\" in
// nodes[0]" for an object naming a key twice (nlohmann keeps the last silently; every
// HiveMind input is read through here, so none accepts an ambiguous file).
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
// Rejects a key of `object` not in `allowed` (a typo must not be silently ignored):
// "PATH.KEY: unknown field (expected one of A, B)" ("KEY: ..." when `path` is empty).
void only_keys(const nlohmann::json& object, const std::string& path,
               std::initializer_list<const char*> allowed);
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
