#include "hivemind/io.hpp"

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "hivemind/error.hpp"

namespace hivemind {

void create_output_dir(const std::string& path, const std::string& field) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) throw InputError(field + ": cannot create \"" + path + "\": " + ec.message());
}

std::string read_text_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot read file: is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot read file: " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw InputError(path + ": error while reading file");
  return buffer.str();
}

void write_text_file_atomic(const std::string& path, std::string_view text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw InputError(path + ": cannot write file: " + std::strerror(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw InputError(path + ": error while writing file");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw InputError(path + ": cannot write file: " + reason);
  }
}

nlohmann::json parse_json(std::string_view text, std::string_view source) {
  try {
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
  const std::string prefix = std::string(source) + ": ";
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

std::string show(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

static const char* type_name(const nlohmann::json& value) { return value.type_name(); }

const nlohmann::json& require(const nlohmann::json& object, const std::string& key,
                              const std::string& path) {
  auto it = object.find(key);
  if (it == object.end()) throw InputError(path + ": missing field");
  return *it;
}

double number(const nlohmann::json& value, const std::string& path, bool non_negative) {
  if (!value.is_number())
    throw InputError(path + ": expected a number, got " + type_name(value) + " " + show(value));
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
    throw InputError(path + ": expected an integer, got " + type_name(value) + " " + show(value));
  // Unsigned values above the signed range are out of range too.
  if (value.is_number_unsigned() && value.get<unsigned long long>() >
                                        static_cast<unsigned long long>(max_value))
    throw InputError(path + ": " + show(value) + " is out of range [" + std::to_string(min_value) +
                     ", " + std::to_string(max_value) + "]");
  const long long x = value.get<long long>();
  if (x < min_value || x > max_value)
    throw InputError(path + ": " + show(value) + " is out of range [" + std::to_string(min_value) +
                     ", " + std::to_string(max_value) + "]");
  return x;
}

std::string string(const nlohmann::json& value, const std::string& path) {
  if (!value.is_string())
    throw InputError(path + ": expected a string, got " + type_name(value) + " " + show(value));
  return value.get<std::string>();
}

const nlohmann::json& array(const nlohmann::json& value, const std::string& path,
                            std::size_t expected_size) {
  if (!value.is_array())
    throw InputError(path + ": expected an array, got " + type_name(value) + " " + show(value));
  if (expected_size != static_cast<std::size_t>(-1) && value.size() != expected_size)
    throw InputError(path + ": expected " + std::to_string(expected_size) + " entries, got " +
                     std::to_string(value.size()));
  return value;
}

const nlohmann::json& object(const nlohmann::json& value, const std::string& path) {
  if (!value.is_object())
    throw InputError(path + ": expected an object, got " + type_name(value) + " " + show(value));
  return value;
}

const nlohmann::json& chain_links(const nlohmann::json& doc, std::size_t node_count) {
  const nlohmann::json& links = array(require(doc, "links", "links"), "links");
  if (links.size() + 1 != node_count)
    throw InputError("links: expected " + std::to_string(node_count - 1) +
                     " entries (one per adjacent node pair), got " + std::to_string(links.size()));
  return links;
}

}  // namespace json_field
}  // namespace hivemind
