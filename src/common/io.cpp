#include "hivemind/io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <vector>

#include "hivemind/error.hpp"

namespace hivemind {

namespace fs = std::filesystem;

namespace {

std::atomic<std::uint64_t> g_max_input_bytes{kDefaultMaxInputBytes};

// "a FIFO", "a directory", ... for the st_mode of something that is not a regular file.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string mib(std::uint64_t bytes) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.4g MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

// `size`: "is 300 MiB" when known, else "is larger".
std::string too_big(const std::string& path, const std::string& size) {
  return path + ": the input " + size + ", above the input limit of " + mib(max_input_bytes()) +
         " (raise it with --max-input-mib)";
}

// Reads fd to its end, refusing more than the cap (the file may grow while we read).
std::string read_capped(int fd, const std::string& path) {
  const std::uint64_t cap = max_input_bytes();
  std::string text;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) return text;
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError(path + ": cannot read file: " + std::strerror(errno));
    }
    if (text.size() + static_cast<std::uint64_t>(n) > cap)
      throw InputError(too_big(path, "is larger"));
    text.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace

void set_max_input_bytes(std::uint64_t bytes) { g_max_input_bytes = bytes; }
std::uint64_t max_input_bytes() { return g_max_input_bytes; }

void create_output_dir(const std::string& path, const std::string& field) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) throw InputError(field + ": cannot create \"" + path + "\": " + ec.message());
}

std::string read_text_file(const std::string& path) {
  if (path == "-") return read_capped(STDIN_FILENO, "standard input");
  if (path.find('\0') != std::string::npos)
    throw InputError(path + ": cannot read file: the name has a NUL byte");
  // stat first so that opening never touches a device or blocks on a FIFO; then O_NONBLOCK
  // and fstat on what was opened, in case the path was swapped in between.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw InputError(path + ": cannot read file: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    throw InputError(path + ": cannot read file: it is " + file_kind(st.st_mode) +
                     ", not a regular file");
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) throw InputError(path + ": cannot read file: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw InputError(path + ": cannot read file: it is not a regular file");
  if (static_cast<std::uint64_t>(st.st_size) > max_input_bytes())
    throw InputError(too_big(path, "is " + mib(static_cast<std::uint64_t>(st.st_size))));
  return read_capped(fd, path);
}

namespace {

// Writes all of `text` to fd; false with errno set on failure.
bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The permissions a plain create would give (0666 & ~umask); mkstemp makes 0600.
mode_t default_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// "PATH: cannot write file: " or "FIELD: cannot write \"PATH\": ", the head of every output
// error.
std::string cannot_write(const std::string& path, const std::string& field) {
  return field.empty() ? path + ": cannot write file: "
                       : field + ": cannot write \"" + path + "\": ";
}

}  // namespace

void check_output_target(const std::string& path, const std::string& field) {
  const auto refuse = [&](const std::string& why) {
    throw InputError(cannot_write(path, field) + why);
  };
  if (path.find('\0') != std::string::npos) refuse("the name has a NUL byte");
  if (path.empty() || !fs::path(path).has_filename()) refuse("not a file name");
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return;  // new name (or a folder error mkstemp reports)
  if (S_ISREG(st.st_mode)) return;
  if (S_ISDIR(st.st_mode)) refuse("a folder of that name exists");
  if (!S_ISLNK(st.st_mode))
    refuse(std::string("it is ") + file_kind(st.st_mode) +
           ", not a regular file (only a regular file is replaced)");
  // A symbolic link: rename() replaces the link itself, so one to a regular file (or a
  // dangling one) is harmless; one to a device or FIFO is refused, since a user naming
  // /dev/stdout or a link to a FIFO expects the write to go there, and it would not.
  if (::stat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  refuse(std::string("it is a symbolic link to ") +
         (S_ISDIR(st.st_mode) ? "a folder" : file_kind(st.st_mode)) + ", not to a regular file");
}

// ----------------------------------------------------------------------------------------
// StagedFile

namespace {
// Bytes buffered before a write(2): a trace line is ~300 B.
constexpr std::size_t kStagedBufferBytes = 64 * 1024;
}  // namespace

StagedFile::StagedFile(std::string path, std::string field)
    : path_(std::move(path)), field_(std::move(field)) {
  check_output_target(path_, field_);
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  // An unpredictable name created with O_EXCL (mkstemp) in the target's folder: a symlink
  // planted under any guessable name is never followed, and rename() stays atomic.
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  fd_ = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd_ < 0) fail(std::strerror(errno));
  tmp_ = tmp;
  if (::fchmod(fd_, default_file_mode()) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    fail(reason);
  }
}

StagedFile::~StagedFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !tmp_.empty()) ::unlink(tmp_.c_str());  // a failed run leaves nothing
}

void StagedFile::fail(const std::string& reason) const {
  throw InputError(cannot_write(path_, field_) + reason);
}

void StagedFile::write(std::string_view bytes) {
  if (fd_ < 0) throw std::logic_error("StagedFile::write after commit()");
  if (buffer_.size() + bytes.size() < kStagedBufferBytes) {
    buffer_.append(bytes);
    return;
  }
  flush();
  // A large piece (a whole file's text, a tensor) goes out as it is, without a copy.
  if (!write_all(fd_, bytes)) fail(std::strerror(errno));
}

void StagedFile::flush() {
  if (!write_all(fd_, buffer_)) fail(std::strerror(errno));
  buffer_.clear();
}

void StagedFile::finish() {
  if (fd_ < 0) return;
  flush();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail(std::strerror(errno));  // NFS reports a full disk here
}

void StagedFile::publish() {
  check_output_target(path_, field_);  // again: the name may have changed since the start
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) fail(std::strerror(errno));
  committed_ = true;
}

void StagedFile::commit() {
  finish();
  publish();
}

// ----------------------------------------------------------------------------------------
// StagedFiles

namespace {

// The path with symbolic links and "."/".." resolved as far as it exists.
fs::path resolved(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path, ec), ec);
  return ec ? fs::absolute(path, ec).lexically_normal() : p;
}

bool same_file(const std::string& a, const std::string& b) {
  if (resolved(a) == resolved(b)) return true;
  std::error_code ec;
  return fs::equivalent(a, b, ec) && !ec;  // hard links (false when either does not exist)
}

}  // namespace

StagedFile& StagedFiles::add(const std::string& path, const std::string& field) {
  for (const auto& f : files_)
    if (same_file(path, f->path_))
      throw InputError(field + ": \"" + path + "\" is the same file as " + f->field_ +
                       " (give two different files)");
  files_.push_back(std::make_unique<StagedFile>(path, field));
  return *files_.back();
}

void StagedFiles::commit() {
  for (const auto& f : files_) f->finish();
  for (const auto& f : files_) check_output_target(f->path_, f->field_);
  for (const auto& f : files_) f->publish();
}

void write_text_file_atomic(const std::string& path, std::string_view text,
                            const std::string& field) {
  StagedFile file(path, field);
  file.write(text);
  file.commit();
}

// ----------------------------------------------------------------------------------------
// StagedDir

StagedDir::StagedDir(std::string path, std::string field)
    : path_(std::move(path)), field_(std::move(field)) {
  if (path_.empty()) throw InputError(field_ + ": the folder name is empty");
  std::error_code ec;
  const fs::path target(path_);
  const auto status = fs::status(target, ec);
  if (fs::exists(status) && !fs::is_directory(status))
    throw InputError(field_ + ": \"" + path_ + "\" exists and is not a folder");
  // Stage next to the nearest folder that exists (the target itself, or its first existing
  // ancestor), so commit() moves files with rename() on the same file system and nothing is
  // created outside a temporary folder before the commit.
  fs::path base = fs::absolute(target, ec).lexically_normal();
  if (ec) throw InputError(field_ + ": cannot use \"" + path_ + "\": " + ec.message());
  if (!base.has_filename()) base = base.parent_path();  // "out/" -> "out"
  while (!fs::is_directory(base, ec)) {
    if (fs::exists(fs::symlink_status(base, ec)))
      throw InputError(field_ + ": cannot create \"" + path_ + "\": \"" + base.string() +
                       "\" is not a folder");
    base = base.parent_path();  // the root always exists
  }
  std::string tmpl = (base / ".hivemind-staging.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw InputError(field_ + ": cannot write into \"" + base.string() +
                     "\": " + std::strerror(errno));
  staging_ = tmpl;
}

StagedDir::~StagedDir() {
  if (staging_.empty()) return;
  std::error_code ec;
  fs::remove_all(staging_, ec);  // best effort: a failed run leaves nothing behind
}

std::string StagedDir::file(const std::string& name) const {
  if (staging_.empty()) throw std::logic_error("StagedDir used after commit()");
  return staging_ + "/" + name;
}

void StagedDir::write(const std::string& name, std::string_view text) {
  write_text_file_atomic(file(name), text, field_);
}

void StagedDir::commit() {
  std::error_code ec;
  fs::create_directories(path_, ec);
  if (ec) throw InputError(field_ + ": cannot create \"" + path_ + "\": " + ec.message());
  // Move each staged file in; files already in the folder under other names stay.
  std::vector<fs::path> names;
  for (const auto& entry : fs::directory_iterator(staging_, ec))
    names.push_back(entry.path().filename());
  if (ec) throw InputError(field_ + ": cannot read \"" + staging_ + "\": " + ec.message());
  // Check every destination before moving anything, so a name taken by a folder, FIFO or
  // device fails the commit with the target folder untouched.
  for (const auto& name : names) check_output_target((fs::path(path_) / name).string(), field_);
  for (const auto& name : names) {
    const fs::path from = fs::path(staging_) / name, to = fs::path(path_) / name;
    fs::rename(from, to, ec);
    if (ec) throw InputError(field_ + ": cannot write \"" + to.string() + "\": " + ec.message());
  }
  fs::remove_all(staging_, ec);
  staging_.clear();
}

// ----------------------------------------------------------------------------------------
// JSON

namespace {

// Deepest nesting of arrays/objects any HiveMind format accepts. The real formats nest a
// handful of levels; the limit keeps every recursive walk (nlohmann's dump and destructor,
// our readers) far from the stack's end (a value nested ~65k deep crashed dump).
constexpr int kMaxJsonDepth = 256;

// Throws InputError when the text nests deeper than kMaxJsonDepth. A linear scan that skips
// strings; brackets inside malformed text are left for the parser to report.
void check_json_depth(std::string_view text, std::string_view source) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth)
        throw InputError(std::string(source) + ": not JSON we accept: nested deeper than " +
                         std::to_string(kMaxJsonDepth) + " levels at byte " + std::to_string(i));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// Finds an object that names a key twice (nlohmann's DOM keeps the last one silently): a SAX
// pass over the text before the DOM parse. Not nlohmann's parser callback, which costs
// quadratic time in the array length (14 MB of node objects: 33 s against 0.2 s). Keeps one
// frame per open array/object: the keys seen so far in an object, the index of the element
// being parsed in an array, so the message names where ("nodes[0]").
class DuplicateKeyCheck final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit DuplicateKeyCheck(std::string_view source) : source_(source) {}

  bool null() override { return element_done(); }
  bool boolean(bool) override { return element_done(); }
  bool number_integer(number_integer_t) override { return element_done(); }
  bool number_unsigned(number_unsigned_t) override { return element_done(); }
  bool number_float(number_float_t, const string_t&) override { return element_done(); }
  bool string(string_t&) override { return element_done(); }
  bool binary(binary_t&) override { return element_done(); }
  bool start_object(std::size_t) override { return open(/*object=*/true); }
  bool start_array(std::size_t) override { return open(/*object=*/false); }
  bool end_object() override { return close(); }
  bool end_array() override { return close(); }
  bool key(string_t& key) override {
    Frame& top = frames_.back();
    if (!top.keys.insert(key).second)
      throw InputError(std::string(source_) + ": duplicate key " +
                       json_field::show(nlohmann::json(key)) + " in " + where());
    top.key = key;
    return true;
  }
  // Stops the pass; the DOM parse that follows reports the error with its position.
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
    return false;
  }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;  // object: the keys seen so far
    std::string key;             // object: the key of the value being parsed
    std::size_t index;           // array: the index of the element being parsed
  };

  bool open(bool object) {
    frames_.push_back({object, {}, {}, 0});
    return true;
  }
  bool close() {
    frames_.pop_back();
    return element_done();
  }
  bool element_done() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }

  // The path of the innermost open object ("nodes[0]"; "the top-level object" at the root).
  std::string where() const {
    std::string path;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      if (frames_[i].object)
        path += (path.empty() ? "" : ".") + frames_[i].key;
      else
        path += "[" + std::to_string(frames_[i].index) + "]";
    }
    return path.empty() ? "the top-level object" : path;
  }

  std::string_view source_;
  std::vector<Frame> frames_;
};

}  // namespace

nlohmann::json parse_json(std::string_view text, std::string_view source) {
  check_json_depth(text, source);
  try {
    DuplicateKeyCheck duplicates(source);
    nlohmann::json::sax_parse(text.begin(), text.end(), &duplicates);
    return nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {  // parse_error, or out_of_range for 1e999
    std::string what = e.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; keep the human part.
    if (auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    throw InputError(std::string(source) + ": not JSON: " + what);
  }
}

namespace detail {
void rethrow_with_source(std::string_view source) {
  // As InputError stores it (escaped), so a source named with a newline is not added twice.
  const std::string prefix = one_line(std::string(source) + ": ");
  try {
    throw;
  } catch (const InputError& e) {
    const std::string what = e.what();
    if (what.rfind(prefix, 0) == 0) throw;
    throw InputError(prefix + what);
  } catch (const nlohmann::json::exception& e) {
    throw InputError(prefix + "malformed input: " + e.what());
  }
}
}  // namespace detail

namespace json_field {

namespace {

constexpr std::size_t kShowChars = 60;

// Appends a bounded rendering of `value` to `out`, stopping once out holds more than `limit`
// characters: cost O(limit), whatever the value's size. Strings are JSON-escaped (ASCII only:
// no newline or terminal escape can pass).
void render(const nlohmann::json& value, std::string& out, std::size_t limit, int depth) {
  if (out.size() > limit) return;
  if (depth > kMaxJsonDepth) {
    out += "...";
    return;
  }
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    const nlohmann::json head = s.size() > limit ? s.substr(0, limit) : s;
    out += head.dump(-1, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
  } else if (value.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : value) {
      if (out.size() > limit) return;
      if (!first) out += ',';
      first = false;
      render(item, out, limit, depth + 1);
    }
    out += ']';
  } else if (value.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (out.size() > limit) return;
      if (!first) out += ',';
      first = false;
      render(nlohmann::json(it.key()), out, limit, depth + 1);
      out += ':';
      render(it.value(), out, limit, depth + 1);
    }
    out += '}';
  } else {
    out += value.dump();  // number, bool, null: short
  }
}

}  // namespace

std::string show(const nlohmann::json& value) {
  std::string text;
  render(value, text, kShowChars, 0);
  if (text.size() > kShowChars) text = text.substr(0, kShowChars - 3) + "...";
  return text;
}

// "number 1.5", "string \"x\"", "array [1,2]"; just "null" for null (not "null null").
static std::string got(const nlohmann::json& value) {
  if (value.is_null()) return "null";
  return std::string(value.type_name()) + " " + show(value);
}

const nlohmann::json& require(const nlohmann::json& object, const std::string& key,
                              const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) throw InputError(path + ": missing field");
  return *it;
}

double number(const nlohmann::json& value, const std::string& path, bool non_negative) {
  if (!value.is_number()) throw InputError(path + ": expected a number, got " + got(value));
  const double x = value.get<double>();
  if (!std::isfinite(x)) throw InputError(path + ": " + show(value) + " is not finite");
  if (non_negative && x < 0) throw InputError(path + ": " + show(value) + " is negative");
  return x;
}

double positive_number(const nlohmann::json& value, const std::string& path) {
  const double x = number(value, path, /*non_negative=*/false);
  if (!(x > 0)) throw InputError(path + ": " + show(value) + " must be > 0");
  return x;
}

long long integer(const nlohmann::json& value, const std::string& path, long long min_value,
                  long long max_value) {
  if (!value.is_number_integer())
    throw InputError(path + ": expected an integer, got " + got(value));
  // Unsigned values above the signed range are out of range too.
  if (value.is_number_unsigned() &&
      value.get<unsigned long long>() > static_cast<unsigned long long>(max_value))
    throw InputError(path + ": " + show(value) + " is out of range [" + std::to_string(min_value) +
                     ", " + std::to_string(max_value) + "]");
  const long long x = value.get<long long>();
  if (x < min_value || x > max_value)
    throw InputError(path + ": " + show(value) + " is out of range [" + std::to_string(min_value) +
                     ", " + std::to_string(max_value) + "]");
  return x;
}

std::string string(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string()) throw InputError(path + ": expected a string, got " + got(value));
  return value.get<std::string>();
}

const nlohmann::json& array(const nlohmann::json& value, const std::string& path,
                            std::size_t expected_size) {
  if (!value.is_array()) throw InputError(path + ": expected an array, got " + got(value));
  if (expected_size != static_cast<std::size_t>(-1) && value.size() != expected_size)
    throw InputError(path + ": expected " + std::to_string(expected_size) + " entries, got " +
                     std::to_string(value.size()));
  return value;
}

const nlohmann::json& object(const nlohmann::json& value, const std::string& path) {
  if (!value.is_object()) throw InputError(path + ": expected an object, got " + got(value));
  return value;
}

const nlohmann::json& chain_nodes(const nlohmann::json& doc) {
  const nlohmann::json& nodes = array(require(doc, "nodes", "nodes"), "nodes");
  if (nodes.size() < 2)
    throw InputError("nodes: " + std::to_string(nodes.size()) +
                     " nodes, need at least 2 (a source and a sink)");
  if (nodes.size() > kMaxChainNodes)
    throw InputError("nodes: " + std::to_string(nodes.size()) + " nodes, at most " +
                     std::to_string(kMaxChainNodes));
  return nodes;
}

const nlohmann::json& chain_links(const nlohmann::json& doc, std::size_t node_count) {
  const nlohmann::json& links = array(require(doc, "links", "links"), "links");
  if (links.size() + 1 != node_count)
    throw InputError("links: expected " + std::to_string(node_count - 1) +
                     " entries (one per adjacent node pair), got " + std::to_string(links.size()));
  return links;
}

void only_keys(const nlohmann::json& object, const std::string& path,
               std::initializer_list<const char*> allowed) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    bool known = false;
    for (const char* k : allowed) known = known || it.key() == k;
    if (known) continue;
    std::string list;
    for (const char* k : allowed) list += (list.empty() ? "" : ", ") + std::string(k);
    throw InputError((path.empty() ? "" : path + ".") + it.key() +
                     ": unknown field (expected one of " + list + ")");
  }
}

}  // namespace json_field
}  // namespace hivemind
